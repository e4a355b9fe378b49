package lake

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CheckLocal reports whether the local directory root has the layout a lake
// has: each of the lake's directories (its Delta tables red, yellow and
// yellow_advisories, and _runs and _state) that exists is a directory, and a
// table's _delta_log that exists is a directory that can be listed. Missing
// ones are fine (an empty lake has none). It reads no log: what a table holds
// is for loading to judge. A command checks it at start, so that a path
// holding something else is a mistake said in one line, not an empty lake
// that never gets ready.
func CheckLocal(root string) error {
	for _, dir := range []string{redDir, yellowDir, advisoriesDir, runsDir, stateDir} {
		fi, err := os.Stat(filepath.Join(root, dir))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("cannot read %s: %v", dir, err)
		case !fi.IsDir():
			return fmt.Errorf("%s is not a directory, so this is not a lake (docs/lake.md)", dir)
		}
		if dir == runsDir || dir == stateDir {
			continue
		}
		log := filepath.Join(dir, "_delta_log")
		if fi, err := os.Stat(filepath.Join(root, log)); err == nil && !fi.IsDir() {
			return fmt.Errorf("%s is not a directory, so this is not a lake (docs/lake.md)", log)
		} else if err == nil {
			if _, err := os.ReadDir(filepath.Join(root, log)); err != nil {
				return fmt.Errorf("cannot list %s: %v", log, err)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot read %s: %v", log, err)
		}
	}
	return nil
}
