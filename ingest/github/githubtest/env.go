package githubtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// SchemaEnv names the environment variable that overrides where the schema is read from.
const SchemaEnv = "RELEASELAKE_GITHUB_SCHEMA"

// schemaPath is where `make github-schema` writes the re-printed schema, relative to the repo root.
const schemaPath = ".cache/github-schema.graphql"

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// The schema is 1 MB of SDL; parse it once per process, not once per test.
var schemas sync.Map // path -> *loadedSchema

type loadedSchema struct {
	once   sync.Once
	schema *ast.Schema
	err    error
}

// loadSchema finds and parses GitHub's schema; a missing file is an error that says how to make it.
func loadSchema() (*ast.Schema, error) {
	path := os.Getenv(SchemaEnv)
	if path == "" {
		root, err := repoRoot()
		if err != nil {
			return nil, fmt.Errorf("find GitHub schema: %w", err)
		}
		path = filepath.Join(root, schemaPath)
	}
	v, _ := schemas.LoadOrStore(path, &loadedSchema{})
	ls := v.(*loadedSchema)
	ls.once.Do(func() {
		src, err := os.ReadFile(path)
		if err != nil {
			ls.err = fmt.Errorf("read GitHub schema (run make github-schema): %w", err)
			return
		}
		ls.schema, ls.err = gqlparser.LoadSchema(&ast.Source{Name: path, Input: string(src)})
		if ls.err != nil {
			ls.err = fmt.Errorf("load GitHub schema %s (run make github-schema): %w", path, ls.err)
		}
	})
	return ls.schema, ls.err
}

// fixturesDir is ../shared/fixtures beside the repo root.
func fixturesDir() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("find fixtures: %w", err)
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "fixtures")
	if _, err := os.Stat(filepath.Join(dir, "products.csv")); err != nil {
		return "", fmt.Errorf("find fixtures: %w", err)
	}
	return dir, nil
}
