package serving

import "slices"

// run is a window of one ordering, consumed from the front (descending) or the
// back (ascending).
type run struct {
	idx []int32
	top int32 // the head's rank in the merged order (see merger)
	asc bool
}

func (r *run) empty() bool { return len(r.idx) == 0 }

func (r *run) head() int32 {
	if r.asc {
		return r.idx[len(r.idx)-1]
	}
	return r.idx[0]
}

func (r *run) pop() {
	if r.asc {
		r.idx = r.idx[:len(r.idx)-1]
	} else {
		r.idx = r.idx[1:]
	}
}

// merger takes the rows of runs in a sort's order. Rows of ByPublished and
// ByFirstSeen runs are merged by their rank, their position in the global
// ordering (distinct products' rows have distinct ranks): each run keeps its
// head's, so choosing a run compares ints side by side, and a rank is looked
// up once per row taken. ByVersion runs (rank nil) are whole products in key
// order, taken one after the other.
type merger struct {
	runs []run // none empty
	rank []int32
}

func (ix *Index) merge(runs []run, s Sort) merger {
	m := merger{runs: slices.DeleteFunc(runs, func(r run) bool { return r.empty() })}
	switch {
	case len(m.runs) < 2, s.Key == ByVersion:
	case s.Key == ByFirstSeen:
		m.rank = ix.fsRank
	default:
		m.rank = ix.pubRank
	}
	for i := range m.runs {
		if m.rank != nil {
			m.runs[i].top = m.rank[m.runs[i].head()]
		}
	}
	return m
}

// next pops the next row: the head of least rank (greatest when ascending),
// or the first run's without ranks.
func (m *merger) next() (int32, bool) {
	if len(m.runs) == 0 {
		return 0, false
	}
	best := 0
	if m.rank != nil {
		for i := 1; i < len(m.runs); i++ {
			if (m.runs[i].top < m.runs[best].top) != m.runs[i].asc {
				best = i
			}
		}
	}
	r := &m.runs[best]
	i := r.head()
	r.pop()
	switch {
	case !r.empty():
		if m.rank != nil {
			r.top = m.rank[r.head()]
		}
	case m.rank == nil:
		m.runs = m.runs[1:] // keeps the products' order
	default:
		last := len(m.runs) - 1
		m.runs[best] = m.runs[last] // the order of runs merged by rank does not matter
		m.runs = m.runs[:last]
	}
	return i, true
}
