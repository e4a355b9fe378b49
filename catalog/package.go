package catalog

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/releaselake/releaselake"
)

// maxPackageName bounds a package name: Maven's group:artifact are the longest,
// well under it.
const maxPackageName = 200

// packageKey reads the package key, a mapping {ecosystem: PIP|NPM|…, name: …}:
// the product's identity in GitHub's advisory database. Errors name the line
// of the part that is wrong.
func packageKey(n *yaml.Node) (releaselake.Package, int, error) {
	var pkg releaselake.Package
	if n.Kind != yaml.MappingNode {
		return pkg, n.Line, fmt.Errorf("want a mapping {ecosystem: …, name: …}")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return pkg, k.Line, fmt.Errorf("%s given twice", k.Value)
		}
		seen[k.Value] = true
		if v.Kind != yaml.ScalarNode {
			return pkg, k.Line, fmt.Errorf("%s must be a single value", k.Value)
		}
		val := strings.TrimSpace(v.Value)
		switch k.Value {
		case "ecosystem":
			if !releaselake.ValidEcosystem(val) {
				return pkg, k.Line, fmt.Errorf("ecosystem %q: want one of %s", val, strings.Join(releaselake.Ecosystems, ", "))
			}
			pkg.Ecosystem = val
		case "name":
			if err := setFact(&pkg.Name, val, maxPackageName); err != nil {
				return pkg, k.Line, fmt.Errorf("name: %v", err)
			}
		default:
			return pkg, k.Line, fmt.Errorf("unknown key %q (want ecosystem and name)", k.Value)
		}
	}
	if pkg.Ecosystem == "" || pkg.Name == "" {
		return pkg, n.Line, fmt.Errorf("needs both ecosystem and name")
	}
	return pkg, 0, nil
}
