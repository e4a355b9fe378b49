package serving

import (
	"sort"
	"sync"
	"time"

	"github.com/releaselake/releaselake"
)

// line is a release line as the index keeps it: rows, not Releases.
type line struct {
	name          string
	latest, first int32 // rows
	releases      int32
	last          instant // newest publication
	active        bool
}

// lineMemo holds a product's lines at each depth once a query has asked for
// them: the index never changes, so they are worked out once per index and
// depth, on demand (queries asking at once wait for the one working them
// out), and the releases query never pays for them.
type lineMemo struct {
	once  [releaselake.LineMinor + 1]sync.Once
	lines [releaselake.LineMinor + 1][]line
}

// Lines returns the first n release lines of a product at depth components
// (releaselake.LineMajor or LineMinor), greatest first by version order; nil
// for a product with no release in the index. A line is active when a stable
// release of it was published within releaselake.LineActiveWindow before the
// index's CommittedAt, the time its data is of. The first call for a product
// and depth walks the product's releases once; later calls cost a copy.
func (ix *Index) Lines(product string, depth, n int) []releaselake.ReleaseLine {
	return ix.LinesAfter(product, depth, "", n)
}

// LinesAfter is Lines from the line after the line named after (a line name
// at depth, as Lines gives them) in their order: the lines of lesser
// versions, whether that line is still there or not. after "" is Lines.
func (ix *Index) LinesAfter(product string, depth int, after string, n int) []releaselake.ReleaseLine {
	pi := ix.products[product]
	if pi == nil || depth < releaselake.LineMajor || depth > releaselake.LineMinor {
		return nil
	}
	m := &pi.lines
	m.once[depth].Do(func() { m.lines[depth] = ix.linesOf(pi.order[ByVersion], depth) })
	ls := m.lines[depth]
	if after != "" {
		ls = ls[sort.Search(len(ls), func(k int) bool { return releaselake.CompareVersions(ls[k].name, after) < 0 }):]
	}
	out := make([]releaselake.ReleaseLine, min(max(n, 0), len(ls)))
	for k, l := range ls[:len(out)] {
		out[k] = releaselake.ReleaseLine{Line: l.name, Latest: ix.Row(int(l.latest)), First: ix.Row(int(l.first)),
			Releases: int(l.releases), LastReleasedAt: time.Unix(l.last.sec, int64(l.last.ns)).UTC(), Active: l.active}
	}
	return out
}

// linesOf groups a product's rows, greatest version first, into lines. A
// line's versions are next to each other in version order, which compares
// the release parts component by component; versions that are not versions
// sort last, and are in no line.
func (ix *Index) linesOf(byVersion []int32, depth int) []line {
	since := instantOf(ix.CommittedAt.Add(-releaselake.LineActiveWindow))
	var out []line
	var cur *line
	var stableFirst bool // cur.first is stable
	for _, i := range byVersion {
		name, ok := releaselake.VersionOf(ix.version(i)).Line(depth)
		if !ok {
			break
		}
		r := &ix.rows[i]
		stable := !r.prerelease && !r.yanked
		if cur == nil || name != cur.name {
			out = append(out, line{name: name, latest: i, first: i, last: r.publishedAt()})
			cur, stableFirst = &out[len(out)-1], stable
		} else if stable || !stableFirst {
			cur.first = i // a lesser version: the least stable one, or the least of all while none is stable
			stableFirst = stable
		}
		if stable && !ix.isStable(cur.latest) {
			cur.latest = i // the greatest stable version, after prereleases greater than it
		}
		cur.releases++
		if p := r.publishedAt(); cur.last.before(p) {
			cur.last = p
		}
		if stable && !r.publishedAt().before(since) {
			cur.active = true
		}
	}
	return out
}

func (ix *Index) isStable(i int32) bool {
	r := &ix.rows[i]
	return !r.prerelease && !r.yanked
}
