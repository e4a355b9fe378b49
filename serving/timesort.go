package serving

import (
	"iter"
	"time"
)

// timeItem is a row with its instant as a key that orders newest first:
// seconds with the sign flipped and then inverted, inverted nanoseconds.
type timeItem struct {
	sec  uint64
	nsec uint32
	row  int32
}

func newTimeItem(t time.Time, row int32) timeItem {
	return timeItem{timeKey(t.Unix()), ^uint32(t.Nanosecond()), row}
}

// timeKey is Unix seconds as a key that orders newest first: the sign
// flipped, then inverted.
func timeKey(sec int64) uint64 { return ^(uint64(sec) ^ 1<<63) }

// sortTimes sorts items newest first, keeping the order of items with equal
// instants: an LSD radix sort, a byte at a time, that skips the bytes every
// item has alike (most of them: a table's times span a few decades). It
// returns the sorted slice, items or a new one.
func sortTimes(items []timeItem) []timeItem {
	if len(items) < 2 {
		return items
	}
	tmp := make([]timeItem, len(items))
	digit := func(it *timeItem, pass int) int {
		if pass < 4 {
			return int(it.nsec>>(8*pass)) & 0xff
		}
		return int(it.sec>>(8*(pass-4))) & 0xff
	}
	for pass := range 12 {
		var at [256]int
		for i := range items {
			at[digit(&items[i], pass)]++
		}
		if at[digit(&items[0], pass)] == len(items) {
			continue
		}
		sum := 0
		for d, c := range at {
			at[d] = sum
			sum += c
		}
		for i := range items {
			d := digit(&items[i], pass)
			tmp[at[d]] = items[i]
			at[d]++
		}
		items, tmp = tmp, items
	}
	return items
}

// equalTimes yields the runs of two or more items of sorted with one instant.
func equalTimes(sorted []timeItem) iter.Seq[[]timeItem] {
	return func(yield func([]timeItem) bool) {
		for i := 0; i < len(sorted); {
			j := i + 1
			for j < len(sorted) && sorted[j].sec == sorted[i].sec && sorted[j].nsec == sorted[i].nsec {
				j++
			}
			if j-i > 1 && !yield(sorted[i:j]) {
				return
			}
			i = j
		}
	}
}
