package lake

import (
	"os"
	"path/filepath"
	"testing"
)

// A lake's directories, where they exist, are directories and its tables'
// logs can be listed; an empty directory is an empty lake.
func TestCheckLocal_layout(t *testing.T) {
	for _, c := range []struct {
		name  string
		dirs  []string
		files []string
		want  string
	}{
		{name: "empty"},
		{name: "tables", dirs: []string{"red/_delta_log", "yellow/_delta_log", "_runs", "_state"}},
		{name: "yellow a file", files: []string{"yellow"}, want: "yellow is not a directory, so this is not a lake (docs/lake.md)"},
		{name: "state a file", dirs: []string{"red/_delta_log"}, files: []string{"_state"}, want: "_state is not a directory, so this is not a lake (docs/lake.md)"},
		{name: "log a file", dirs: []string{"yellow_advisories"}, files: []string{"yellow_advisories/_delta_log"},
			want: "yellow_advisories/_delta_log is not a directory, so this is not a lake (docs/lake.md)"},
	} {
		root := t.TempDir()
		for _, d := range c.dirs {
			os.MkdirAll(filepath.Join(root, d), 0o755)
		}
		for _, f := range c.files {
			os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644)
		}
		got := ""
		if err := CheckLocal(root); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
