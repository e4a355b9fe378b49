package synth_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest"
	"github.com/releaselake/releaselake/ingest/github"
	"github.com/releaselake/releaselake/ingest/sources"
	"github.com/releaselake/releaselake/synth"
)

func newPlan(t *testing.T, products, releases int, seed int64) *synth.Plan {
	t.Helper()
	p, err := synth.NewPlan(synth.Config{Products: products, Releases: releases, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// generate returns the plan's catalog and red table.
func generate(t *testing.T, p *synth.Plan) (cat, red []byte) {
	t.Helper()
	var c, r bytes.Buffer
	if err := p.WriteCatalog(&c); err != nil {
		t.Fatal(err)
	}
	n, err := p.WriteRed(&r)
	if err != nil || n != int64(r.Len()) {
		t.Fatalf("WriteRed: %d bytes, %v (wrote %d)", n, err, r.Len())
	}
	return c.Bytes(), r.Bytes()
}

func TestPlan_sameSeedSameBytes(t *testing.T) {
	sum := func(seed int64) [2][32]byte {
		c, r := generate(t, newPlan(t, 200, 20000, seed))
		return [2][32]byte{sha256.Sum256(c), sha256.Sum256(r)}
	}
	if a, b := sum(7), sum(7); a != b {
		t.Fatal("two runs with seed 7 differ")
	}
	if a, b := sum(7), sum(8); a[0] == b[0] || a[1] == b[1] {
		t.Fatal("seeds 7 and 8 give the same output")
	}
	if a, b := newPlan(t, 3, 30, 7).RunID(), newPlan(t, 3, 30, 8).RunID(); a == b || !strings.HasPrefix(a, "20261101T000000Z-") {
		t.Fatalf("run ids %q, %q", a, b)
	}
}

func TestPlan_countsAndSkew(t *testing.T) {
	p := newPlan(t, 2000, 200000, 1)
	if len(p.Products) != 2000 || p.Rows() != 200000 {
		t.Fatalf("%d products, %d rows; want 2000, 200000", len(p.Products), p.Rows())
	}
	sizes := make([]int, len(p.Products))
	for i, pr := range p.Products {
		if pr.Rows < 1 {
			t.Fatalf("%s has %d rows", pr.Key, pr.Rows)
		}
		sizes[i] = pr.Rows
	}
	slices.Sort(sizes)
	median, top := sizes[len(sizes)/2], sizes[len(sizes)-1]
	if median < 10 || median > 80 || top < 1000 {
		t.Fatalf("median %d rows, largest %d: want tens for most products and thousands for some", median, top)
	}
	if _, err := synth.NewPlan(synth.Config{Products: 10, Releases: 5}); err == nil {
		t.Fatal("NewPlan with fewer releases than products: no error")
	}
}

// Every product parses, through the real GitHub parser and the real catalog
// loader, to exactly the rows the plan says, and the styles a real catalog has
// all show up.
func TestPlan_parsesToPlannedRows(t *testing.T) {
	p := newPlan(t, 400, 40000, 3)
	catYAML, red := generate(t, p)
	cat, err := catalog.Parse(catYAML, "catalog.yaml", sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string][][]byte{}
	for line := range bytes.Lines(red) {
		var rl ingest.RedLine
		if err := json.Unmarshal(line, &rl); err != nil {
			t.Fatalf("red line is not a RedLine: %v\n%s", err, line)
		}
		answers[rl.Product] = append(answers[rl.Product], rl.Answer)
	}
	src := github.New(github.Config{})
	total, ignored := 0, 0
	seen := map[string]bool{}
	modes := map[string]bool{}
	for _, pr := range p.Products {
		cp, ok := cat.Product(pr.Key)
		if !ok {
			t.Fatalf("%s is not in the catalog", pr.Key)
		}
		res, err := src.Parse(cp, answers[pr.Key], nil)
		if err != nil {
			t.Fatalf("%s: %v", pr.Key, err)
		}
		if len(res.Releases) != pr.Rows {
			var tags []string
			for _, r := range res.Releases {
				tags = append(tags, r.Tag)
			}
			t.Fatalf("%s (%s): %d rows (%d ignored), want %d; first tags %q", pr.Key, pr.Style, len(res.Releases), res.Ignored, pr.Rows, tags[:min(8, len(tags))])
		}
		total += len(res.Releases)
		ignored += res.Ignored
		seen[pr.Style] = true
		for _, r := range res.Releases {
			modes[r.Source] = true
			modes[r.DateSource] = true
			if r.Prerelease {
				modes["prerelease"] = true
			}
		}
	}
	if total != 40000 {
		t.Fatalf("%d rows, want 40000", total)
	}
	if ignored == 0 {
		t.Error("no tag was ignored: no stray or sibling tags")
	}
	for _, s := range synth.Styles() {
		if !seen[s] {
			t.Errorf("no product of style %s", s)
		}
	}
	for _, m := range []string{releaselake.SourceGitHubRelease, releaselake.SourceGitHubTag,
		releaselake.DateReleasePublished, releaselake.DateTagger, releaselake.DateCommit, "prerelease"} {
		if !modes[m] {
			t.Errorf("no row with %s", m)
		}
	}
	for _, want := range []string{`tags: true`, `tag_pattern: '^(\d`, `-plugin@`, `"tagName":"v`, `"name":"rel/release-`, `rc.1"`, `rc1"`,
		`-canary.`, `"isDraft":true`, `"__typename":"Tag"`, `_v`, `.RELEASE"`, `-M1"`, `@`} {
		if !bytes.Contains(catYAML, []byte(want)) && !bytes.Contains(red, []byte(want)) {
			t.Errorf("no %s in the output", want)
		}
	}
}
