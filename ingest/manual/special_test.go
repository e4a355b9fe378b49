package manual

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

// Special files fail the product at once, without reading them: /dev/zero
// was read until the OOM killer, a FIFO hung the ingest.
func TestSource_specialFilesFailPromptly(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "releases.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 1<<30); err != nil { // sparse: 1 GiB that costs no disk
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Source{Dir: dir}
	cases := []struct{ path, want string }{
		{"/dev/zero", "not a regular file"},
		{fifo, "not a regular file"},
		{dir, "not a regular file"},
		{huge, "more than the 4194304 a manual file may have"},
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, c := range cases {
		start := time.Now()
		p := releaselake.Product{Key: "q", Kind: "manual", Ref: c.path}
		_, _, err := fetchParse(t, s, releaselake.Crawl{Product: p})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.path, err, c.want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %s", c.path, d)
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("allocated %d bytes refusing special files", grew)
	}
	_, got, err := fetchParse(t, s, releaselake.Crawl{Product: releaselake.Product{Key: "q", Kind: "manual", Ref: "good.yaml"}})
	if err != nil || len(got.Releases) != 4 {
		t.Errorf("a regular file afterwards: %v, %d releases", err, len(got.Releases))
	}
}
