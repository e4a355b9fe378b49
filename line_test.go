package releaselake_test

import (
	"testing"

	"github.com/releaselake/releaselake"
)

// Lines name the leading components as numbers, as the version order reads them.
func TestVersion_Line(t *testing.T) {
	for _, c := range []struct {
		version    string
		major, min string
	}{
		{"4.1.0-M1", "4", "4.1"},
		{"2.3.0.RELEASE", "2", "2.3"},
		{"0.10.0.0", "0", "0.10"},
		{"1", "1", "1.0"},
		{"24.04", "24", "24.4"},
		{"23.09.0-dev", "23", "23.9"},
		{"007.00.1", "7", "7.0"},
		{"20231005", "20231005", "20231005.0"},
		{"3.13.0rc2", "3", "3.13"},
		{"0.3.1+b85", "0", "0.3"},
	} {
		v := releaselake.VersionOf(c.version)
		major, ok1 := v.Line(releaselake.LineMajor)
		minor, ok2 := v.Line(releaselake.LineMinor)
		if !ok1 || !ok2 || major != c.major || minor != c.min {
			t.Errorf("%q: lines %q %v, %q %v; want %q, %q", c.version, major, ok1, minor, ok2, c.major, c.min)
		}
	}
	if l, ok := releaselake.VersionOf("nightly").Line(releaselake.LineMinor); ok {
		t.Errorf("nightly is in the line %q", l)
	}
}
