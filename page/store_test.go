package page

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func encode(t *testing.T, s *Snapshot) []byte {
	t.Helper()
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestStore_keepsTheLastFewAndResumes(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := st.Latest(); s != nil || err != nil {
		t.Fatalf("empty store: %v %v", s, err)
	}
	snap := testSnapshot(t)
	for v := int64(1); v <= 5; v++ {
		snap.Version = v
		if err := st.Save(encode(t, snap)); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"snapshot-000000000003.json", "snapshot-000000000004.json", "snapshot-000000000005.json"}
	if got := files(t, dir); len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
		t.Fatalf("files %v, want %v", got, want)
	}
	// A crash mid-write leaves a temporary file: reopening removes it and resumes
	// from the newest complete snapshot.
	os.WriteFile(filepath.Join(dir, ".tmp-snapshot-000000000006.json-123"), []byte(`{"vers`), 0o644)
	st, err = OpenStore(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	s, err := st.Latest()
	if err != nil || s == nil || s.Version != 5 {
		t.Fatalf("after reopen: %+v %v", s, err)
	}
	if got := files(t, dir); len(got) != 3 {
		t.Fatalf("temporary file left: %v", got)
	}
	snap.Version = 6
	if err := st.Save(encode(t, snap)); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir); got[2] != "snapshot-000000000006.json" {
		t.Fatalf("sequence did not resume: %v", got)
	}
}

func TestStore_damagedNewestFallsBackToPrevious(t *testing.T) {
	dir := t.TempDir()
	st, _ := OpenStore(dir, 0)
	snap := testSnapshot(t)
	st.Save(encode(t, snap))
	os.WriteFile(filepath.Join(dir, "snapshot-000000000002.json"), []byte("{not json"), 0o644)
	s, err := st.Latest()
	if s == nil || s.Version != 7 || err == nil {
		t.Fatalf("got %+v, %v; want version 7 and an error naming the damaged file", s, err)
	}
}

func TestStore_seenSignaturesSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	st, _ := OpenStore(dir, 0)
	if err := st.SaveSeen(map[string]int64{"sha256=ab": 42}); err != nil {
		t.Fatal(err)
	}
	st, _ = OpenStore(dir, 0)
	seen, err := st.LoadSeen()
	if err != nil || seen["sha256=ab"] != 42 {
		t.Fatalf("%v %v", seen, err)
	}
}
