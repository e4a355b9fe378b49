package lake

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/releaselake/releaselake"
)

// RedRuns implements releaselake.Lake: it walks red/dt=*/run=*/*.jsonl.
func (s *Store) RedRuns(ctx context.Context) ([]releaselake.RedRun, error) {
	days, err := s.fs.ReadDir(ctx, redDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, boundary(err, "list red")
	}
	var runs []releaselake.RedRun
	for _, d := range days {
		day, ok := strings.CutPrefix(d.Name(), "dt=")
		if !ok || !d.IsDir() {
			continue
		}
		dayDir := redDir + "/" + d.Name()
		ids, err := s.fs.ReadDir(ctx, dayDir)
		if err != nil {
			return nil, boundary(err, "list %s", dayDir)
		}
		for _, r := range ids {
			id, ok := strings.CutPrefix(r.Name(), "run=")
			if !ok || !r.IsDir() {
				continue
			}
			files, err := s.fs.ReadDir(ctx, dayDir+"/"+r.Name())
			if err != nil {
				return nil, boundary(err, "list red run %s", id)
			}
			run := releaselake.RedRun{ID: id, Day: day}
			for _, f := range files {
				if src, ok := strings.CutSuffix(f.Name(), ".jsonl"); ok && !strings.HasPrefix(src, ".") {
					run.Sources = append(run.Sources, src)
				}
			}
			sort.Strings(run.Sources)
			runs = append(runs, run)
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].ID < runs[j].ID })
	return runs, nil
}

// ReadRed implements releaselake.Lake.
func (s *Store) ReadRed(ctx context.Context, run releaselake.RedRun, source string) ([][]byte, error) {
	name := fmt.Sprintf("%s/dt=%s/run=%s/%s.jsonl", redDir, run.Day, run.ID, source)
	f, err := s.fs.Open(ctx, name)
	if err != nil {
		return nil, boundary(err, "read %s", name)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			lines = append(lines, append([]byte(nil), sc.Bytes()...))
		}
	}
	return lines, boundary(sc.Err(), "read %s", name)
}
