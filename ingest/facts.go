package ingest

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"

	"github.com/releaselake/releaselake"
)

// Product facts (GitHub's repository description and homepage) come with the
// release answers: the crawl notes them per product, and once yellow has
// committed they are merged into the facts state (releaselake.FactsState),
// which the serving engine reads. A product's facts change only when its
// source answered with some; a product gone from the catalog loses them.

// noteFacts keeps the facts of a product's raw answers, if its source gives any.
func (r *Runner) noteFacts(src releaselake.Source, product string, raw [][]byte) {
	fs, ok := src.(releaselake.FactSource)
	if !ok {
		return
	}
	f, ok := fs.Facts(raw)
	if !ok {
		return
	}
	if r.facts == nil {
		r.facts = map[string]releaselake.ProductFacts{}
	}
	r.facts[product] = f
}

// saveFacts merges the run's facts into the facts state.
func (r *Runner) saveFacts(ctx context.Context, log *slog.Logger) {
	if len(r.facts) == 0 {
		return
	}
	defer func() { r.facts = nil }()
	m := map[string]releaselake.ProductFacts{}
	old, err := r.Lake.ReadState(ctx, releaselake.FactsState)
	if err != nil {
		log.Warn("read product facts; kept for the next run", "err", err)
		return
	}
	if len(old) > 0 && json.Unmarshal(old, &m) != nil {
		log.Warn("product facts unreadable: written anew")
	}
	maps.Copy(m, r.facts)
	maps.DeleteFunc(m, func(k string, _ releaselake.ProductFacts) bool { _, ok := r.Catalog.Product(k); return !ok })
	data, err := json.Marshal(m)
	if err == nil {
		err = r.Lake.WriteState(ctx, releaselake.FactsState, data)
	}
	if err != nil {
		log.Warn("save product facts", "err", err)
	}
}
