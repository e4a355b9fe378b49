package demo

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// repoPlan is one row of data/github.csv: how the demo fills one repository.
type repoPlan struct {
	repo     string // owner/name
	releases bool   // the project publishes GitHub releases (else tags only)
	fixture  bool   // the tags are the recorded history data/github/<owner>__<name>.jsonl.gz
	prefix   string // generated: the tag before the version ("v", "rel/release-", "gatsby@")
	latest   [3]int // generated: the newest release on day 1
	pre      string // generated: the prerelease suffix, N standing for its number ("-rc.N"); "" none
	cadence  int    // generated: days between releases
	day2     string // "ga", "patch", or the tags the second day adds (space-separated)
}

// readPlans reads data/github.csv.
func readPlans() ([]repoPlan, error) {
	f, err := data.Open("data/github.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("data/github.csv: %w", err)
	}
	var plans []repoPlan
	for _, row := range rows[1:] {
		p := repoPlan{repo: row[0], releases: row[1] == "yes", fixture: row[2] == "yes", prefix: row[3], pre: row[5], day2: row[7]}
		if !p.fixture {
			if p.latest, err = parseVersion(row[4]); err != nil {
				return nil, fmt.Errorf("data/github.csv %s: %w", p.repo, err)
			}
			if p.cadence, err = strconv.Atoi(row[6]); err != nil || p.cadence < 1 {
				return nil, fmt.Errorf("data/github.csv %s: cadence %q", p.repo, row[6])
			}
		}
		plans = append(plans, p)
	}
	return plans, nil
}

func parseVersion(s string) (v [3]int, err error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, fmt.Errorf("version %q: want X.Y.Z", s)
	}
	for i, p := range parts {
		if v[i], err = strconv.Atoi(p); err != nil {
			return v, fmt.Errorf("version %q: %w", s, err)
		}
	}
	return v, nil
}

// history is a repository's tags on day 1: the recorded ones, or the generated
// timeline.
func (p repoPlan) history(now time.Time) (githubtest.Repo, error) {
	if p.fixture {
		return p.recorded()
	}
	owner, name, _ := strings.Cut(p.repo, "/")
	repo := githubtest.Repo{Owner: owner, Name: name, PublishesReleases: p.releases}
	for _, v := range p.timeline(now) {
		repo.Tags = append(repo.Tags, p.tag(v.name, v.at))
	}
	return repo, nil
}

// timeline is the generated versions on day 1, oldest first, dated: a run of
// releases ending a few days before now, with the next minor's first prerelease
// when day2 is "ga".
func (p repoPlan) timeline(now time.Time) []version {
	versions := p.versions()
	step := time.Duration(p.cadence) * 24 * time.Hour
	// The latest release came out 3 days to a cadence and 3 days ago: a busy
	// project's recently, a quiet one's long ago.
	at := now.Add(-3*24*time.Hour - time.Duration(hash(p.repo)%uint32(p.cadence*24))*time.Hour)
	for i := len(versions) - 1; i >= 0; i-- { // newest first, going back in time
		versions[i].at = at.UTC().Truncate(time.Second)
		if i > 0 && versions[i-1].pre { // a minor line's prereleases come a few days apart, and before its .0
			at = at.Add(-step / 3)
		} else {
			at = at.Add(-step - time.Duration(hash(p.repo, versions[i].name)%24)*time.Hour)
		}
	}
	if p.day2 == "ga" && p.pre != "" {
		next := fmt.Sprintf("%d.%d.0", p.latest[0], p.latest[1]+1)
		versions = append(versions, version{next + p.preSuffix(1), true, now.Add(-2 * 24 * time.Hour).UTC().Truncate(time.Second)})
	}
	return versions
}

// versions is the generated run of versions, oldest first: the last four minor
// lines up to latest, each opened by two prereleases (when the project makes
// them) and followed by a few patches.
func (p repoPlan) versions() []version {
	var out []version
	major, minor := p.latest[0], p.latest[1]
	type line struct{ major, minor int }
	var lines []line
	for len(lines) < 4 && major >= 0 {
		lines = append([]line{{major, minor}}, lines...)
		if minor--; minor < 0 {
			major, minor = major-1, 3
		}
	}
	for i, l := range lines {
		patches := 1 + int(hash(p.repo, strconv.Itoa(l.minor))%3)
		if i == len(lines)-1 {
			patches = p.latest[2]
		}
		if p.pre != "" {
			for n := 1; n <= 2; n++ {
				out = append(out, version{name: fmt.Sprintf("%d.%d.0%s", l.major, l.minor, p.preSuffix(n)), pre: true})
			}
		}
		for patch := 0; patch <= patches; patch++ {
			out = append(out, version{name: fmt.Sprintf("%d.%d.%d", l.major, l.minor, patch)})
		}
	}
	return out
}

// version is a generated version: its name (no tag prefix), whether it is a
// prerelease, and when it came out.
type version struct {
	name string
	pre  bool
	at   time.Time
}

func (p repoPlan) preSuffix(n int) string { return strings.ReplaceAll(p.pre, "N", strconv.Itoa(n)) }

// tag is version's tag, annotated as the Apache projects' (which publish no releases) are.
func (p repoPlan) tag(version string, at time.Time) githubtest.Tag {
	return githubtest.Tag{Name: p.prefix + version, Date: at, Annotated: !p.releases}
}

// day2Tags is what the second day adds, as tags.
func (p repoPlan) day2Tags(now time.Time) []githubtest.Tag {
	var tags []githubtest.Tag
	for _, v := range p.day2Versions(now) {
		tags = append(tags, p.tag(v.name, v.at))
	}
	return tags
}

// day2Versions is what the second day adds: the versions named in
// data/github.csv (whole tags, for recorded histories), the GA of the
// prerelease of day 1, or the next patch.
func (p repoPlan) day2Versions(now time.Time) []version {
	var names []string
	switch p.day2 {
	case "":
	case "ga":
		names = []string{fmt.Sprintf("%d.%d.0", p.latest[0], p.latest[1]+1)}
	case "patch":
		names = []string{fmt.Sprintf("%d.%d.%d", p.latest[0], p.latest[1], p.latest[2]+1)}
	default:
		names = strings.Fields(p.day2)
	}
	var out []version
	for _, n := range names {
		out = append(out, version{name: n, at: now.UTC().Truncate(time.Second)})
	}
	return out
}

// recorded reads the embedded copy of the repository's fixture history.
func (p repoPlan) recorded() (githubtest.Repo, error) {
	name := "data/github/" + strings.ReplaceAll(p.repo, "/", "__") + ".jsonl.gz"
	b, err := data.ReadFile(name)
	if err != nil {
		return githubtest.Repo{}, err
	}
	text, err := gunzip(b)
	if err != nil {
		return githubtest.Repo{}, fmt.Errorf("%s: %w", name, err)
	}
	repo, err := githubtest.ParseHistory(bytes.NewReader(text), name)
	repo.PublishesReleases = p.releases
	return repo, err
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func hash(parts ...string) uint32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum32()
}
