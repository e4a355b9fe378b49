package releaselake

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Bounds of a search: its cost grows with its words times the catalog.
const (
	MaxSearchChars = 200
	MaxSearchWords = 10
)

// CheckSearch returns an Invalid error for a search longer than
// MaxSearchChars characters or MaxSearchWords words.
func CheckSearch(query string) error {
	if n := utf8.RuneCountInString(query); n > MaxSearchChars {
		return Errorf(Invalid, "search: %d characters, at most %d", n, MaxSearchChars)
	}
	if n := len(strings.Fields(query)); n > MaxSearchWords {
		return Errorf(Invalid, "search: %d words, at most %d", n, MaxSearchWords)
	}
	return nil
}

// SearchProducts returns the products that match a search, best first. Every
// word of query must occur, ignoring case, in the product's key, name or
// repository. Products whose key or name equals the query come first, then
// those whose key or name starts with it, then the rest; ties keep the order
// of ps. An empty query matches every product. Callers bound query with
// CheckSearch.
func SearchProducts(ps []Product, query string) []Product {
	q := strings.ToLower(strings.TrimSpace(query))
	words := strings.Fields(q)
	if len(words) == 0 {
		return ps
	}
	type hit struct {
		p    Product
		rank int
	}
	var hits []hit
	for _, p := range ps {
		key, name, repo := strings.ToLower(p.Key), strings.ToLower(p.Name), strings.ToLower(p.Repo())
		ok := true
		for _, w := range words {
			if !strings.Contains(key, w) && !strings.Contains(name, w) && !strings.Contains(repo, w) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		rank := 2
		switch {
		case key == q || name == q:
			rank = 0
		case strings.HasPrefix(key, q) || strings.HasPrefix(name, q):
			rank = 1
		}
		hits = append(hits, hit{p, rank})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].rank < hits[j].rank })
	out := make([]Product, len(hits))
	for i, h := range hits {
		out[i] = h.p
	}
	return out
}
