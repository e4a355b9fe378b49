package webhook_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest/sources"
	"github.com/releaselake/releaselake/ingest/webhook"
)

func testCatalog(t *testing.T) *releaselake.Catalog {
	t.Helper()
	c, err := catalog.Parse([]byte("products:\n  - key: flask\n    github: pallets/flask\n  - key: go\n    github: golang/go\n"), "catalog.yaml", sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParse_refusesWithFileAndLine(t *testing.T) {
	many := "targets:\n"
	for i := range webhook.MaxTargets + 1 {
		many += fmt.Sprintf("  - {url: 'https://h/%d', secret: s}\n", i)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"no targets", "targets: []\n", "hooks.yaml: want a targets: list"},
		{"unknown top key", "hooks:\n  - url: https://h/\n", "hooks.yaml:1: unknown top-level key \"hooks\""},
		{"unknown key", "targets:\n  - url: https://h/\n    secret: s\n    product: [flask]\n", "hooks.yaml:2: unknown key \"product\""},
		{"not http", "targets:\n  - url: ftp://h/x\n    secret: s\n", "hooks.yaml:2: url: want http(s)"},
		{"no host", "targets:\n  - url: https:///x\n    secret: s\n", "hooks.yaml:2: url: want http(s)"},
		{"json without secret", "targets:\n  - url: https://h/x\n", "hooks.yaml:2: a json target needs a secret"},
		{"unknown product", "targets:\n  - url: https://h/x\n    secret: s\n    products: [flask, rails]\n", "hooks.yaml:2: products: \"rails\" is not a catalog product key"},
		{"bad format", "targets:\n  - url: https://h/x\n    format: teams\n", "hooks.yaml:2: format \"teams\": want json or slack"},
		{"same url twice", "targets:\n  - {url: 'https://h/x', secret: s}\n  - {url: 'https://h/x', secret: t}\n", "hooks.yaml:3: the same url as the target at line 2"},
		{"too many", many, fmt.Sprintf("hooks.yaml:%d: %d targets: at most %d", webhook.MaxTargets+2, webhook.MaxTargets+1, webhook.MaxTargets)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := webhook.Parse([]byte(tc.yaml), "hooks.yaml", testCatalog(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) || releaselake.ClassOf(err) != releaselake.Invalid {
				t.Fatalf("error = %v (class %s), want Invalid containing %q", err, releaselake.ClassOf(err), tc.want)
			}
		})
	}
}

func TestParse_defaultsAndIDs(t *testing.T) {
	ts, err := webhook.Parse([]byte("targets:\n  - url: https://hooks.example/a\n    secret: s\n  - url: https://hooks.slack.com/services/T/B/x\n    format: slack\n    products: [go]\n    prerelease: true\n"), "hooks.yaml", testCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	a, s := ts[0], ts[1]
	if a.Format != webhook.FormatJSON || a.Prerelease || len(a.Products) != 0 || string(a.Secret) != "s" {
		t.Errorf("first target = %+v, want json, GA only, every product", a)
	}
	if s.Format != webhook.FormatSlack || !s.Prerelease || s.Host() != "hooks.slack.com" || len(s.Secret) != 0 {
		t.Errorf("second target = %+v", s)
	}
	if len(a.ID) != 12 || a.ID == s.ID || strings.Contains(s.ID, "slack") {
		t.Errorf("ids %q and %q: want 12 hex digits each, different", a.ID, s.ID)
	}
	ga, pre := &releaselake.Release{Product: "go"}, &releaselake.Release{Product: "go", Prerelease: true}
	if !a.Matches(ga) || a.Matches(pre) || !s.Matches(pre) || s.Matches(&releaselake.Release{Product: "flask"}) {
		t.Error("Matches does not follow products and prerelease")
	}
}
