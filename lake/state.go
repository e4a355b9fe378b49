package lake

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
)

const stateDir = "_state"

// stateName checks a state name: one or more [0-9A-Za-z_-] parts joined by "/".
func stateName(name string) error {
	parts := strings.Split(name, "/")
	for _, p := range parts {
		if err := validID("state name part", p); err != nil {
			return err
		}
	}
	return nil
}

// ReadState implements releaselake.Lake: _state/<name>.json, nil if absent.
func (s *Store) ReadState(ctx context.Context, name string) ([]byte, error) {
	if err := stateName(name); err != nil {
		return nil, boundary(err, "read state")
	}
	f, err := s.fs.Open(ctx, stateDir+"/"+name+".json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, boundary(err, "read state %s", name)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	return data, boundary(err, "read state %s", name)
}

// WriteState implements releaselake.Lake: replaces _state/<name>.json atomically.
func (s *Store) WriteState(ctx context.Context, name string, data []byte) error {
	if err := stateName(name); err != nil {
		return boundary(err, "write state")
	}
	dir, base := stateDir, name
	if i := strings.LastIndex(name, "/"); i >= 0 {
		dir, base = stateDir+"/"+name[:i], name[i+1:]
	}
	return boundary(s.replace(ctx, dir, base+".json", data), "write state %s", name)
}
