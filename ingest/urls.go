package ingest

import (
	"fmt"

	"github.com/releaselake/releaselake"
)

// NoteUnsafeURLs adds to each product of run a warning naming the crawled rows
// whose URL SafeURL refuses (javascript:, data:, vbscript:, …), which Merge
// stores without a URL. It returns how many there are.
func NoteUnsafeURLs(run *releaselake.Run, crawled map[string][]releaselake.Release) int {
	total := 0
	for i := range run.Products {
		p := &run.Products[i]
		n, first := 0, ""
		for _, r := range crawled[p.Product] {
			if _, ok := releaselake.SafeURL(r.URL); !ok {
				if n == 0 {
					first = r.Tag
				}
				n++
			}
		}
		if n > 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%d release URLs dropped: not http or https (the first: %s)", n, first))
			total += n
		}
	}
	return total
}
