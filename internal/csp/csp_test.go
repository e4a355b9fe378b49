package csp

import (
	"strings"
	"testing"
)

func TestPolicy_allowsTheInlineBlocksByHash(t *testing.T) {
	p := Policy("<style>b{}</style><script>x()</script><script src=a.js></script>", "connect-src 'self'")
	for _, want := range []string{
		"script-src 'self' 'sha256-", "style-src 'self' 'sha256-", "frame-ancestors 'none'", "connect-src 'self'",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("%q lacks %q", p, want)
		}
	}
	if s, st := Hashes("<script>x()</script>"); len(s) != 1 || len(st) != 0 || s[0] != "'sha256-"+"D6IGS8VMvCoyaR/l0h9tERrBTATY01CoPS7l6xDv0kI="+"'" {
		t.Errorf("hashes %v %v", s, st)
	}
}
