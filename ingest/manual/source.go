// Package manual is the source for releases kept by hand: a YAML file with a
// top-level releases: list of {version, date, url, prerelease}, for in-house
// tools that publish nowhere else. The file is the whole truth: a release taken
// out of it leaves the lake too.
//
//	releases:
//	  - version: 2.4.0
//	    date: 2024-11-04                 # YYYY-MM-DD (UTC) or RFC 3339
//	    url: https://wiki.example.com/queryme/2.4.0   # optional
//	  - version: 2.5.0-rc.1
//	    date: 2024-11-20T10:00:00+01:00
//	    prerelease: true                 # optional; else the version says
package manual

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/releaselake/releaselake"
)

// MaxBytes bounds a manual file.
const MaxBytes = 4 << 20

// Source reads manual files. A relative path is read from FS when it is set (the
// files embedded beside the default catalog), else from Dir on disk (the
// directory of the catalog file that names it); an absolute path from disk.
type Source struct {
	Dir string
	FS  fs.FS
	Now func() time.Time // when a file was read, for red
}

var _ releaselake.Source = (*Source)(nil)

// Kind returns kindName.
func (s *Source) Kind() string { return kindName }

// raw is the red line of one read of a file: its text as it was.
type raw struct {
	Path   string    `json:"path"`
	ReadAt time.Time `json:"readAt"`
	SHA256 string    `json:"sha256"`
	YAML   string    `json:"yaml"`
}

// state is the crawl state: the digest of the file whose rows are committed.
type state struct {
	SHA256 string `json:"sha256"`
}

// Fetch reads each product's file. A file with the digest saved in the state
// (and rows to keep) is unchanged and costs no red line.
func (s *Source) Fetch(ctx context.Context, crawls []releaselake.Crawl) []releaselake.Fetched {
	out := make([]releaselake.Fetched, len(crawls))
	for i, c := range crawls {
		p := c.Product
		out[i].Product = p.Key
		if err := ctx.Err(); err != nil {
			out[i].Err = err
			continue
		}
		data, err := s.read(p.Ref)
		if err != nil {
			out[i].Err = fmt.Errorf("manual %s: %w", p.Ref, err)
			continue
		}
		sum := sha256.Sum256(data)
		digest := hex.EncodeToString(sum[:])
		var old state
		if len(c.Prev) > 0 && json.Unmarshal(c.State, &old) == nil && old.SHA256 == digest {
			out[i].Unchanged = true
			continue
		}
		line, err := json.Marshal(raw{Path: p.Ref, ReadAt: s.now(), SHA256: digest, YAML: string(data)})
		if err != nil {
			out[i].Err = fmt.Errorf("manual %s: %w", p.Ref, err)
			continue
		}
		st, _ := json.Marshal(state{SHA256: digest})
		out[i].Raw, out[i].State = [][]byte{line}, st
	}
	return out
}

func (s *Source) read(name string) ([]byte, error) {
	var data []byte
	var err error
	switch {
	case name == "":
		return nil, fmt.Errorf("no path")
	case filepath.IsAbs(name) || s.FS == nil:
		if !filepath.IsAbs(name) {
			name = filepath.Join(s.Dir, name)
		}
		data, err = readFile(name)
	default:
		data, err = fs.ReadFile(s.FS, path.Clean(filepath.ToSlash(name)))
	}
	if releaselake.ClassOf(err) == releaselake.Invalid {
		return nil, err
	}
	if err != nil {
		return nil, releaselake.Wrap(releaselake.NotFound, err, "read")
	}
	if len(data) > MaxBytes {
		return nil, tooLarge(int64(len(data)))
	}
	return data, nil
}

// readFile reads a manual file from disk: a regular file only (not /dev/zero,
// not a FIFO, which an open without O_NONBLOCK would wait on forever), of at
// most MaxBytes, its size checked before it is read and its reading bounded
// should it grow meanwhile.
func readFile(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, releaselake.Errorf(releaselake.Invalid, "%s is not a regular file (%s)", name, fi.Mode().Type())
	}
	if fi.Size() > MaxBytes {
		return nil, tooLarge(fi.Size())
	}
	return io.ReadAll(io.LimitReader(f, MaxBytes+1))
}

func tooLarge(n int64) error {
	return releaselake.Errorf(releaselake.Invalid, "%d bytes, more than the %d a manual file may have", n, MaxBytes)
}

func (s *Source) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Parse turns the file into one row per release. The file is kept by hand, so
// any mistake in it fails the product with its line: an unknown key, a missing
// or unreadable version or date, a version listed twice.
func (s *Source) Parse(p releaselake.Product, lines [][]byte, prev []releaselake.Release) (releaselake.Parsed, error) {
	fail := func(format string, args ...any) (releaselake.Parsed, error) {
		return releaselake.Parsed{}, fmt.Errorf("manual %s: %s", p.Ref, fmt.Sprintf(format, args...))
	}
	if len(lines) != 1 {
		return fail("want 1 raw answer, got %d", len(lines))
	}
	var r raw
	if err := json.Unmarshal(lines[0], &r); err != nil {
		return fail("read raw answer: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(r.YAML), &doc); err != nil {
		return fail("%v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fail("want a mapping with a releases: list")
	}
	var list, listKey *yaml.Node
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		k := top.Content[i]
		if k.Value != "releases" {
			return fail("line %d: unknown top-level key %q", k.Line, k.Value)
		}
		// yaml.v3 keeps both of a key given twice: the first list would leave
		// the lake without a word.
		if listKey != nil {
			return fail("line %d: releases given twice (first at line %d)", k.Line, listKey.Line)
		}
		list, listKey = top.Content[i+1], k
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return fail("want a releases: list")
	}
	var out releaselake.Parsed
	seen := map[string]int{}
	for _, e := range list.Content {
		rel, err := entry(e)
		if err != nil {
			return fail("line %d: %v", e.Line, err)
		}
		if first, dup := seen[rel.Version]; dup {
			return fail("line %d: version %s is listed twice (first at line %d)", e.Line, rel.Version, first)
		}
		seen[rel.Version] = e.Line
		rel.Product, rel.Repo = p.Key, p.Ref
		out.Releases = append(out.Releases, rel)
	}
	return out, nil
}

// entry reads one release of the list.
func entry(n *yaml.Node) (releaselake.Release, error) {
	r := releaselake.Release{Source: releaselake.SourceManual, DateSource: releaselake.DateManual}
	if n.Kind != yaml.MappingNode {
		return r, fmt.Errorf("a release must be a mapping of version, date, url, prerelease")
	}
	var date string
	var pre *bool
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return r, fmt.Errorf("%s given twice", k.Value)
		}
		seen[k.Value] = true
		if v.Kind != yaml.ScalarNode {
			return r, fmt.Errorf("%s must be a single value", k.Value)
		}
		switch k.Value {
		case "version":
			r.Version = v.Value
		case "date":
			date = v.Value
		case "url":
			r.URL = v.Value
		case "prerelease":
			b, err := strconv.ParseBool(v.Value)
			if err != nil {
				return r, fmt.Errorf("prerelease must be true or false, got %q", v.Value)
			}
			pre = &b
		default:
			return r, fmt.Errorf("unknown key %q (want version, date, url, prerelease)", k.Value)
		}
	}
	if _, err := releaselake.ParseVersion(r.Version); err != nil {
		return r, fmt.Errorf("%s", releaselake.MessageOf(err))
	}
	if date == "" {
		return r, fmt.Errorf("version %s has no date", r.Version)
	}
	at, err := time.Parse(time.DateOnly, date)
	if err != nil {
		if at, err = time.Parse(time.RFC3339Nano, date); err != nil {
			return r, fmt.Errorf("version %s: date %q is neither YYYY-MM-DD nor RFC 3339", r.Version, date)
		}
	}
	r.Tag, r.Name, r.PublishedAt = r.Version, r.Version, at.UTC()
	r.Prerelease = releaselake.IsPrerelease(r.Version)
	if pre != nil {
		r.Prerelease = *pre
	}
	return r, nil
}
