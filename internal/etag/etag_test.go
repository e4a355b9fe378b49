package etag

import "testing"

func TestNoneMatch(t *testing.T) {
	for _, tc := range []struct {
		header, etag string
		want         bool
	}{
		{`"v1-x"`, `"v1-x"`, true},
		{`W/"v1-x"`, `"v1-x"`, true},
		{`"v1-x"`, `W/"v1-x"`, true},
		{`"a", "v1-x"`, `"v1-x"`, true},
		{`"a",W/"v1-x" `, `"v1-x"`, true},
		{`*`, `"v1-x"`, true},
		{`"v2-x"`, `"v1-x"`, false},
		{`v1-x`, `"v1-x"`, false},
		{``, `"v1-x"`, false},
		{`"v1-x-longer"`, `"v1-x"`, false},
	} {
		if got := NoneMatch(tc.header, tc.etag); got != tc.want {
			t.Errorf("NoneMatch(%s, %s) = %v, want %v", tc.header, tc.etag, got, tc.want)
		}
	}
}
