package releaselake

import (
	"slices"
	"strconv"
	"time"
)

// The stored columns of yellow, declared once, here. ReleaseColumns drives
// the Parquet writer and reader, the Delta schema and statistics (lake),
// merge equality (ingest), the Columns blocks the index is built from, and
// the Release fields the GraphQL fast path serves. To add a column: a
// Release field, its id, its case in Str/Time/Bool and its entry at the end
// of ReleaseColumns (Added: true), all in this file; then the source that
// fills it, schema.graphqls (go generate ./...) and their tests.

// Release is one published version of one product: one row of the yellow table.
// Its fields are the table's columns (ReleaseColumns below).
// A snapshot holds exactly one Release per (Product, Tag).
type Release struct {
	Product     string    `json:"product"`     // catalog key
	Tag         string    `json:"tag"`         // the tag (or version string) as published upstream
	Version     string    `json:"version"`     // the tag without the project's prefix
	Name        string    `json:"name"`        // release title, or the tag
	URL         string    `json:"url"`         // the release's page (its notes)
	Source      string    `json:"source"`      // one of the Source* constants
	Repo        string    `json:"repo"`        // owner/name on GitHub, package name elsewhere
	DateSource  string    `json:"dateSource"`  // one of the Date* constants
	PublishedAt time.Time `json:"publishedAt"` // UTC
	FirstSeenAt time.Time `json:"firstSeenAt"` // UTC, when this lake first saw the row
	Prerelease  bool      `json:"prerelease"`
	Yanked      bool      `json:"yanked"`
	// Notes are the release notes as upstream wrote them (GitHub: Markdown;
	// feeds: HTML or text), never rendered; empty where the source has none.
	Notes string `json:"notes,omitempty"`
}

// StrCol, TimeCol and BoolCol name the columns of each type: the index of a
// column in a Columns block and the argument of Release.Str/Time/Bool.
type (
	StrCol  uint8
	TimeCol uint8
	BoolCol uint8
)

// String columns.
const (
	ColProduct StrCol = iota
	ColTag
	ColVersion
	ColName
	ColURL
	ColSource
	ColRepo
	ColDateSource
	ColNotes
	NumStr = iota // string columns
)

// Timestamp columns.
const (
	ColPublishedAt TimeCol = iota
	ColFirstSeenAt
	NumTime = iota // timestamp columns
)

// Boolean columns.
const (
	ColPrerelease BoolCol = iota
	ColYanked
	NumBool = iota // boolean columns
)

// ColumnType is the type of a column's values.
type ColumnType uint8

const (
	StringColumn ColumnType = iota // Delta string; Parquet BYTE_ARRAY (UTF8)
	TimeColumn                     // Delta timestamp; Parquet INT64 TIMESTAMP(MICROS, UTC)
	BoolColumn                     // Delta boolean; Parquet BOOLEAN
)

// Column is one stored column of yellow.
type Column struct {
	Name  string     // in Parquet and Delta
	Field string     // the Release field as GraphQL (and its JSON) names it
	Type  ColumnType //
	ID    uint8      // its StrCol, TimeCol or BoolCol, by Type
	// Dict: dictionary-encoded in Parquet, for columns of few distinct values.
	Dict bool
	// Added: the column came after the table's first version, so data files
	// written before lack it: they read as the zero value. (The first commit
	// with it rewrites the whole table and changes the Delta schema, so no
	// version's files lack a column of its schema: none is nullable.)
	Added bool
}

// ReleaseColumns are the columns of yellow in file order. A new column goes
// at the end, with Added set.
var ReleaseColumns = [...]Column{
	{Name: "product", Field: "product", Type: StringColumn, ID: uint8(ColProduct), Dict: true},
	{Name: "tag", Field: "tag", Type: StringColumn, ID: uint8(ColTag)},
	{Name: "version", Field: "version", Type: StringColumn, ID: uint8(ColVersion)},
	{Name: "name", Field: "name", Type: StringColumn, ID: uint8(ColName)},
	{Name: "url", Field: "url", Type: StringColumn, ID: uint8(ColURL)},
	{Name: "source", Field: "source", Type: StringColumn, ID: uint8(ColSource), Dict: true},
	{Name: "repo", Field: "repo", Type: StringColumn, ID: uint8(ColRepo), Dict: true},
	{Name: "date_source", Field: "dateSource", Type: StringColumn, ID: uint8(ColDateSource), Dict: true},
	{Name: "published_at", Field: "publishedAt", Type: TimeColumn, ID: uint8(ColPublishedAt)},
	{Name: "first_seen_at", Field: "firstSeenAt", Type: TimeColumn, ID: uint8(ColFirstSeenAt)},
	{Name: "prerelease", Field: "prerelease", Type: BoolColumn, ID: uint8(ColPrerelease)},
	{Name: "yanked", Field: "yanked", Type: BoolColumn, ID: uint8(ColYanked)},
	{Name: "notes", Field: "notes", Type: StringColumn, ID: uint8(ColNotes), Added: true},
}

// NumColumns is the number of stored columns.
const NumColumns = len(ReleaseColumns)

// Str returns the address of r's string column c.
func (r *Release) Str(c StrCol) *string {
	switch c {
	case ColProduct:
		return &r.Product
	case ColTag:
		return &r.Tag
	case ColVersion:
		return &r.Version
	case ColName:
		return &r.Name
	case ColURL:
		return &r.URL
	case ColSource:
		return &r.Source
	case ColRepo:
		return &r.Repo
	case ColDateSource:
		return &r.DateSource
	case ColNotes:
		return &r.Notes
	}
	panic("releaselake: no string column " + strconv.Itoa(int(c)))
}

// Time returns the address of r's timestamp column c.
func (r *Release) Time(c TimeCol) *time.Time {
	switch c {
	case ColPublishedAt:
		return &r.PublishedAt
	case ColFirstSeenAt:
		return &r.FirstSeenAt
	}
	panic("releaselake: no timestamp column " + strconv.Itoa(int(c)))
}

// Bool returns the address of r's boolean column c.
func (r *Release) Bool(c BoolCol) *bool {
	switch c {
	case ColPrerelease:
		return &r.Prerelease
	case ColYanked:
		return &r.Yanked
	}
	panic("releaselake: no boolean column " + strconv.Itoa(int(c)))
}

// Columns is a block of consecutive rows of a snapshot, column by column: row
// i of the block is (Str[ColProduct][i], Str[ColTag][i], …). Every slice has
// the same length.
type Columns struct {
	Str  [NumStr][]string
	Time [NumTime][]time.Time
	Bool [NumBool][]bool
}

// Len returns the number of rows in the block.
func (c *Columns) Len() int { return len(c.Str[ColProduct]) }

// Resize makes every column n rows long, reusing what it can.
func (c *Columns) Resize(n int) {
	for k := range c.Str {
		c.Str[k] = slices.Grow(c.Str[k][:0], n)[:n]
	}
	for k := range c.Time {
		c.Time[k] = slices.Grow(c.Time[k][:0], n)[:n]
	}
	for k := range c.Bool {
		c.Bool[k] = slices.Grow(c.Bool[k][:0], n)[:n]
	}
}

// Fill sets c to the rows rels.
func (c *Columns) Fill(rels []Release) {
	c.Resize(len(rels))
	for k := range StrCol(NumStr) {
		col := c.Str[k]
		for i := range rels {
			col[i] = *rels[i].Str(k)
		}
	}
	for k := range TimeCol(NumTime) {
		col := c.Time[k]
		for i := range rels {
			col[i] = *rels[i].Time(k)
		}
	}
	for k := range BoolCol(NumBool) {
		col := c.Bool[k]
		for i := range rels {
			col[i] = *rels[i].Bool(k)
		}
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
