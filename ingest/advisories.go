package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/releaselake/releaselake"
)

// The run's advisory step, after yellow's commit: fetch the security
// advisories of every selected product with a package identity
// (releaselake.PackageOf) from the GitHub source (a releaselake.AdvisorySource;
// without one, or with a Lake that is no releaselake.AdvisoryLake, the step is
// skipped), keep the raw answers in red (releaselake.AdvisoryRed), and commit
// the complete new state of the yellow_advisories table, naming the yellow
// head it goes with. Their first pages ride along the release crawl's first
// request (prepareAdvisories, before the crawl); the step asks the rest.
//
// Order and atomicity (docs/lake.md, "yellow_advisories"): yellow commits
// first, then yellow_advisories; the two are not one atomic commit. A run
// killed between them leaves yellow at its new version and yellow_advisories
// at its previous one, which readers of the new yellow version get (the
// newest advisories committed with that version or before): advisories one
// run old, never ones ahead of yellow. The advisory states are written only
// after the advisories commit, so the next run fetches again what was lost.

// advisoryStateName is where a product's advisory crawl state lives.
func advisoryStateName(product string) string { return releaselake.AdvisoryRed + "/" + product }

// advisories runs the advisory step for products, once yellow has committed;
// yellow, and saves the crawl states of what it committed. It fails no run:
// what went wrong is the step's error in the run record and the log.
func (r *Runner) advisories(ctx context.Context, log *slog.Logger, run *releaselake.Run, products []releaselake.Product) {
	r.saveFacts(ctx, log)
	src, _ := r.Sources[releaselake.KindGitHub].(releaselake.AdvisorySource)
	al, ok := r.Lake.(releaselake.AdvisoryLake)
	if src == nil || !ok {
		return
	}
	start := r.now()
	states, err := r.advisoryStep(ctx, log, run, src, al, products)
	r.step(run, "advisories", start, err)
	if err != nil {
		log.Warn("advisories: some or all not committed; the next run tries again", "err", err)
	}
	for name, st := range states {
		if err := r.Lake.WriteState(ctx, name, st); err != nil {
			log.Warn("save advisory state; the next run redoes more work", "state", name, "err", err)
		}
	}
}

func (r *Runner) advisoryStep(ctx context.Context, log *slog.Logger, run *releaselake.Run, src releaselake.AdvisorySource,
	al releaselake.AdvisoryLake, products []releaselake.Product) (map[string][]byte, error) {
	yellow, err := r.Lake.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("read yellow's head: %w", err)
	}
	snap, crawls, err := r.advisoryCrawls(ctx, al, products)
	if err != nil || len(crawls) == 0 {
		return nil, err
	}
	base, prev := snap.Version, map[string][]releaselake.Advisory{}
	for _, a := range snap.Advisories {
		prev[a.Product] = append(prev[a.Product], a)
	}
	var before releaselake.SourceStats
	rep, _ := src.(releaselake.Reporter)
	if rep != nil {
		before = rep.LastStats()
	}
	fctx, cancel := context.WithTimeout(ctx, r.timeout())
	fetched := src.FetchAdvisories(fctx, crawls)
	cancel()
	if rep != nil {
		after := rep.LastStats()
		run.Sources = append(run.Sources, releaselake.SourceStats{Kind: releaselake.AdvisoryRed,
			Requests: after.Requests - before.Requests, Points: after.Points - before.Points,
			RateRemaining: after.RateRemaining, RateResetAt: after.RateResetAt})
	}
	if len(fetched) != len(crawls) {
		return nil, fmt.Errorf("advisory source answered %d products of %d", len(fetched), len(crawls))
	}
	var red [][]byte
	for _, f := range fetched {
		for _, raw := range f.Raw {
			line, err := json.Marshal(RedLine{Product: f.Product, Answer: raw})
			if err != nil {
				return nil, fmt.Errorf("encode red line of %s: %w", f.Product, err)
			}
			red = append(red, line)
		}
	}
	if len(red) > 0 {
		if err := r.Lake.AppendRed(ctx, run.ID, run.StartedAt, releaselake.AdvisoryRed, red); err != nil {
			return nil, fmt.Errorf("write red %s: %w", releaselake.AdvisoryRed, err)
		}
	}
	next := map[string][]releaselake.Advisory{}
	for k, rows := range prev {
		if _, ok := r.Catalog.Product(k); ok { // a product gone from the catalog loses its rows
			next[k] = rows
		}
	}
	states := map[string][]byte{}
	var failed []string
	for i, f := range fetched {
		c := crawls[i]
		if f.Err == nil {
			var rows []releaselake.Advisory
			if rows, f.Err = src.ParseAdvisories(c.Product, f.Raw, c.Prev); f.Err == nil {
				next[c.Product.Key] = rows
				if f.State != nil {
					states[advisoryStateName(c.Product.Key)] = f.State
				}
			}
		}
		if f.Err != nil {
			failed = append(failed, c.Product.Key+": "+f.Err.Error())
		}
	}
	var rows []releaselake.Advisory
	for _, k := range slices.Sorted(maps.Keys(next)) {
		rows = append(rows, next[k]...)
	}
	if !SameAdvisories(rows, snap.Advisories) {
		v, err := al.CommitAdvisories(ctx, base, rows, yellow, releaselake.CommitInfo{RunID: run.ID, Operation: "INGEST", At: r.now()})
		if err != nil {
			return nil, err
		}
		log.Info("advisories committed", "version", v, "yellow", yellow, "rows", len(rows))
		if r.Committed != nil {
			r.Committed(yellow)
		}
	}
	if len(failed) > 0 {
		// The others' rows and states are kept; these keep their old rows.
		log.Warn("advisories of some products not fetched", "products", len(failed), "first", failed[0])
		return states, fmt.Errorf("advisories of %d products not fetched: %s", len(failed), strings.Join(failed[:min(3, len(failed))], "; "))
	}
	return states, nil
}

// SameAdvisories reports whether a and b hold the same rows, in any order.
func SameAdvisories(a, b []releaselake.Advisory) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(x releaselake.Advisory) string { return x.Product + "\x00" + x.Key() }
	m := make(map[string]releaselake.Advisory, len(a))
	for _, x := range a {
		m[key(x)] = x
	}
	for _, y := range b {
		x, ok := m[key(y)]
		if !ok || !x.UpdatedAt.Equal(y.UpdatedAt) || !x.WithdrawnAt.Equal(y.WithdrawnAt) || x.Summary != y.Summary ||
			x.Severity != y.Severity || x.FirstPatched != y.FirstPatched || x.URL != y.URL || !x.PublishedAt.Equal(y.PublishedAt) {
			return false
		}
	}
	return true
}

// advisoryCrawls returns the advisories table's head and the crawls of the
// products with a package identity.
func (r *Runner) advisoryCrawls(ctx context.Context, al releaselake.AdvisoryLake, products []releaselake.Product) (releaselake.AdvisorySnapshot, []releaselake.AdvisoryCrawl, error) {
	base, err := al.AdvisoriesHead(ctx)
	if err != nil {
		return releaselake.AdvisorySnapshot{}, nil, err
	}
	snap, err := al.AdvisoriesFor(ctx, math.MaxInt64)
	if err != nil {
		return snap, nil, err
	}
	if snap.Version != base {
		return snap, nil, releaselake.Errorf(releaselake.Conflict, "yellow_advisories moved on while read (v%d, then v%d)", base, snap.Version)
	}
	prev := map[string][]releaselake.Advisory{}
	for _, a := range snap.Advisories {
		prev[a.Product] = append(prev[a.Product], a)
	}
	var crawls []releaselake.AdvisoryCrawl
	for _, p := range products {
		pkg := releaselake.PackageOf(p)
		if pkg == (releaselake.Package{}) {
			continue
		}
		st, err := r.Lake.ReadState(ctx, advisoryStateName(p.Key))
		if err != nil {
			return snap, nil, fmt.Errorf("read advisory state of %s: %w", p.Key, err)
		}
		crawls = append(crawls, releaselake.AdvisoryCrawl{Product: p, Package: pkg, Prev: prev[p.Key], State: st})
	}
	return snap, crawls, nil
}

// advisoryRider is an advisory source whose release crawl can carry the
// first advisory pages (the GitHub source: PrepareAdvisories).
type advisoryRider interface {
	PrepareAdvisories(crawls []releaselake.AdvisoryCrawl)
}

// prepareAdvisories hands the advisory crawls of jobs' products to the
// advisory source before the release crawl, so that its first request
// carries them. If it cannot, the advisory step asks for them itself.
func (r *Runner) prepareAdvisories(ctx context.Context, jobs []*fetchJob) {
	rider, _ := r.Sources[releaselake.KindGitHub].(advisoryRider)
	al, ok := r.Lake.(releaselake.AdvisoryLake)
	if rider == nil || !ok {
		return
	}
	var products []releaselake.Product
	for _, j := range jobs {
		products = append(products, j.ps...)
	}
	if _, crawls, err := r.advisoryCrawls(ctx, al, products); err == nil {
		rider.PrepareAdvisories(crawls)
	}
}
