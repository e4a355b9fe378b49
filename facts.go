package releaselake

import "strings"

// ProductFacts are what a product's source says of it: GitHub's repository
// description and homepage. Product.description and homepage fall back to them
// where the catalog gives none.
type ProductFacts struct {
	Description string `json:"description,omitempty"`
	Homepage    string `json:"homepage,omitempty"` // an http(s) URL
}

// FactSource is a Source whose raw answers also carry ProductFacts.
type FactSource interface {
	// Facts returns the facts the newest of one product's raw answers gives;
	// ok is false when the answers say nothing of them (answers fetched
	// before facts were asked for).
	Facts(raw [][]byte) (facts ProductFacts, ok bool)
}

// FactsState is the crawl state name of the product facts
// (_state/product-facts.json): a JSON object of ProductFacts by product key,
// written after the yellow commit of the run that fetched them.
const FactsState = "product-facts"

// maxFactBytes bounds a fetched fact: GitHub caps descriptions at 350
// characters; a card shows a line, not a document.
const maxFactBytes = 1024

// CleanFacts bounds upstream's facts and keeps only what a page may show:
// control characters become spaces, a description is cut at a rune boundary
// under maxFactBytes, and a homepage that is not an http(s) URL is dropped.
func CleanFacts(f ProductFacts) ProductFacts {
	d := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(f.Description))
	if len(d) > maxFactBytes {
		d = strings.ToValidUTF8(d[:maxFactBytes], "")
	}
	h, ok := SafeURL(strings.TrimSpace(f.Homepage))
	if !ok || len(h) > maxFactBytes {
		h = ""
	}
	return ProductFacts{Description: strings.TrimSpace(d), Homepage: h}
}
