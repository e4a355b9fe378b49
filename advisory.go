package releaselake

import (
	"context"
	"strings"
	"time"
)

// Ecosystems are the package ecosystems of GitHub's advisory database
// (its SecurityAdvisoryEcosystem values) that a catalog's package key may name.
var Ecosystems = []string{"PIP", "NPM", "MAVEN", "GO", "RUBYGEMS", "NUGET", "COMPOSER", "RUST"}

// ValidEcosystem reports whether e is one of Ecosystems.
func ValidEcosystem(e string) bool {
	for _, x := range Ecosystems {
		if x == e {
			return true
		}
	}
	return false
}

// Package is a product's identity in a package ecosystem, as GitHub's advisory
// database names it: ecosystem PIP, package "django"; MAVEN,
// "org.springframework.boot:spring-boot". The zero Package is none.
type Package struct {
	Ecosystem string // one of Ecosystems
	Name      string
}

// PackageOf returns the package identity of p: its pypi, npm or maven source
// gives it, else the catalog's package key (Product.Package); the zero Package
// if it has none, and then no advisories are fetched for it.
func PackageOf(p Product) Package {
	switch p.Kind {
	case "pypi":
		return Package{"PIP", p.Ref}
	case "npm":
		return Package{"NPM", p.Ref}
	case "maven":
		return Package{"MAVEN", p.Ref}
	}
	return p.Package
}

// Advisory is one row of the yellow_advisories table: one vulnerable range of
// one GitHub security advisory about a product's package. An advisory with
// several ranges (one per release line, say) is several rows with the same
// GHSAID. A withdrawn advisory is kept, with WithdrawnAt set.
type Advisory struct {
	Product         string    // the catalog key
	GHSAID          string    // "GHSA-m2qf-hxjv-5gpq"
	Summary         string    // one line
	Severity        string    // LOW, MODERATE, HIGH or CRITICAL
	VulnerableRange string    // GitHub's syntax: ">= 2.3.0, < 2.3.2" (see ParseRange)
	FirstPatched    string    // the first version not affected on this range; "" if none is
	PublishedAt     time.Time // when GitHub published the advisory (UTC)
	UpdatedAt       time.Time // when this vulnerability was last changed (UTC)
	WithdrawnAt     time.Time // zero unless the advisory was withdrawn
	URL             string    // the advisory's page on github.com
	Ecosystem       string    // the package's, one of Ecosystems
	Package         string    // the package's name
}

// Withdrawn reports whether GitHub withdrew the advisory.
func (a Advisory) Withdrawn() bool { return !a.WithdrawnAt.IsZero() }

// Key identifies the row within a product: an advisory's ranges are its rows.
func (a Advisory) Key() string { return a.GHSAID + " " + a.VulnerableRange }

// Affects reports whether version lies in the advisory's vulnerable range; ok
// is false when the range or the version cannot be evaluated (ParseRange's
// error, or a version the project's order does not know): the answer is then
// unknown, not no.
func (a Advisory) Affects(version string) (affected, ok bool) {
	r, err := ParseRange(a.VulnerableRange)
	if err != nil {
		return false, false
	}
	return r.Contains(version)
}

// Fixes reports whether version is the advisory's first patched version on
// this range (equal by version order: 2.2.5 and 2.2.5.0 are one version).
func (a Advisory) Fixes(version string) bool {
	if a.FirstPatched == "" {
		return false
	}
	p, v := VersionOf(a.FirstPatched), VersionOf(version)
	return p.Valid() && v.Valid() && sameVersion(p, v)
}

// Range is a parsed vulnerable range: every condition must hold.
type Range struct {
	conds []cond
}

type cond struct {
	op string // "=", "<", "<=", ">", ">="
	v  Version
}

// maxRangeLen bounds a range string; GitHub's longest are a few dozen bytes.
const maxRangeLen = 512

// ParseRange reads a vulnerable range in GitHub's syntax: conditions joined
// by ", ", each an operator (=, <, <=, >, >=) and a version: ">= 3.0.0, < 3.5.2",
// "= 1.2.3", "<= 2.0", "< 0.1". It returns an Invalid error for anything else
// (an unknown operator, a bound that is not a version in the project's order),
// so that a range it cannot evaluate says so instead of guessing.
func ParseRange(s string) (Range, error) {
	if len(s) > maxRangeLen {
		return Range{}, Errorf(Invalid, "range longer than %d bytes", maxRangeLen)
	}
	var r Range
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		op := ""
		for _, o := range []string{">=", "<=", "=", "<", ">"} {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		if op == "" {
			return Range{}, Errorf(Invalid, "range %q: condition %q has no operator (=, <, <=, >, >=)", s, part)
		}
		v, err := ParseVersion(strings.TrimSpace(part[len(op):]))
		if err != nil {
			return Range{}, Errorf(Invalid, "range %q: %s", s, MessageOf(err))
		}
		r.conds = append(r.conds, cond{op, v})
	}
	return r, nil
}

// Contains reports whether version satisfies every condition of r, by the
// project's version order (CompareVersions; versions equal by that order, as
// 1.2 and 1.2.0, are equal here). ok is false when version is not a version
// the order knows.
func (r Range) Contains(version string) (in, ok bool) {
	v := VersionOf(version)
	if !v.Valid() || len(r.conds) == 0 {
		return false, false
	}
	for _, c := range r.conds {
		d := orderOf(v, c.v)
		hold := false
		switch c.op {
		case "=":
			hold = d == 0
		case "<":
			hold = d < 0
		case "<=":
			hold = d <= 0
		case ">":
			hold = d > 0
		case ">=":
			hold = d >= 0
		}
		if !hold {
			return false, true
		}
	}
	return true, true
}

// orderOf compares two valid versions by version order alone: release part,
// then suffix. Unlike Compare it breaks no ties by build metadata or string,
// so 1.2 and 1.2.0, or 5.3.0 and 5.3.0.RELEASE, are equal.
func orderOf(v, w Version) int {
	if c := compareRelease(v.s[:v.relEnd], w.s[:w.relEnd]); c != 0 {
		return c
	}
	return compareTokens(v.s[v.relEnd:v.build], w.s[w.relEnd:w.build], true)
}

func sameVersion(v, w Version) bool { return orderOf(v, w) == 0 }

// AdvisoryCrawl is one product's package for AdvisorySource.FetchAdvisories,
// with what the lake knows of it.
type AdvisoryCrawl struct {
	Product Product
	Package Package    // PackageOf(Product), never the zero Package
	Prev    []Advisory // the product's rows in the newest committed advisories version
	State   []byte     // what the source returned in Fetched.State last time; nil if none
}

// AdvisorySource fetches the security advisories of products' packages. As
// with Source, fetching and parsing are apart, so that the advisories table
// can be rebuilt from red.
type AdvisorySource interface {
	// FetchAdvisories asks upstream about each crawl's package and returns,
	// per crawl in the same order, the raw answers (one JSON document each,
	// kept in red under AdvisoryRed) and the state for next time, or the
	// error that stopped it. One product's failure never stops the others.
	FetchAdvisories(ctx context.Context, crawls []AdvisoryCrawl) []Fetched
	// ParseAdvisories turns one product's raw answers of one run into the
	// product's complete set of advisory rows, given its rows before the run
	// (an incremental answer says what changed, prev supplies the rest).
	ParseAdvisories(p Product, raw [][]byte, prev []Advisory) ([]Advisory, error)
}

// AdvisoryRed is the red file (source name) of advisory answers.
const AdvisoryRed = "github-advisories"

// AdvisorySnapshot is one committed version of the yellow_advisories table.
type AdvisorySnapshot struct {
	Version       int64 // the table's version; NoVersion when none is committed
	YellowVersion int64 // the yellow version it was committed with; NoVersion if none
	Advisories    []Advisory
}

// AdvisoryLake is a lake that keeps a yellow_advisories table beside yellow
// (lake.Store is one). Each commit records the yellow version it accompanies,
// so a reader of yellow version v reads the advisories committed with v or
// before it.
type AdvisoryLake interface {
	// AdvisoriesHead returns the table's newest version, NoVersion if none.
	AdvisoriesHead(ctx context.Context) (int64, error)
	// AdvisoriesFor returns the newest committed version whose yellow version
	// is at most yellow: what a reader of that yellow version sees; the empty
	// snapshot (Version NoVersion) if there is none.
	AdvisoriesFor(ctx context.Context, yellow int64) (AdvisorySnapshot, error)
	// CommitAdvisories writes rows as the table's complete new state on top of
	// version base, recording yellow as the yellow version it goes with, and
	// returns the new version. Class Conflict if base is not the head; class
	// Invalid if two rows share (Product, Key()).
	CommitAdvisories(ctx context.Context, base int64, rows []Advisory, yellow int64, info CommitInfo) (int64, error)
}
