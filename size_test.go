package releaselake_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Files hold one concept and stay readable in one sitting: no hand-written Go
// file over 500 lines, and the command no more than wiring (under 1,000
// lines of non-test code in cmd/releaselake).
func TestFileSizes(t *testing.T) {
	const maxFile, maxCmd = 500, 1000
	cmd := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("// Code generated ")) {
			return nil
		}
		n := bytes.Count(b, []byte("\n"))
		if n > maxFile {
			t.Errorf("%s has %d lines; split it by concept (at most %d)", path, n, maxFile)
		}
		if filepath.Dir(path) == filepath.Join("cmd", "releaselake") && !strings.HasSuffix(path, "_test.go") {
			cmd += n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cmd >= maxCmd || cmd == 0 {
		t.Errorf("cmd/releaselake has %d lines of non-test code; it holds flags, config and wiring (under %d)", cmd, maxCmd)
	}
}
