package githubtest

import (
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Start, WithSchema and WithRepos make the fake usable outside a test: releaselake
// demo serves recorded histories from it in-process, with no schema file and no
// fixtures directory on disk. NewServer(t) is Start with the test as the reporter.

// reporter receives what fails a test: a query GitHub would reject, a control
// naming an unknown repository. testing.TB is one.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// reportFunc is Start's reporter.
type reportFunc func(msg string)

func (reportFunc) Helper() {}

func (f reportFunc) Errorf(format string, args ...any) { f(fmt.Sprintf(format, args...)) }

// standalone holds the options that replace the files the server reads.
type standalone struct {
	schemaName, schemaSDL string // SDL text of GitHub's schema; empty: read the schema file
	repos                 []Repo // the repositories; nil: the fixture files
}

// WithSchema makes the server validate and execute queries against this SDL text
// of GitHub's schema (name says where it comes from, in errors) instead of reading
// .cache/github-schema.graphql.
func WithSchema(name, sdl string) Option {
	return func(c *config) { c.schemaName, c.schemaSDL = name, sdl }
}

// WithRepos makes the server hold these repositories instead of the fixtures. Only
// Owner, Name, PublishesReleases and Tags are read: releases are derived from the
// tags as for the fixtures (derive.go).
func WithRepos(repos []Repo) Option {
	return func(c *config) { c.repos = slices.Clone(repos) }
}

// WithNotes makes notes(nameWithOwner, tag) the description of each derived
// release that has one (2 in 3; the others have none), instead of ReleaseNotes'
// made-up pull request and script probe: releaselake demo shows them to people.
func WithNotes(notes func(nameWithOwner, tag string) string) Option {
	return func(c *config) { c.notes = notes }
}

// Start starts a fake GitHub outside a test, on 127.0.0.1. What would fail a test
// is passed to report instead (the answer is the same). Close stops it.
func Start(report func(msg string), opts ...Option) (*Server, error) {
	return start(reportFunc(report), opts)
}

func (c *config) loadSchema() (*ast.Schema, error) {
	if c.schemaSDL == "" {
		return loadSchema()
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: c.schemaName, Input: c.schemaSDL})
	if err != nil {
		return nil, fmt.Errorf("load GitHub schema %s: %w", c.schemaName, err)
	}
	return schema, nil
}

func (c *config) loadRepos() ([]fixtureRepo, error) {
	if c.repos == nil {
		return loadFixtures()
	}
	out := make([]fixtureRepo, len(c.repos))
	for i, r := range c.repos {
		out[i] = fixtureRepo{owner: r.Owner, name: r.Name, releases: r.PublishesReleases, tags: slices.Clone(r.Tags)}
	}
	return out, nil
}
