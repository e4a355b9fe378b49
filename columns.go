package releaselake

import (
	"slices"
	"time"
)

// Columns is a block of consecutive rows of a snapshot, column by column: row
// i of the block is (Product[i], Tag[i], …). Every slice has the same length.
type Columns struct {
	Product, Tag, Version, Name, URL, Source, Repo, DateSource []string
	PublishedAt, FirstSeenAt                                   []time.Time
	Prerelease, Yanked                                         []bool
}

// Len returns the number of rows in the block.
func (c *Columns) Len() int { return len(c.Product) }

// Resize makes every column n rows long, reusing what it can.
func (c *Columns) Resize(n int) {
	for _, s := range []*[]string{&c.Product, &c.Tag, &c.Version, &c.Name, &c.URL, &c.Source, &c.Repo, &c.DateSource} {
		*s = slices.Grow((*s)[:0], n)[:n]
	}
	c.PublishedAt = slices.Grow(c.PublishedAt[:0], n)[:n]
	c.FirstSeenAt = slices.Grow(c.FirstSeenAt[:0], n)[:n]
	c.Prerelease = slices.Grow(c.Prerelease[:0], n)[:n]
	c.Yanked = slices.Grow(c.Yanked[:0], n)[:n]
}

// Fill sets c to the rows rels.
func (c *Columns) Fill(rels []Release) {
	c.Resize(len(rels))
	for i := range rels {
		r := &rels[i]
		c.Product[i], c.Tag[i], c.Version[i], c.Name[i] = r.Product, r.Tag, r.Version, r.Name
		c.URL[i], c.Source[i], c.Repo[i], c.DateSource[i] = r.URL, r.Source, r.Repo, r.DateSource
		c.PublishedAt[i], c.FirstSeenAt[i] = r.PublishedAt, r.FirstSeenAt
		c.Prerelease[i], c.Yanked[i] = r.Prerelease, r.Yanked
	}
}

// ColumnSink takes the rows of one snapshot as blocks of Columns: a reader
// hands over rows as it decodes them, without making a Release per row. The
// serving package's IndexBuilder is one.
type ColumnSink interface {
	// Begin is called once, before any Add, with the snapshot's version,
	// commit time and number of rows.
	Begin(version int64, committedAt time.Time, rows int) error
	// Add takes rows lo, lo+1, … of the snapshot. Blocks do not overlap and
	// may come in any order, from several goroutines at once; c may be reused
	// once Add returns, so Add copies what it keeps.
	Add(lo int, c *Columns) error
}
