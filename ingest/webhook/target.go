// Package webhook tells HTTP receivers of the releases each yellow commit
// brings: after each ingest run, one signed POST per target and per version
// not yet delivered to it, read from the lake's change feed, with what was
// delivered remembered in the lake (_state/webhooks/<target id>.json) so a
// failed delivery is retried by the next run and none is repeated after a
// restart. docs/webhooks.md is the receiver's side of it.
package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/releaselake/releaselake"
)

// MaxTargets bounds the targets of one file: each costs a POST and a state
// read per run, and a label value in the metrics.
const MaxTargets = 20

// Formats of a target's body.
const (
	FormatJSON  = "json"  // the documented JSON body, signed
	FormatSlack = "slack" // a Slack incoming-webhook message (text + blocks)
)

// Target is one receiver of the webhooks file.
type Target struct {
	ID         string   // hex of the URL's SHA-256, first 12 digits: names the target in state, logs and metrics
	URL        string   // never logged: a Slack webhook URL is itself a credential
	Secret     []byte   // HMAC secret of the signature; empty: unsigned (slack only)
	Products   []string // catalog keys; none: every product
	Prerelease bool     // also deliver new prereleases
	Format     string   // FormatJSON or FormatSlack
	Line       int      // where the target starts in the file
}

// Host is the URL's host, what logs and run records say of a target beside its id.
func (t Target) Host() string {
	u, err := url.Parse(t.URL)
	if err != nil {
		return ""
	}
	return u.Host
}

// Matches reports whether r is of the target's products and, unless the
// target takes prereleases, not a prerelease.
func (t Target) Matches(r *releaselake.Release) bool {
	if r.Prerelease && !t.Prerelease {
		return false
	}
	if len(t.Products) == 0 {
		return true
	}
	for _, p := range t.Products {
		if p == r.Product {
			return true
		}
	}
	return false
}

// Load reads and validates the webhooks file at path against the catalog.
// Errors are class Invalid and name the file and line, as the catalog's do.
func Load(path string, catalog *releaselake.Catalog) ([]Target, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, releaselake.Wrap(releaselake.Invalid, err, "read the webhooks file")
	}
	return Parse(data, path, catalog)
}

// Parse validates webhooks YAML; name is used in error messages.
func Parse(data []byte, name string, catalog *releaselake.Catalog) ([]Target, error) {
	invalid := func(line int, format string, args ...any) error {
		return releaselake.Errorf(releaselake.Invalid, "%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, releaselake.Errorf(releaselake.Invalid, "%s: %v", name, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, releaselake.Errorf(releaselake.Invalid, "%s: want a mapping with a targets: list", name)
	}
	top := doc.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k := top.Content[i]
		if k.Value != "targets" {
			return nil, invalid(k.Line, "unknown top-level key %q (want targets)", k.Value)
		}
		if list != nil {
			return nil, invalid(k.Line, "targets given twice")
		}
		list = top.Content[i+1]
	}
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		return nil, releaselake.Errorf(releaselake.Invalid, "%s: want a targets: list of at least one target", name)
	}
	if len(list.Content) > MaxTargets {
		return nil, invalid(list.Content[MaxTargets].Line, "%d targets: at most %d", len(list.Content), MaxTargets)
	}
	var out []Target
	seen := map[string]int{}
	for _, n := range list.Content {
		t, err := target(n, catalog)
		if err != nil {
			return nil, invalid(n.Line, "%v", err)
		}
		if first, ok := seen[t.ID]; ok {
			return nil, invalid(n.Line, "the same url as the target at line %d", first)
		}
		seen[t.ID] = n.Line
		out = append(out, t)
	}
	return out, nil
}

// entry is a target as the file spells it.
type entry struct {
	URL        string   `yaml:"url"`
	Secret     string   `yaml:"secret"`
	Products   []string `yaml:"products"`
	Prerelease bool     `yaml:"prerelease"`
	Format     string   `yaml:"format"`
}

var keys = []string{"url", "secret", "products", "prerelease", "format"}

func target(n *yaml.Node, catalog *releaselake.Catalog) (Target, error) {
	if n.Kind != yaml.MappingNode {
		return Target{}, fmt.Errorf("a target is a mapping of %s", strings.Join(keys, ", "))
	}
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i].Value
		known := false
		for _, key := range keys {
			known = known || key == k
		}
		if !known {
			return Target{}, fmt.Errorf("unknown key %q (want %s)", k, strings.Join(keys, ", "))
		}
	}
	var e entry
	if err := n.Decode(&e); err != nil {
		return Target{}, fmt.Errorf("%v", err)
	}
	t := Target{URL: e.URL, Products: e.Products, Prerelease: e.Prerelease, Format: e.Format, Line: n.Line}
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Target{}, fmt.Errorf("url: want http(s)://host[:port]/path")
	}
	sum := sha256.Sum256([]byte(e.URL))
	t.ID = hex.EncodeToString(sum[:6])
	switch e.Format {
	case "":
		t.Format = FormatJSON
	case FormatJSON, FormatSlack:
	default:
		return Target{}, fmt.Errorf("format %q: want json or slack", e.Format)
	}
	// The secret is in the file, beside URLs that are credentials too (a
	// Slack webhook's): the file is the one secret to protect.
	t.Secret = []byte(e.Secret)
	if e.Secret == "" && t.Format == FormatJSON {
		return Target{}, fmt.Errorf("a json target needs a secret: its receiver verifies the signature")
	}
	for _, p := range e.Products {
		if _, ok := catalog.Product(p); !ok {
			return Target{}, fmt.Errorf("products: %q is not a catalog product key", p)
		}
	}
	return t, nil
}
