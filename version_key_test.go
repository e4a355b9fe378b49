package releaselake

import (
	"slices"
	"testing"
)

func TestVersion_ReleaseKey_ordersAsCompareRelease(t *testing.T) {
	vs := []string{"1", "1.0", "1.0.0", "01.2", "1.2", "1.10", "1.9.9", "0.0.0.1", "0.0.0.0.1", "1.2.3.4.5",
		"18446744073709551615.1", "9999999999999999999.1", "10000000000000000000", "0000000000000000000000001.1",
		"2.0.0-rc.1", "2.0.0", "3.13.0rc2", "1.2+build", "nightly", "",
		"65535", "65535.65535.65535.65535", "4095.4095.65535.255", "4095.4096", "1.2.3.256", "65536", "20231015.1", "2023.10.15"}
	for _, a := range vs {
		for _, b := range vs {
			va, vb := VersionOf(a), VersionOf(b)
			ka, aok := va.ReleaseKey()
			kb, bok := vb.ReleaseKey()
			if !aok || !bok {
				continue
			}
			want := compareRelease(va.s[:va.relEnd], vb.s[:vb.relEnd])
			if got := slices.Compare(ka[:], kb[:]); got != want {
				t.Errorf("%q vs %q: release keys compare %d; compareRelease %d", a, b, got, want)
			}
		}
	}
	for _, s := range []string{"1.2.3.4.5", "10000000000000000000", "nightly", ""} {
		if _, ok := VersionOf(s).ReleaseKey(); ok {
			t.Errorf("VersionOf(%q).ReleaseKey() is ok; want it left to Compare", s)
		}
	}
}
