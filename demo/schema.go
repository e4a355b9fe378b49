package demo

import (
	"bytes"
	"embed"
	"io"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
)

// data holds everything the demo serves, so that it runs from the binary alone,
// with no ../shared/fixtures and no .cache beside it:
//
//   - data/github.csv: how each repository of the default catalog is filled;
//   - data/github/*.jsonl.gz: the recorded tag histories of shared/fixtures/github;
//   - data/github-schema.graphql.gz: GitHub's GraphQL schema, which the fake GitHub
//     validates and executes every query against, as in the tests.
//
// The schema is embedded rather than read from .cache/github-schema.graphql when
// present: the fake cannot execute a query without the schema's types (the demo
// would otherwise need npm and `make github-schema` first), and a demo that
// validated only sometimes would hide a crawler query GitHub would reject. Its
// 1.1 MB of SDL are 1 MB of descriptions: without them (SchemaSDL) and gzipped it
// is 54 kB. TestEmbeddedData keeps the copy equal to the one `make github-schema`
// prints; `go test ./demo -run TestEmbeddedData -update` rewrites it.
//
//go:embed data
var data embed.FS

// schemaFile is the embedded copy of GitHub's schema.
const schemaFile = "data/github-schema.graphql.gz"

// githubSchema returns the embedded schema's SDL.
func githubSchema() (string, error) {
	b, err := data.ReadFile(schemaFile)
	if err != nil {
		return "", err
	}
	sdl, err := gunzip(b)
	return string(sdl), err
}

// SchemaSDL prints GitHub's schema (the SDL `make github-schema` writes) as the
// demo embeds it: the same definitions, without their descriptions.
func SchemaSDL(full io.Reader) (string, error) {
	src, err := io.ReadAll(full)
	if err != nil {
		return "", err
	}
	doc, err := parser.ParseSchema(&ast.Source{Name: "github-schema.graphql", Input: string(src)})
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithoutDescription(), formatter.WithCompacted()).FormatSchemaDocument(doc)
	return b.String(), nil
}
