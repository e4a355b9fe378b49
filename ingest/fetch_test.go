package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch/fetchtest"
	"github.com/releaselake/releaselake/ingest/maven"
	"github.com/releaselake/releaselake/ingest/pypi"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// hangingMaven is a Maven repository of one artifact whose POMs, once hang is
// set, are never answered (the request waits until the client gives up).
type hangingMaven struct {
	mu       sync.Mutex
	versions []string
	hang     bool
}

func (m *hangingMaven) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	versions, hang := m.versions, m.hang
	m.mu.Unlock()
	const dir = "/org/example/lib/"
	rest, ok := strings.CutPrefix(r.URL.Path, dir)
	switch {
	case !ok:
		http.NotFound(w, r)
	case rest == "maven-metadata.xml":
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><metadata><groupId>org.example</groupId><artifactId>lib</artifactId><versioning><versions>`)
		for _, v := range versions {
			fmt.Fprintf(&b, "<version>%s</version>", v)
		}
		b.WriteString(`</versions></versioning></metadata>`)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, b.String())
	case hang:
		<-r.Context().Done()
	default:
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2026 15:04:05 GMT")
	}
}

func TestRunner_Run_deadlineCommitsWhatWasFetched(t *testing.T) {
	cat, err := releaselake.NewCatalog([]releaselake.Product{
		{Key: "lib", Kind: "maven", Ref: "org.example:lib"}, {Key: "sample", Kind: "pypi", Ref: "sampleproject"},
	})
	if err != nil {
		t.Fatal(err)
	}
	mvn := &hangingMaven{versions: []string{"1.0.0"}}
	mvnURL, mvnClient := fetchtest.Serve(t, mvn)
	doc, err := os.ReadFile("pypi/testdata/sampleproject.json")
	if err != nil {
		t.Fatal(err)
	}
	pypiURL, pypiClient := fetchtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/pypi/sampleproject/json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	}))
	store := lake.Open(localfs.New(t.TempDir()))
	r := &Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Timeout: 2 * time.Second,
		Sources: map[string]releaselake.Source{"maven": maven.New(mvnURL, mvnClient), "pypi": pypi.New(pypiURL, pypiClient)}}
	ctx := context.Background()
	if run, err := r.Run(ctx, "test", []string{"lib"}); err != nil || run.Status != releaselake.RunSucceeded || run.Rows != 1 {
		t.Fatalf("first run: %+v, %v", run, err)
	}

	// A new version whose POM never answers: the run ends at its deadline, with
	// PyPI's product committed and lib's row kept.
	mvn.mu.Lock()
	mvn.versions, mvn.hang = []string{"1.0.0", "1.1.0"}, true
	mvn.mu.Unlock()
	start := time.Now()
	run, err := r.Run(ctx, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second+3*time.Second {
		t.Errorf("the run took %v with a deadline of 2s", took)
	}
	if run.Status != releaselake.RunPartial || run.Version != 1 || !strings.Contains(run.Error, "deadline of 2s") {
		t.Fatalf("run %+v", run)
	}
	for _, p := range run.Products {
		switch p.Product {
		case "lib":
			if p.Status != "failed" || !strings.HasPrefix(p.Error, "not answered within the run's deadline of 2s: maven org.example:lib") ||
				p.Reason != "not answered within the run's deadline" {
				t.Errorf("lib: %+v", p)
			}
		case "sample":
			if p.Status != "ok" || p.Releases == 0 {
				t.Errorf("sample: %+v", p)
			}
		}
	}
	snap, err := store.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	for _, rel := range snap.Releases {
		rows[rel.Product]++
	}
	if rows["lib"] != 1 || rows["sample"] == 0 {
		t.Fatalf("rows by product after the deadline: %v", rows)
	}
}

func TestRunner_Run_sourcesFetchAtOnce(t *testing.T) {
	cat, err := releaselake.NewCatalog([]releaselake.Product{
		{Key: "a", Kind: "github", Ref: "o/a"}, {Key: "c", Kind: "pypi", Ref: "c"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each source's fetch waits for the other's to begin: one after the other,
	// the first would give up.
	var begun atomic.Int32
	both := make(chan struct{})
	overlap := func(ctx context.Context, p releaselake.Product) ([][]byte, error) {
		if begun.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
			return [][]byte{[]byte(`{"tags":["v1.0.0"]}`)}, nil
		case <-time.After(2 * time.Second):
			return nil, errors.New("the other source did not fetch meanwhile")
		}
	}
	r := &Runner{Lake: lake.Open(localfs.New(t.TempDir())), Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sources: map[string]releaselake.Source{
			"github": &fakeSource{kind: "github", fetchCtx: overlap},
			"pypi":   &fakeSource{kind: "pypi", fetchCtx: overlap},
		}}
	run, err := r.Run(context.Background(), "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != releaselake.RunSucceeded || run.Rows != 2 {
		t.Fatalf("run %+v", run)
	}
	// The record keeps the kinds' order.
	if len(run.Products) != 2 || run.Products[0].Product != "a" || run.Products[1].Product != "c" {
		t.Fatalf("products %+v", run.Products)
	}
}
