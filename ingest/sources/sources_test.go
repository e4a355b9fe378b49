package sources_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest"
	"github.com/releaselake/releaselake/ingest/sources"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// echo is a source kind declared in this test alone: "echo: 1.0.0,1.1.0"
// names the versions, all published on the day of its date option.
var echoKind = releaselake.SourceKind{
	Name:    "echo",
	Label:   "echo",
	Options: []releaselake.Option{releaselake.StringOption("date")},
	Check: func(p releaselake.Product) error {
		if _, err := time.Parse(time.DateOnly, p.Options.String("date")); err != nil {
			return errors.New("echo needs a date: YYYY-MM-DD")
		}
		return nil
	},
	New: func(releaselake.SourceConfig) (releaselake.Source, error) { return echo{}, nil },
}

type echo struct{}

func (echo) Kind() string { return "echo" }

func (echo) Fetch(_ context.Context, crawls []releaselake.Crawl) []releaselake.Fetched {
	out := make([]releaselake.Fetched, len(crawls))
	for i, c := range crawls {
		raw, err := json.Marshal(map[string]string{"versions": c.Product.Ref, "date": c.Product.Options.String("date")})
		out[i] = releaselake.Fetched{Product: c.Product.Key, Raw: [][]byte{raw}, Err: err}
	}
	return out
}

func (echo) Parse(p releaselake.Product, raw [][]byte, _ []releaselake.Release) (releaselake.Parsed, error) {
	var a struct{ Versions, Date string }
	if err := json.Unmarshal(raw[0], &a); err != nil {
		return releaselake.Parsed{}, err
	}
	at, err := time.Parse(time.DateOnly, a.Date)
	if err != nil {
		return releaselake.Parsed{}, err
	}
	var out releaselake.Parsed
	for _, v := range strings.Split(a.Versions, ",") {
		out.Releases = append(out.Releases, releaselake.Release{Product: p.Key, Tag: v, Version: v, Name: v,
			Source: "echo", Repo: p.Ref, DateSource: "echo", PublishedAt: at})
	}
	return out, nil
}

// A kind known only to this test is read from a catalog beside the real ones,
// its errors worded like theirs, and ingested into a lake: adding a source
// needs its package and its line in Kinds, nothing else.
func TestKinds_aKindDeclaredElsewhereParsesAndIngests(t *testing.T) {
	kinds := append(sources.Kinds[:len(sources.Kinds):len(sources.Kinds)], echoKind)
	for yaml, want := range map[string]string{
		"products:\n  - key: a\n    echo: 1.0.0\n":                   `t.yaml:2: product "a": echo needs a date: YYYY-MM-DD`,
		"products:\n  - key: a\n    pypi: a\n    date: 2026-01-02\n": `t.yaml:2: product "a": date applies to echo products only`,
		"products:\n  - key: a\n    echo: 1.0\n    dat: x\n":         `t.yaml:4: product "a": unknown key "dat"`,
		"products:\n  - key: a\n":                                    `t.yaml: line 2: product "a": needs exactly one source of github, pypi, npm, maven, feed, page, manual, echo (has 0)`,
	} {
		if _, err := catalog.Parse([]byte(yaml), "t.yaml", kinds); err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %s", yaml, err, want)
		}
	}

	cat, err := catalog.Parse([]byte("products:\n  - key: hello\n    echo: 1.0.0,1.1.0\n    date: 2026-01-02\n  - key: flask\n    pypi: flask\n"), "t.yaml", kinds)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := cat.Product("hello"); p.Kind != "echo" || p.Ref != "1.0.0,1.1.0" {
		t.Fatalf("hello is %+v", p)
	}
	srcs := map[string]releaselake.Source{}
	for _, k := range kinds {
		if srcs[k.Name], err = k.New(releaselake.SourceConfig{Settings: map[string]string{}, Log: slog.New(slog.DiscardHandler)}); err != nil {
			t.Fatal(err)
		}
	}
	store := lake.Open(localfs.New(t.TempDir()))
	r := &ingest.Runner{Lake: store, Catalog: cat, Sources: srcs}
	run, err := r.Run(context.Background(), "test", []string{"hello"})
	if err != nil || run.Status != releaselake.RunSucceeded || run.Added != 2 {
		t.Fatalf("run %+v: %v", run, err)
	}
	snap, err := store.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Releases) != 2 || snap.Releases[0].Source != "echo" || snap.Releases[0].Repo != "1.0.0,1.1.0" {
		t.Fatalf("yellow holds %+v", snap.Releases)
	}
}
