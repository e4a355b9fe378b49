package releaselake

import "time"

// Run statuses.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded" // committed (or nothing new) and every product crawled
	RunPartial   = "partial"   // committed (or nothing new) but some products failed or were skipped
	RunFailed    = "failed"    // nothing could be committed
	RunCancelled = "cancelled" // ended by a shutdown; Version says whether it committed first
)

// Run is the record of one ingest run (crawl -> parse -> send).
type Run struct {
	ID        string        `json:"id"`
	Trigger   string        `json:"trigger"` // "schedule", "cli", "mutation"
	Status    string        `json:"status"`
	StartedAt time.Time     `json:"startedAt"`
	EndedAt   time.Time     `json:"endedAt,omitempty"`
	Steps     []RunStep     `json:"steps"`
	Products  []RunProduct  `json:"products"`
	Sources   []SourceStats `json:"sources,omitempty"` // what each source's fetch cost upstream
	// Version is the yellow version this run committed; NoVersion if it committed nothing.
	Version int64 `json:"version"`
	Rows    int   `json:"rows"`    // rows in the table after the run
	Added   int   `json:"added"`   // rows new in this run
	Changed int   `json:"changed"` // rows whose content changed
	Removed int   `json:"removed"` // rows gone upstream
	// Error is what went wrong with the run as a whole: why nothing could be
	// committed (failed), or the sources that failed as a whole (partial: every
	// product of theirs failed, e.g. a refused token), once each.
	Error string `json:"error,omitempty"`
	// SourceErrors are those sources' errors by kind; their products' entries
	// refer to them instead of repeating them.
	SourceErrors map[string]string `json:"sourceErrors,omitempty"`
}

// RunStep is one step of a run: crawl, commit, and after the commit webhooks,
// send and compact (ingest.Runner).
type RunStep struct {
	Name     string        `json:"name"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"durationNs"`
	Error    string        `json:"error,omitempty"`
}

// RunProduct is what a run did for one product.
type RunProduct struct {
	Product  string `json:"product"`
	Source   string `json:"source"`
	Status   string `json:"status"` // "ok", "unchanged", "failed", "skipped"
	Releases int    `json:"releases"`
	Ignored  int    `json:"ignored"` // upstream tags that are not versions
	Error    string `json:"error,omitempty"`
	// Reason is Error in a few words, for a page ("HTTP 500", "host not found").
	Reason string `json:"reason,omitempty"`
	// Warnings are what the run changed in the product's rows or left for later
	// (a URL dropped for its scheme, dates left to the next run).
	Warnings []string `json:"warnings,omitempty"`
}

// OK reports whether the product was crawled: fetched and parsed, or found unchanged.
func (p RunProduct) OK() bool { return p.Status == "ok" || p.Status == "unchanged" }
