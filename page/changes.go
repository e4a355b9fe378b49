package page

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// ChangeKind is what a release's last change was, as the feed tells it.
type ChangeKind string

const (
	ChangeNew     ChangeKind = "new"     // inserted
	ChangeGA      ChangeKind = "ga"      // prerelease went true -> false
	ChangeRedated ChangeKind = "redated" // publishedAt changed
	ChangeUpdated ChangeKind = "updated" // other fields changed
)

// Change is the last change the lake's change feed recorded for one release a
// snapshot shows, within the versions it reads (ChangeVersions).
type Change struct {
	Product string     `json:"product"`
	Tag     string     `json:"tag"`
	Kind    ChangeKind `json:"kind"`
	Version int64      `json:"version"` // the lake version that made it
	At      time.Time  `json:"at"`      // that version's commit time (UTC)
	// Was is publishedAt before the change, when the change re-dated the
	// release (whatever its Kind: a release may become GA and be re-dated at once).
	Was    time.Time `json:"was,omitzero"`
	Fields []string  `json:"fields,omitempty"` // the changed fields (Column.Field) of an update
}

// Bounds on what a snapshot reads of the change feed: the last ChangeVersions
// versions, read ChangeChunk versions at a time, newest first, at most
// ChangeRows change rows in all. A change older than that reads as today's
// guess from the snapshot alone.
const (
	ChangeVersions = 100
	ChangeChunk    = 20
	ChangeRows     = 20000
	changeTimeout  = 30 * time.Second
)

// Changes is where snapshots get their releases' last changes: Feed (nil:
// none) is the lake's change feed; errors reading it are logged to Log and leave
// the snapshot without changes, as snapshots were before there were any.
type Changes struct {
	Feed releaselake.ChangeFeed
	Log  *slog.Logger
}

// apply returns a copy of s carrying the last changes of the releases it shows.
func (c Changes) apply(ctx context.Context, s *Snapshot) *Snapshot {
	if c.Feed == nil || s == nil || s.Version < 1 {
		return s
	}
	ctx, cancel := context.WithTimeout(ctx, changeTimeout)
	defer cancel()
	changes, err := readChanges(ctx, c.Feed, s)
	if err != nil && c.Log != nil {
		c.Log.Warn("page: change feed unreadable: feed entries say what the snapshot alone tells",
			"version", s.Version, "err", err)
	}
	if len(changes) == 0 {
		return s
	}
	out := *s
	out.Changes = changes
	return &out
}

// readChanges reads the change feed back from s's version, a chunk at a time,
// and returns the last change of each release s shows, sorted by product and
// tag. It stops at the first error, returning what it read before (newer
// versions) with it.
func readChanges(ctx context.Context, feed releaselake.ChangeFeed, s *Snapshot) ([]Change, error) {
	shown := map[string]bool{}
	for _, p := range s.Products {
		for _, r := range slices.Concat(p.Recent, p.Stable) {
			shown[changeKey(p.Key, r.Tag)] = true
		}
	}
	last := map[string]Change{}
	rows := ChangeRows
	oldest := max(0, s.Version-ChangeVersions+1)
	var err error
read:
	for to := s.Version; to >= oldest && rows > 0; to -= ChangeChunk {
		for from := max(oldest, to-ChangeChunk+1); from <= to && rows > 0; {
			var sets []releaselake.ChangeSet
			sets, err = feed.Changes(ctx, from, to, rows)
			if err != nil {
				break read
			}
			if len(sets) == 0 {
				break
			}
			for _, set := range sets {
				for _, ch := range set.Changes {
					rows--
					if ch.Changed() {
						rows--
					}
					r := ch.Release()
					k := changeKey(r.Product, r.Tag)
					if old, ok := last[k]; ch.Removed() || !shown[k] || (ok && old.Version > set.Version) {
						continue
					}
					last[k] = newChange(set, ch)
				}
			}
			from = sets[len(sets)-1].Version + 1
		}
	}
	out := make([]Change, 0, len(last))
	for _, c := range last {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Change) int {
		return strings.Compare(changeKey(a.Product, a.Tag), changeKey(b.Product, b.Tag))
	})
	return out, err
}

// newChange says what one change-feed change (an insert or an update) was.
func newChange(set releaselake.ChangeSet, ch releaselake.Change) Change {
	r := ch.Release()
	c := Change{Product: r.Product, Tag: r.Tag, Kind: ChangeNew, Version: set.Version, At: set.CommittedAt.UTC()}
	if !ch.Changed() {
		return c
	}
	c.Kind, c.Fields = ChangeUpdated, ch.ChangedFields()
	if slices.Contains(c.Fields, "publishedAt") {
		c.Kind, c.Was = ChangeRedated, ch.Before.PublishedAt.UTC()
	}
	if ch.Before.Prerelease && !ch.After.Prerelease {
		c.Kind = ChangeGA
	}
	return c
}

func changeKey(product, tag string) string { return product + "\x00" + tag }

// validateChanges reports a change of a release s does not show, one release
// changed twice, an unknown kind or field, or no version or commit time.
// (Versions are not compared with s's: the feed shows none of them.)
func (s *Snapshot) validateChanges() error {
	shown := map[string]bool{}
	for _, p := range s.Products {
		for _, r := range slices.Concat(p.Recent, p.Stable) {
			shown[changeKey(p.Key, r.Tag)] = true
		}
	}
	fields := map[string]bool{}
	for _, col := range releaselake.ReleaseColumns {
		fields[col.Field] = true
	}
	for i, c := range s.Changes {
		k := changeKey(c.Product, c.Tag)
		if !shown[k] {
			return fmt.Errorf("changes[%d]: %s %q is not a release the snapshot shows (or it is there twice)", i, c.Product, c.Tag)
		}
		delete(shown, k)
		switch c.Kind {
		case ChangeNew, ChangeGA, ChangeRedated, ChangeUpdated:
		default:
			return fmt.Errorf("changes[%d]: kind %q: want new, ga, redated or updated", i, c.Kind)
		}
		if c.Version < 0 || c.At.IsZero() {
			return fmt.Errorf("changes[%d]: version %d at %v: want a committed version (>= 0) with its commit time", i, c.Version, c.At)
		}
		if len(c.Fields) > len(releaselake.ReleaseColumns) || slices.ContainsFunc(c.Fields, func(f string) bool { return !fields[f] }) {
			return fmt.Errorf("changes[%d]: fields %q: want release fields, each once", i, c.Fields)
		}
	}
	return nil
}

// changeOf returns a function finding the change s carries for a release.
func (s *Snapshot) changeOf() func(r releaselake.Release) (Change, bool) {
	byKey := make(map[string]Change, len(s.Changes))
	for _, c := range s.Changes {
		byKey[changeKey(c.Product, c.Tag)] = c
	}
	return func(r releaselake.Release) (Change, bool) {
		c, ok := byKey[changeKey(r.Product, r.Tag)]
		return c, ok
	}
}

// changeText says what the change feed recorded of r's last change, for its
// feed entry; "" for a new release (the entry says that already).
func changeText(name string, r releaselake.Release, c Change) string {
	date := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	var parts []string
	if c.Kind == ChangeGA {
		parts = append(parts, fmt.Sprintf("%s %s became generally available on %s (published %s as a prerelease).", name, r.Version, date(c.At), date(r.PublishedAt)))
	}
	if !c.Was.IsZero() {
		parts = append(parts, fmt.Sprintf("%s %s was re-dated: published %s (was %s).", name, r.Version, date(r.PublishedAt), date(c.Was)))
	}
	if c.Kind == ChangeUpdated {
		parts = append(parts, fmt.Sprintf("%s %s was updated on %s (%s).", name, r.Version, date(c.At), strings.Join(c.Fields, ", ")))
	}
	return strings.Join(parts, " ")
}
