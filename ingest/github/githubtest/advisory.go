package githubtest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Security advisories: Query.securityVulnerabilities(ecosystem, package, first,
// after, orderBy{UPDATED_AT}), one SecurityVulnerability per vulnerable range, with
// its SecurityAdvisory. The data starts as advisories.json (real advisories of the
// GitHub advisory database); AddVulnerability adds or replaces one.

// Vulnerability is one vulnerable range of a GitHub security advisory, in the shape
// of GitHub's SecurityVulnerability.
type Vulnerability struct {
	Advisory struct {
		GHSAID      string     `json:"ghsaId"`
		Summary     string     `json:"summary"`
		Severity    string     `json:"severity"` // LOW, MODERATE, HIGH, CRITICAL
		PublishedAt time.Time  `json:"publishedAt"`
		WithdrawnAt *time.Time `json:"withdrawnAt"`
		Permalink   string     `json:"permalink"`
	} `json:"advisory"`
	VulnerableVersionRange string `json:"vulnerableVersionRange"`
	FirstPatchedVersion    *struct {
		Identifier string `json:"identifier"`
	} `json:"firstPatchedVersion"`
	UpdatedAt time.Time `json:"updatedAt"`
}

//go:embed advisories.json
var advisoriesJSON []byte

// AdvisoryPackage is a package of advisories.json with its vulnerabilities.
type AdvisoryPackage struct {
	Ecosystem       string          `json:"ecosystem"`
	Name            string          `json:"name"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
}

// Advisories returns the advisories the server starts with, by package.
func Advisories() ([]AdvisoryPackage, error) {
	var doc struct {
		Packages []AdvisoryPackage `json:"packages"`
	}
	if err := json.Unmarshal(advisoriesJSON, &doc); err != nil {
		return nil, fmt.Errorf("advisories.json: %w", err)
	}
	return doc.Packages, nil
}

func packageKey(ecosystem, name string) string { return ecosystem + "\x00" + strings.ToLower(name) }

// vulnerabilities returns the server's vulnerabilities of a package, loading
// advisories.json on first use; s.mu is held.
func (s *Server) vulnerabilities(ecosystem, name string) []Vulnerability {
	if s.vulns == nil {
		s.vulns = map[string][]Vulnerability{}
		pkgs, err := Advisories()
		if err != nil {
			s.errorf("%v", err)
		}
		for _, p := range pkgs {
			s.vulns[packageKey(p.Ecosystem, p.Name)] = p.Vulnerabilities
		}
	}
	return s.vulns[packageKey(ecosystem, name)]
}

// AddVulnerability adds v to the package's vulnerabilities, replacing the one of
// the same advisory and range.
func (s *Server) AddVulnerability(ecosystem, name string, v Vulnerability) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := slices.Clone(s.vulnerabilities(ecosystem, name))
	list = slices.DeleteFunc(list, func(o Vulnerability) bool {
		return o.Advisory.GHSAID == v.Advisory.GHSAID && o.VulnerableVersionRange == v.VulnerableVersionRange
	})
	s.vulns[packageKey(ecosystem, name)] = append(list, v)
}

// securityVulnerabilities lists a package's vulnerabilities, UPDATED_AT DESC
// unless orderBy says otherwise. Without ecosystem or package it lists nothing:
// the fake holds no advisory database beyond the packages it was given.
func (s *Server) securityVulnerabilities(args map[string]any) (any, *Error) {
	eco, _ := args["ecosystem"].(string)
	name, _ := args["package"].(string)
	field, desc := orderBy(args, "UPDATED_AT", true)
	var items []connItem
	for _, v := range s.vulnerabilities(eco, name) {
		key := v.Advisory.GHSAID + "|" + v.VulnerableVersionRange
		if field == "UPDATED_AT" {
			key = timeKey(v.UpdatedAt) + "|" + key
		}
		items = append(items, connItem{key, &vulnObj{v, eco, name}})
	}
	return paginate("SecurityVulnerabilityConnection", "vulns/"+field, ordered(items, desc), desc, args)
}

type vulnObj struct {
	v              Vulnerability
	ecosystem, pkg string
}

func (*vulnObj) typename() string { return "SecurityVulnerability" }

func (o *vulnObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	switch f.Name {
	case "advisory":
		return &advisoryObj{o.v}, nil
	case "vulnerableVersionRange":
		return o.v.VulnerableVersionRange, nil
	case "firstPatchedVersion":
		if o.v.FirstPatchedVersion == nil {
			return nil, nil
		}
		return &patchObj{o.v.FirstPatchedVersion.Identifier}, nil
	case "updatedAt":
		return dateTime(o.v.UpdatedAt), nil
	case "severity":
		return o.v.Advisory.Severity, nil
	case "package":
		return &packageObj{o.ecosystem, o.pkg}, nil
	}
	return nil, nil
}

type advisoryObj struct{ v Vulnerability }

func (*advisoryObj) typename() string { return "SecurityAdvisory" }

func (o *advisoryObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	a := o.v.Advisory
	switch f.Name {
	case "ghsaId":
		return a.GHSAID, nil
	case "summary":
		return a.Summary, nil
	case "severity":
		return a.Severity, nil
	case "publishedAt":
		return dateTime(a.PublishedAt), nil
	case "withdrawnAt":
		if a.WithdrawnAt == nil {
			return nil, nil
		}
		return dateTime(*a.WithdrawnAt), nil
	case "permalink":
		return a.Permalink, nil
	case "updatedAt":
		return dateTime(o.v.UpdatedAt), nil
	}
	return nil, nil
}

type patchObj struct{ identifier string }

func (*patchObj) typename() string { return "SecurityAdvisoryPackageVersion" }

func (o *patchObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	if f.Name == "identifier" {
		return o.identifier, nil
	}
	return nil, nil
}

type packageObj struct{ ecosystem, name string }

func (*packageObj) typename() string { return "SecurityAdvisoryPackage" }

func (o *packageObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	switch f.Name {
	case "ecosystem":
		return o.ecosystem, nil
	case "name":
		return o.name, nil
	}
	return nil, nil
}
