package releaselake

import (
	"regexp"
	"testing"
)

func TestVersionFromText(t *testing.T) {
	monthly := regexp.MustCompile(`(?P<month>\w+) (?P<year>\d+)`)
	plain := regexp.MustCompile(`Tableau (\d{4}\.\d+(?:\.\d+)?)`)
	named := regexp.MustCompile(`(?:beta|release) (?P<version>[\d.]+\w*)`)
	cases := []struct {
		text    string
		pattern *regexp.Regexp
		want    string
	}{
		{"November 2024", monthly, "2024.11"},
		{"sep 2024", monthly, "2024.09"},
		{"3 2025", monthly, "2025.03"},
		{"Smarch 2024", monthly, ""},
		{"13 2024", monthly, ""},
		{"May 24", monthly, ""},
		{"Tableau 2024.2.3 is out", plain, "2024.2.3"},
		{"Tableau 2024 is out", plain, ""},
		{"release 1.4.0rc1", named, "1.4.0rc1"},
		{"release 7", named, ""}, // one component is a branch, not a version
	}
	for _, tc := range cases {
		got, ok := VersionFromText(tc.text, tc.pattern)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("VersionFromText(%q, %s) = %q, %v; want %q", tc.text, tc.pattern, got, ok, tc.want)
		}
	}
}
