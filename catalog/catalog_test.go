package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/sources"
)

func TestDefault_has49ProductsWithOneSourceEach(t *testing.T) {
	c, err := Default(sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	ps := c.Products()
	if len(ps) != 49 {
		t.Fatalf("default catalog has %d products, want 49", len(ps))
	}
	want := strings.Fields(`python hive spark hadoop airflow prometheus grafana datahub elasticsearch delta_lake kafka
		pandas graphql-js rails react tailwind mobx vuex node django rabbitmq kubernetes gatsby tableau flask fastapi
		seaborn queryme storybook vue express recoil springboot redux grpc nuxt celery mybatis matplotlib angular next
		redash nest laravel liquibase emotion spring powerbi numpy`)
	for _, k := range want {
		p, ok := c.Product(k)
		if !ok {
			t.Errorf("product %q missing", k)
			continue
		}
		if p.Category == "" {
			t.Errorf("product %q has no category (the page groups by it)", k)
		}
		if p.Source() == "" || p.Name == "" {
			t.Errorf("product %q: source %q name %q", k, p.Source(), p.Name)
		}
	}
	if p, _ := c.Product("vue"); p.Ref != "vuejs/core" {
		t.Errorf("vue is %q, want vuejs/core (Vue 3)", p.Ref)
	}
}

func TestParse_errorsNameEntryAndLine(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown key", "products:\n  - key: a\n    github: o/a\n    githb: x\n", `:4: product "a": unknown key "githb"`},
		{"two sources", "products:\n  - key: a\n    github: o/a\n    pypi: a\n", `line 2: product "a": needs exactly one source`},
		{"no source", "products:\n  - key: a\n", `line 2: product "a": needs exactly one source`},
		{"bad regex", "products:\n  - key: a\n    github: o/a\n    tag_pattern: '^v(('\n", `:4: product "a": tag_pattern: error parsing regexp`},
		{"duplicate", "products:\n  - key: a\n    github: o/a\n  - key: a\n    pypi: a\n", `line 4: product "a": duplicate key (first at line 2)`},
		{"no key", "products:\n  - github: o/a\n", `:2: product entry has no key`},
		{"bad key", "products:\n  - key: A B\n    github: o/a\n", `line 2: product "A B": key must match`},
		{"pattern without group", "products:\n  - key: a\n    github: o/a\n    tag_pattern: '^v'\n", `capture group`},
		{"top-level typo", "product:\n  - key: a\n", `:1: unknown top-level key "product"`},
		{"not yaml", "products: [\n", `test.yaml:`},
		{"key twice in an entry", "products:\n  - key: a\n    github: o/a\n    github: o/b\n", `:4: product "a": github given twice (first at line 3)`},
		{"bad homepage", "products:\n  - key: a\n    github: o/a\n    homepage: 'javascript:alert(1)'\n", `:4: product "a": homepage: want an http or https URL`},
		{"long category", "products:\n  - key: a\n    github: o/a\n    category: '" + strings.Repeat("x", 61) + "'\n", `:4: product "a": category: longer than 60 bytes`},
		{"products twice", "products:\n  - key: a\n    github: o/a\nproducts:\n  - key: b\n    github: o/b\n", `:4: products given twice (first at line 1)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test.yaml", sources.Kinds)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "test.yaml") {
				t.Fatalf("error %q, want it to start with the file name and contain %q", err, tc.want)
			}
			if releaselake.ClassOf(err) != releaselake.Invalid {
				t.Fatalf("class %v, want Invalid", releaselake.ClassOf(err))
			}
		})
	}
}

func TestParse_factsEveryKindAccepts(t *testing.T) {
	y := "products:\n  - key: a\n    pypi: a\n    category: Data\n    homepage: ' https://a.example/ '\n    description: A thing.\n"
	c, err := Parse([]byte(y), "test.yaml", sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := c.Product("a")
	if p.Category != "Data" || p.Homepage != "https://a.example/" || p.Description != "A thing." || len(p.Options) != 0 {
		t.Fatalf("facts %+v", p)
	}
}

func TestLoad_fileReplacesDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("products:\n  - key: flask\n    github: pallets/flask\n    tags: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Products()); n != 1 {
		t.Fatalf("%d products, want 1", n)
	}
	p, _ := c.Product("flask")
	if !p.Options.Bool("tags") || p.Name != "flask" || p.Line != 2 {
		t.Fatalf("got %+v", p)
	}
	if _, err := c.Select([]string{"flask", "nope", "zzz"}); err == nil || !strings.Contains(err.Error(), "nope, zzz") {
		t.Fatalf("Select unknown: %v", err)
	}
}

func TestParse_packageKey(t *testing.T) {
	c, err := Parse([]byte("products:\n  - key: a\n    github: o/a\n    package: {ecosystem: MAVEN, name: 'org.x:y'}\n  - key: b\n    pypi: b\n"), "test.yaml", sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Product("a")
	b, _ := c.Product("b")
	if got := releaselake.PackageOf(a); got != (releaselake.Package{Ecosystem: "MAVEN", Name: "org.x:y"}) {
		t.Errorf("a's package = %+v", got)
	}
	if got := releaselake.PackageOf(b); got != (releaselake.Package{Ecosystem: "PIP", Name: "b"}) {
		t.Errorf("b's package = %+v (its pypi source gives it)", got)
	}
	d, err := Default(sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]releaselake.Package{
		"django":     {Ecosystem: "PIP", Name: "django"},
		"flask":      {Ecosystem: "PIP", Name: "flask"},
		"springboot": {Ecosystem: "MAVEN", Name: "org.springframework.boot:spring-boot"},
		"react":      {Ecosystem: "NPM", Name: "react"},
	} {
		if p, _ := d.Product(key); releaselake.PackageOf(p) != want {
			t.Errorf("default %s: package %+v, want %+v", key, releaselake.PackageOf(p), want)
		}
	}
}

func TestParse_packageKeyErrors(t *testing.T) {
	head := "products:\n  - key: a\n    github: o/a\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"scalar", head + "    package: django\n", `test.yaml:4: product "a": package: want a mapping`},
		{"bad ecosystem", head + "    package:\n      ecosystem: PYPI\n      name: x\n", `test.yaml:5: product "a": package: ecosystem "PYPI": want one of PIP, NPM`},
		{"no name", head + "    package: {ecosystem: PIP}\n", `test.yaml:4: product "a": package: needs both ecosystem and name`},
		{"unknown part", head + "    package:\n      ecosystem: PIP\n      name: x\n      version: 1\n", `test.yaml:7: product "a": package: unknown key "version"`},
		{"nested", head + "    package:\n      ecosystem: PIP\n      name: [x]\n", `test.yaml:6: product "a": package: name must be a single value`},
		{"control char", head + "    package: {ecosystem: PIP, name: \"a\\x01\"}\n", `package: name: contains a control character`},
		{"twice", head + "    package: {ecosystem: PIP, name: x}\n    package: {ecosystem: PIP, name: y}\n", `test.yaml:5: product "a": package given twice (first at line 4)`},
		{"pypi gives it", "products:\n  - key: a\n    pypi: a\n    package: {ecosystem: PIP, name: x}\n", `test.yaml:4: product "a": package: the pypi source names the package already`},
	} {
		_, err := Parse([]byte(tc.yaml), "test.yaml", sources.Kinds)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}
