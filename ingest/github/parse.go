package github

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// Parse turns one run's red lines for p into p's complete rows. The lines say
// which connection holds the versions (mode) and whether the run listed it to its
// end: then the rows are exactly what the lines hold; otherwise the lines hold the
// newest items only, which replace prev's rows of the same tags, and prev's other
// rows stay (Fetch made sure nothing outside its pages changed, or listed in full).
// Drafts never become rows, and a release that became a draft leaves; tags (and
// release tag names) that the tag_pattern does not make a version are counted in
// Ignored; a tag seen twice gives one row, the first seen (newest first).
func (s *Source) Parse(p releaselake.Product, raw [][]byte, prev []releaselake.Release) (releaselake.Parsed, error) {
	lines, err := readLines(raw)
	if err != nil {
		return releaselake.Parsed{}, fmt.Errorf("github %s: %w", p.Ref, err)
	}
	reps := make([]*repository, len(lines))
	for i, l := range lines {
		reps[i] = l.repo
	}
	last := lines[len(lines)-1]
	return build(p, last.Mode, last.Complete, reps, prev), nil
}

// build makes p's rows from the answers of one run, read as Parse says. Fetch
// calls it too, on the answers it has just decoded, to count the rows for the
// state without reading its own red lines back.
func build(p releaselake.Product, mode string, complete bool, reps []*repository, prev []releaselake.Release) releaselake.Parsed {
	return buildWith(&builder{product: p, seen: map[string]bool{}, drafts: map[string]bool{}}, mode, complete, reps, prev).out
}

// countRows is how many rows build would make, without making them (a run with
// nothing new would otherwise copy every row of the catalog once more).
func countRows(p releaselake.Product, mode string, complete bool, reps []*repository, prev []releaselake.Release) int {
	b := buildWith(&builder{product: p, seen: map[string]bool{}, drafts: map[string]bool{}, countOnly: true}, mode, complete, reps, prev)
	return b.rows
}

// unchanged reports whether the answers of one run leave prev's rows as they
// are: every item they hold gives the row prev has for its tag (or none where
// prev has none), and, when the run listed to the end, every row of prev is
// among them. Fetch then returns Unchanged and no red lines: a day with nothing
// new writes nothing for the repository.
func unchanged(p releaselake.Product, mode string, complete bool, reps []*repository, prev []releaselake.Release) bool {
	b := buildWith(&builder{product: p, seen: map[string]bool{}, drafts: map[string]bool{}}, mode, true, reps, nil)
	rows := make(map[string]releaselake.Release, len(b.out.Releases))
	for _, r := range b.out.Releases {
		rows[r.Tag] = r
	}
	matched := 0
	for _, old := range prev {
		if !complete && !b.seen[old.Tag] && !b.drafts[old.Tag] {
			continue // outside the pages: kept as is
		}
		r, ok := rows[old.Tag]
		if !ok {
			return false
		}
		// FirstSeenAt is the lake's; PublishedAt may have come back from
		// storage with another *Location.
		r.FirstSeenAt = old.FirstSeenAt
		if r.PublishedAt.Equal(old.PublishedAt) {
			r.PublishedAt = old.PublishedAt
		}
		if r != old {
			return false
		}
		matched++
	}
	return matched == len(rows)
}

func buildWith(b *builder, mode string, complete bool, reps []*repository, prev []releaselake.Release) *builder {
	for _, r := range reps {
		switch mode {
		case modeReleases:
			b.releases(r)
		case modeTags:
			b.tags(r)
		}
	}
	if !complete {
		for _, r := range prev {
			if !b.seen[r.Tag] && !b.drafts[r.Tag] {
				b.seen[r.Tag] = true
				b.add(r)
			}
		}
	}
	return b
}

// line is a red line read back.
type line struct {
	rawLine
	repo *repository
}

// readLines reads red lines; they must agree on the mode.
func readLines(raw [][]byte) ([]line, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("no raw answers")
	}
	out := make([]line, len(raw))
	for i, b := range raw {
		// One decode of the line, answer included (Parse's main cost at scale);
		// out[i].Data stays empty: nothing after this reads it.
		var x struct {
			Mode     string `json:"mode"`
			Complete bool   `json:"complete"`
			Data     answer `json:"data"`
		}
		if err := json.Unmarshal(b, &x); err != nil {
			return nil, fmt.Errorf("read raw line %d: %w", i+1, err)
		}
		out[i].Mode, out[i].Complete = x.Mode, x.Complete
		a := x.Data
		if a.Repository == nil {
			return nil, fmt.Errorf("raw line %d has no repository", i+1)
		}
		out[i].repo = a.Repository
		if m := out[i].Mode; m != modeReleases && m != modeTags || m != out[0].Mode {
			return nil, fmt.Errorf("raw line %d: mode %q (first line: %q)", i+1, m, out[0].Mode)
		}
	}
	return out, nil
}

// builder gathers the rows of one product.
type builder struct {
	product releaselake.Product
	seen    map[string]bool // tags already read
	drafts  map[string]bool // tags of drafts: a release that became a draft leaves
	out     releaselake.Parsed
	// countOnly counts the rows in rows instead of adding them to out.
	countOnly bool
	rows      int
}

func (b *builder) releases(r *repository) {
	if r.Releases == nil {
		return
	}
	for _, rel := range r.Releases.Nodes {
		if rel.IsDraft {
			b.drafts[rel.TagName] = true
			continue
		}
		if b.seen[rel.TagName] {
			continue
		}
		b.seen[rel.TagName] = true
		version, ok := releaselake.VersionFromTag(rel.TagName, b.product.Options.Regexp(OptionTagPattern))
		if !ok || rel.PublishedAt == nil { // a published release always has a date
			b.out.Ignored++
			continue
		}
		name := rel.TagName
		if rel.Name != nil && strings.TrimSpace(*rel.Name) != "" {
			name = strings.TrimSpace(*rel.Name)
		}
		b.add(releaselake.Release{
			Tag:         rel.TagName,
			Version:     version,
			Name:        name,
			URL:         rel.URL,
			Source:      releaselake.SourceGitHubRelease,
			Repo:        r.NameWithOwner,
			DateSource:  releaselake.DateReleasePublished,
			PublishedAt: *rel.PublishedAt,
			Prerelease:  rel.IsPrerelease || releaselake.IsPrerelease(version),
			Notes:       deref(rel.Description),
		})
	}
}

func (b *builder) tags(r *repository) {
	if r.Refs == nil {
		return
	}
	for _, t := range r.Refs.Nodes {
		if b.seen[t.Name] {
			continue
		}
		b.seen[t.Name] = true
		version, ok := releaselake.VersionFromTag(t.Name, b.product.Options.Regexp(OptionTagPattern))
		if !ok {
			b.out.Ignored++
			continue
		}
		at, dateSource, ok := tagDate(t.Target)
		if !ok { // a tag of a tree or a blob, or of a tag of a tag: no date to give
			b.out.Ignored++
			continue
		}
		b.add(releaselake.Release{
			Tag:         t.Name,
			Version:     version,
			Name:        t.Name,
			URL:         tagURL(r, t.Name),
			Source:      releaselake.SourceGitHubTag,
			Repo:        r.NameWithOwner,
			DateSource:  dateSource,
			PublishedAt: at,
			Prerelease:  releaselake.IsPrerelease(version),
		})
	}
}

func (b *builder) add(rel releaselake.Release) {
	b.rows++
	if b.countOnly {
		return
	}
	rel.Product = b.product.Key
	rel.PublishedAt = rel.PublishedAt.UTC()
	b.out.Releases = append(b.out.Releases, rel)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// tagDate returns when a tag was published: an annotated tag's tagger date, else
// the date of the commit it points to; a lightweight tag's commit date.
func tagDate(o *gitObject) (time.Time, string, bool) {
	if o == nil {
		return time.Time{}, "", false
	}
	switch o.Typename {
	case "Commit":
		if o.CommittedDate != nil {
			return *o.CommittedDate, releaselake.DateCommit, true
		}
	case "Tag":
		if o.Tagger != nil && o.Tagger.Date != nil {
			return *o.Tagger.Date, releaselake.DateTagger, true
		}
		if o.Target != nil && o.Target.Typename == "Commit" && o.Target.CommittedDate != nil {
			return *o.Target.CommittedDate, releaselake.DateCommit, true
		}
	}
	return time.Time{}, "", false
}

// tagURL is the page GitHub shows for a tag; the tag is one path segment, so a
// slash in it (rel/release-3.1.0) is escaped.
func tagURL(r *repository, tag string) string {
	base := strings.TrimSuffix(r.URL, "/")
	if base == "" {
		base = "https://github.com/" + r.NameWithOwner
	}
	return base + "/releases/tag/" + url.PathEscape(tag)
}
