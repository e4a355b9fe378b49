package releaselake

import "testing"

func TestSafeURL(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"https://github.com/vuejs/core/releases/tag/v3.5.0", "https://github.com/vuejs/core/releases/tag/v3.5.0", true},
		{" HTTP://example.com/x ", "HTTP://example.com/x", true},
		{"https://user:PASS@mirror.example/pypi/x/1.0/", "https://mirror.example/pypi/x/1.0/", true},
		{"https://example.com/a@b", "https://example.com/a@b", true},
		{"javascript:alert(1)", "", false},
		{"JavaScript:alert(1)", "", false},
		{" javascript:alert(1)", "", false},
		{"java\tscript:alert(1)", "", false},
		{"data:text/html,<script>alert(1)</script>", "", false},
		{"vbscript:msgbox(1)", "", false},
		{"/relative/path", "", false},
		{"//example.com/x", "", false},
		{"ftp://example.com/x", "", false},
		{"https://", "", false},
		{"https://example.com/\nx", "", false},
	}
	for _, c := range cases {
		got, ok := SafeURL(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("SafeURL(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"http://user:PASS@host:8080/pypi": "http://host:8080/pypi",
		"https://TOKEN@host/x?a=b@c":      "https://host/x?a=b@c",
		"https://host/path@x":             "https://host/path@x",
		"http://u:p@ss@host/":             "http://host/",
		"no url here":                     "no url here",
		"https://api.github.com/graphql":  "https://api.github.com/graphql",
	}
	for in, want := range cases {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	bare, user := SplitUserInfo("http://user:PASS@host/simple")
	if pw, _ := user.Password(); bare != "http://host/simple" || user.Username() != "user" || pw != "PASS" {
		t.Errorf("SplitUserInfo: %q %v", bare, user)
	}
}
