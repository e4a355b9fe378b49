package serving

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"slices"

	"github.com/releaselake/releaselake"
)

// Advisories are the security advisories (yellow_advisories) and product
// facts served with an index: the advisories committed with its version or
// before it (releaselake.AdvisoryLake.AdvisoriesFor), and the facts state as
// it was when they were loaded (facts have no versions: no time travel).
// An index loaded for time travel (AsOf) has none; nor has one whose lake
// keeps no advisories.
type Advisories struct {
	Version   int64 // the yellow_advisories version; NoVersion if none
	byProduct map[string][]releaselake.Advisory
	ranges    map[string][]parsedRange // byProduct's ranges, parsed once
	facts     map[string]releaselake.ProductFacts
	seen      int64  // the table's head when loaded: a new head reloads
	factsJSON []byte // the facts state as read: a change reloads
	tag       string // names what was loaded, for ETags: see Tag
}

// Tag names these advisories and facts by their content (their version and a
// checksum of their rows and facts), for ETags: they change without a new
// yellow version, and replicas that loaded the same ones tag them alike.
func (a *Advisories) Tag() string { return a.tag }

// NewAdvisories indexes rows and facts by product; each product's advisories
// are ordered newest published first, then by GHSA id and range.
func NewAdvisories(version int64, rows []releaselake.Advisory, facts map[string]releaselake.ProductFacts) *Advisories {
	a := &Advisories{Version: version, byProduct: map[string][]releaselake.Advisory{}, facts: facts}
	h := crc32.NewIEEE()
	json.NewEncoder(h).Encode(rows) // maps encode in key order: the same content, the same tag
	json.NewEncoder(h).Encode(facts)
	a.tag = fmt.Sprintf("%d.%08x", version, h.Sum32())
	for _, r := range rows {
		a.byProduct[r.Product] = append(a.byProduct[r.Product], r)
	}
	a.ranges = make(map[string][]parsedRange, len(a.byProduct))
	for k, list := range a.byProduct {
		slices.SortFunc(list, func(x, y releaselake.Advisory) int {
			return cmp.Or(y.PublishedAt.Compare(x.PublishedAt), cmp.Compare(x.GHSAID, y.GHSAID), cmp.Compare(x.VulnerableRange, y.VulnerableRange))
		})
		pr := make([]parsedRange, len(list))
		for i, x := range list {
			r, err := releaselake.ParseRange(x.VulnerableRange)
			pr[i] = parsedRange{r, err == nil}
		}
		a.ranges[k] = pr
	}
	return a
}

// parsedRange is an advisory's range as ParseRange read it; ok is false for
// one it cannot evaluate.
type parsedRange struct {
	r  releaselake.Range
	ok bool
}

// Advisories returns the advisories served with ix, nil if none were loaded.
func (ix *Index) Advisories() *Advisories { return ix.adv.Load() }

// SetAdvisories serves a with ix.
func (ix *Index) SetAdvisories(a *Advisories) { ix.adv.Store(a) }

// Product returns a product's advisories, withdrawn ones included; shared,
// do not modify. A nil Advisories has none.
func (a *Advisories) Product(key string) []releaselake.Advisory {
	if a == nil {
		return nil
	}
	return a.byProduct[key]
}

// Affecting returns the product's advisories whose vulnerable range holds
// version, withdrawn ones and those whose range cannot be evaluated left out.
func (a *Advisories) Affecting(product, version string) []releaselake.Advisory {
	var out []releaselake.Advisory
	for i, x := range a.Product(product) {
		if pr := a.ranges[product][i]; pr.ok && !x.Withdrawn() {
			if in, ok := pr.r.Contains(version); in && ok {
				out = append(out, x)
			}
		}
	}
	return out
}

// Fixing returns the product's advisories whose first patched version is
// version, withdrawn ones left out.
func (a *Advisories) Fixing(product, version string) []releaselake.Advisory {
	var out []releaselake.Advisory
	for _, x := range a.Product(product) {
		if x.Fixes(version) && !x.Withdrawn() {
			out = append(out, x)
		}
	}
	return out
}

// Facts returns what the product's source says of it (GitHub's repository
// description and homepage), "" where it says nothing: the fallback of
// Product.description and homepage where the catalog gives none.
func (a *Advisories) Facts(productKey string) (description, homepage string) {
	if a == nil {
		return "", ""
	}
	f := a.facts[productKey]
	return f.Description, f.Homepage
}

// advisoryLake is what the engine reads of advisories and facts (lake.Store).
type advisoryLake interface {
	releaselake.AdvisoryLake
	ReadState(ctx context.Context, name string) ([]byte, error)
}

// loadAdvisories serves the advisories that go with the current index:
// after a new index, or when the table or the facts changed. Failures are
// logged and leave what is served (the next poll tries again).
func (e *Engine) loadAdvisories(ctx context.Context) {
	al, ok := e.lake.(advisoryLake)
	ix := e.index.Load()
	if !ok || ix == nil {
		return
	}
	head, err := al.AdvisoriesHead(ctx)
	if err != nil {
		e.log.Warn("read yellow_advisories head", "err", err)
		return
	}
	factsJSON, err := al.ReadState(ctx, releaselake.FactsState)
	if err != nil {
		e.log.Warn("read product facts", "err", err)
		return
	}
	facts := map[string]releaselake.ProductFacts{}
	if len(factsJSON) > 0 && json.Unmarshal(factsJSON, &facts) != nil {
		e.log.Warn("product facts unreadable: none served")
	}
	cur := ix.Advisories()
	if cur != nil && cur.seen == head && string(cur.factsJSON) == string(factsJSON) {
		return
	}
	snap, err := al.AdvisoriesFor(ctx, ix.Version)
	if err != nil {
		e.log.Warn("load advisories", "err", err)
		return
	}
	a := NewAdvisories(snap.Version, snap.Advisories, facts)
	a.seen, a.factsJSON = head, factsJSON
	ix.SetAdvisories(a)
	e.log.Info("advisories loaded", "version", snap.Version, "yellow", ix.Version, "rows", len(snap.Advisories), "facts", len(facts))
}
