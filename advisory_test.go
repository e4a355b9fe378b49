package releaselake_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

// ghsaFixtures reads the real advisories the fake GitHub serves
// (ingest/github/githubtest/advisories.json) as advisory rows.
func ghsaFixtures(t *testing.T) map[string][]releaselake.Advisory {
	t.Helper()
	data, err := os.ReadFile("ingest/github/githubtest/advisories.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Packages []struct {
			Ecosystem, Name string
			Vulnerabilities []struct {
				Advisory struct {
					GHSAID      string `json:"ghsaId"`
					WithdrawnAt *time.Time
				}
				VulnerableVersionRange string
				FirstPatchedVersion    *struct{ Identifier string }
			}
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string][]releaselake.Advisory{}
	for _, p := range doc.Packages {
		for _, v := range p.Vulnerabilities {
			a := releaselake.Advisory{GHSAID: v.Advisory.GHSAID, VulnerableRange: v.VulnerableVersionRange, Package: p.Name}
			if v.FirstPatchedVersion != nil {
				a.FirstPatched = v.FirstPatchedVersion.Identifier
			}
			if v.Advisory.WithdrawnAt != nil {
				a.WithdrawnAt = *v.Advisory.WithdrawnAt
			}
			out[p.Name] = append(out[p.Name], a)
		}
	}
	return out
}

// Flask's GHSA-m2qf-hxjv-5gpq has two ranges, one per release line: 2.3.0 and
// 2.3.1 are affected, 2.3.2 fixes the 2.3 line; 2.2.4 is affected and 2.2.5
// fixes it; py's GHSA-w596-4wvx-j9j6 (withdrawn, no patch) covers up to 1.11.0.
func TestAdvisory_Affects_realGHSA(t *testing.T) {
	fx := ghsaFixtures(t)
	if len(fx["flask"]) != 2 || len(fx["py"]) != 1 || !fx["py"][0].Withdrawn() {
		t.Fatalf("fixtures: flask %d ranges, py %+v", len(fx["flask"]), fx["py"])
	}
	affected := func(pkg, version string) (ghsa []string, fixes []string) {
		for _, a := range fx[pkg] {
			in, ok := a.Affects(version)
			if !ok {
				t.Fatalf("%s %q cannot evaluate %s", a.GHSAID, a.VulnerableRange, version)
			}
			if in {
				ghsa = append(ghsa, a.VulnerableRange)
			}
			if a.Fixes(version) {
				fixes = append(fixes, a.VulnerableRange)
			}
		}
		return ghsa, fixes
	}
	for _, tc := range []struct {
		pkg, version    string
		inRange, fixing string
	}{
		{"flask", "2.3.0", ">= 2.3.0, < 2.3.2", ""},
		{"flask", "2.3.1", ">= 2.3.0, < 2.3.2", ""},
		{"flask", "2.3.2", "", ">= 2.3.0, < 2.3.2"},
		{"flask", "2.3.3", "", ""},
		{"flask", "2.2.4", "< 2.2.5", ""},
		{"flask", "2.2.5", "", "< 2.2.5"},
		{"flask", "0.1", "< 2.2.5", ""},
		{"flask", "2.3.0rc1", "", ""}, // after 2.2.5, before 2.3.0: in neither range
		{"py", "1.11.0", "<= 1.11.0", ""},
		{"py", "1.11.1", "", ""},
	} {
		in, fix := affected(tc.pkg, tc.version)
		got := func(l []string) string {
			if len(l) == 0 {
				return ""
			}
			return l[0]
		}
		if len(in) > 1 || got(in) != tc.inRange || got(fix) != tc.fixing {
			t.Errorf("%s %s: in %q, fixed by %q; want in %q, fixed by %q", tc.pkg, tc.version, in, fix, tc.inRange, tc.fixing)
		}
	}
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		rng, version string
		in, ok       bool
	}{
		{">= 3.0.0, < 3.5.2", "3.5.1", true, true},
		{">= 3.0.0, < 3.5.2", "3.5.2", false, true},
		{">= 3.0.0, < 3.5.2", "2.9.9", false, true},
		{"= 1.2.3", "1.2.3", true, true},
		{"= 1.2", "1.2.0", true, true}, // equal by version order
		{"<= 2.0", "2.0", true, true},
		{"> 4.2.0-M1", "4.2.0", true, true},
		{"< 5.3.0.RELEASE", "5.2.9.RELEASE", true, true},
		{"= 5.3.0", "5.3.0.RELEASE", true, true},
		{"< 1.0", "nightly", false, false}, // not a version: unknown, not "no"
		{"~> 1.2", "1.2.3", false, false},  // not GitHub's syntax
		{"", "1.0", false, false},
		{">= 1.0,", "1.0", false, false},
		{"< 1.0 || > 2.0", "3.0", false, false},
	} {
		r, err := releaselake.ParseRange(tc.rng)
		var in, ok bool
		if err == nil {
			in, ok = r.Contains(tc.version)
		}
		if in != tc.in || ok != tc.ok {
			t.Errorf("%q contains %q = %v, %v (err %v); want %v, %v", tc.rng, tc.version, in, ok, err, tc.in, tc.ok)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{">= 3.0.0, < 3.5.2", "= 1.2.3", "<= 2.0", "< 0.1", "~> 1", ""} {
		f.Add(s, "3.5.1")
	}
	f.Fuzz(func(t *testing.T, rng, version string) {
		r, err := releaselake.ParseRange(rng)
		if err != nil {
			return
		}
		in, ok := r.Contains(version)
		if in && !ok {
			t.Fatalf("%q contains %q without being able to evaluate it", rng, version)
		}
	})
}
