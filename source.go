package releaselake

import (
	"context"
	"time"
)

// Source crawls one kind of upstream (GitHub, PyPI, ...). Fetching and parsing are
// separate so that the yellow table can always be rebuilt from the raw answers kept
// in the red table: replaying each run's answers through Parse, oldest run first,
// gives the same rows as the runs did.
type Source interface {
	// Kind is the Product.Kind this source serves (its SourceKind.Name), also the red file's name.
	Kind() string
	// Fetch asks upstream about each product and returns, per crawl in the same
	// order, the raw answers (one JSON document each), or that nothing changed, or
	// the error that stopped it. One product's failure never stops the others.
	Fetch(ctx context.Context, crawls []Crawl) []Fetched
	// Parse turns one product's raw answers of one run into the product's complete
	// set of release rows (FirstSeenAt left zero), given its rows before the run
	// (an incremental answer says what changed, prev supplies the rest). It uses
	// nothing but its arguments.
	Parse(p Product, raw [][]byte, prev []Release) (Parsed, error)
}

// Crawl is one product for Source.Fetch, with what the lake knows of it.
type Crawl struct {
	Product Product
	Prev    []Release // the product's rows in the newest committed version
	State   []byte    // what the source returned in Fetched.State last time; nil if none
}

// Fetched is what Source.Fetch got for one product.
type Fetched struct {
	Product string
	Raw     [][]byte // raw upstream answers, one JSON document each
	// State is saved for the product's next Crawl once this run's rows are
	// committed (never before: the state must not run ahead of yellow); nil keeps
	// the previous state.
	State []byte
	// Unchanged means upstream said nothing changed (e.g. HTTP 304): the product
	// keeps its rows and Raw is empty.
	Unchanged bool
	Err       error
}

// Parsed is what Source.Parse made of one product's answers.
type Parsed struct {
	Releases []Release // the product's complete set of rows after the run
	Ignored  int       // upstream tags or entries that are not versions
}

// SourceStats is what one Fetch cost upstream, for the run record.
type SourceStats struct {
	Kind          string    `json:"kind"`
	Requests      int       `json:"requests"`
	Points        int       `json:"points"`                  // rate-limit points spent (GitHub)
	RateRemaining int       `json:"rateRemaining,omitempty"` // points left after the last request
	RateResetAt   time.Time `json:"rateResetAt,omitzero"`
	// Notes are what the fetch left for later runs, one sentence each (Maven's
	// dates beyond its per-run cap of lookups).
	Notes []string `json:"notes,omitempty"`
}

// Reporter is a Source that tells what its last Fetch cost.
type Reporter interface {
	LastStats() SourceStats
}
