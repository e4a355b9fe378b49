package ingest

import (
	"fmt"
	"io"

	"github.com/releaselake/releaselake"
)

// WriteSummary writes what a run did for a person at a terminal: its id,
// status, version and counts, then each product that was not crawled.
func WriteSummary(w io.Writer, run releaselake.Run) {
	fmt.Fprintf(w, "run %s: %s, version %d, %d rows (+%d ~%d -%d)\n",
		run.ID, run.Status, run.Version, run.Rows, run.Added, run.Changed, run.Removed)
	for _, p := range run.Products {
		if !p.OK() {
			fmt.Fprintf(w, "  %s %s: %s\n", p.Product, p.Status, p.Error)
		}
	}
}
