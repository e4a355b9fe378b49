package releaselake

import (
	"strings"
	"time"
)

// A release line is the releases of a product that share their leading
// version components: the line 4.1 of Spring Boot is 4.1.0-M1 … 4.1.3, the
// way teams plan upgrades (endoflife.date's "cycles"), derived from the
// history alone, with no hand-curated dates.
//
// Every version the version order reads (Version.Valid) has a line, calendar
// and four-component versions included: the line is the release part's
// leading components as numbers (24.04 is in the line 24.4, as the order
// holds 24.04 equal to 24.4), a missing one counting as 0 (flask 1 is in the
// line 1.0). Strings that are not versions ("nightly") are in no line.

// Depths of a release line: how many leading components name it.
const (
	LineMajor = 1 // "4"
	LineMinor = 2 // "4.1"
)

// LineActiveWindow is how recent a line's newest stable release must be for
// the line to be active: 365 days before the time the lake's data is of.
const LineActiveWindow = 365 * 24 * time.Hour

// ReleaseLine is one release line of a product, as of one version of the lake.
type ReleaseLine struct {
	Line string // the leading components, e.g. "4.1" (LineMinor) or "4" (LineMajor)
	// Latest is the line's greatest stable (neither prerelease nor yanked)
	// release by version order; the greatest of all its releases when none is
	// stable.
	Latest Release
	// First is the line's least stable release by version order (4.1.0, not
	// 4.1.0-M1); the least of all its releases when none is stable.
	First Release
	// Releases counts the line's releases: every tag, prereleases and yanked
	// ones included.
	Releases int
	// LastReleasedAt is when the line's most recently published release was
	// published, a prerelease or not.
	LastReleasedAt time.Time
	// Active: a stable release of the line was published within
	// LineActiveWindow before the time the data is of (the commit time of
	// the lake version answering). A line of prereleases only is not active.
	Active bool
}

// Line returns the name of v's release line at depth components (LineMajor,
// LineMinor): "4.1" for 4.1.0-M1 at LineMinor. ok is false if v is not a
// version.
func (v Version) Line(depth int) (line string, ok bool) {
	if !v.valid {
		return "", false
	}
	rel := v.s[:v.relEnd]
	if end, plain := plainPrefix(rel, depth); plain {
		return rel[:end], true // no padding to drop or missing component to add: no copy
	}
	var b strings.Builder
	for i := range depth {
		var comp string
		comp, rel = cutComponent(rel)
		if comp = strings.TrimLeft(comp, "0"); comp == "" {
			comp = "0"
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(comp)
	}
	return b.String(), true
}

// plainPrefix returns the end of rel's first depth components, and whether
// they are written as the line names them: depth of them, none zero-padded.
func plainPrefix(rel string, depth int) (end int, plain bool) {
	for i := range depth {
		comp, rest := cutComponent(rel[end:])
		if comp == "" || len(comp) > 1 && comp[0] == '0' {
			return 0, false
		}
		end += len(comp)
		if i < depth-1 {
			if rest == "" {
				return 0, false
			}
			end++ // the '.'
		}
	}
	return end, true
}
