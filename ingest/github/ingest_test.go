package github_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest"
	"github.com/releaselake/releaselake/ingest/github"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// A product given up after its retry budget keeps the rows it had: the run
// commits the others' new rows and carries its previous ones over.
func TestIngest_droppedProductKeepsItsRows(t *testing.T) {
	flask := releaselake.Product{Key: "flask", Kind: "github", Ref: "pallets/flask"}
	seaborn := releaselake.Product{Key: "seaborn", Kind: "github", Ref: "mwaskom/seaborn"}
	cat, err := releaselake.NewCatalog([]releaselake.Product{flask, seaborn})
	if err != nil {
		t.Fatal(err)
	}
	srv := githubtest.NewServer(t)
	src := github.New(github.Config{URL: srv.URL, Token: srv.Token, Sleep: func(context.Context, time.Duration) error { return nil }})
	store := lake.Open(localfs.New(t.TempDir()))
	r := &ingest.Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sources: map[string]releaselake.Source{releaselake.KindGitHub: src}}
	ctx := context.Background()
	if _, err := r.Run(ctx, "test", nil); err != nil {
		t.Fatal(err)
	}
	before := rowsOf(t, store, seaborn.Key)
	if len(before) == 0 {
		t.Fatal("seaborn: no rows after a clean run")
	}

	// GitHub fails every request about seaborn; flask publishes a release.
	srv.SetFault(func(r *githubtest.Request) *githubtest.Fault {
		for k, v := range r.Variables {
			if strings.HasPrefix(k, "n") && v == "seaborn" {
				return githubtest.BadGateway()
			}
		}
		return nil
	})
	at := time.Now().Add(-time.Hour)
	srv.AddRelease(flask.Ref, githubtest.Release{TagName: "9.9.9", PublishedAt: at, CreatedAt: at})
	run, err := r.Run(ctx, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Version < 1 || run.Added != 1 {
		t.Errorf("run %+v: want a commit adding flask 9.9.9", run)
	}
	for _, p := range run.Products {
		if p.Product == seaborn.Key && (p.Status != "failed" || !strings.Contains(p.Error, "given up after 10 failed requests")) {
			t.Errorf("seaborn in the run record: %+v", p)
		}
	}
	if after := rowsOf(t, store, seaborn.Key); len(after) != len(before) {
		t.Errorf("seaborn: %d rows after its failed run, had %d", len(after), len(before))
	}
}

func rowsOf(t *testing.T, store *lake.Store, product string) []releaselake.Release {
	t.Helper()
	snap, err := store.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []releaselake.Release
	for _, r := range snap.Releases {
		if r.Product == product {
			out = append(out, r)
		}
	}
	return out
}
