package githubtest

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Repo is one fake repository: its tags and releases as the server holds them.
type Repo struct {
	Owner, Name string
	ID          string // GraphQL node id
	DatabaseID  int64
	// PublishesReleases is the github_releases column of products.csv; only such
	// repositories get releases derived from their tags.
	PublishesReleases bool
	Tags              []Tag     // fixture order (oldest first), then tags added by AddTag
	Releases          []Release // derivation order, then releases added by AddRelease
	// Description and HomepageURL are the repository's; empty ones resolve to
	// what facts.go knows of the fixture repository, or null.
	Description, HomepageURL string

	// listings caches each connection's items in their order ("releases/CREATED_AT"…),
	// so that paging through a large repository does not sort it once per page; every
	// change to the repository drops it.
	listings map[string][]connItem
}

// NameWithOwner is "owner/name".
func (r *Repo) NameWithOwner() string { return r.Owner + "/" + r.Name }

// Tag is a git tag.
type Tag struct {
	Name string
	// Date is the tagger date of an annotated tag or the commit date of a lightweight one
	// (the fixtures' date). Its offset is kept: GitHub's GitTimestamp is not converted to UTC.
	Date      time.Time
	Annotated bool
	// CommitDate is the tagged commit's date. Zero means Date for a lightweight tag and Date
	// minus 1-90 minutes (fixed per repository and tag) for an annotated one.
	CommitDate time.Time
	// OID is the tagged commit's object id; empty means one derived from the repository and tag.
	OID string
}

// Release is a GitHub release.
type Release struct {
	DatabaseID  int64 // AddRelease assigns one when zero
	TagName     string
	Name        string // empty resolves to null
	Description string // empty resolves to null
	// CreatedAt is, as on GitHub, the tagged commit's date (AddRelease's default; now if
	// the tag is unknown).
	CreatedAt    time.Time
	PublishedAt  time.Time // zero resolves to null, as for a draft
	UpdatedAt    time.Time
	IsPrerelease bool
	IsDraft      bool
	// Mislabeled marks a derived release of a release-candidate tag whose IsPrerelease was
	// deliberately left false, as authors sometimes forget to tick the box.
	Mislabeled bool
}

func (r *Repo) clone() *Repo {
	c := *r
	c.Tags = slices.Clone(r.Tags)
	c.Releases = slices.Clone(r.Releases)
	c.listings = nil
	return &c
}

func (r *Repo) tag(name string) (int, bool) {
	for i := range r.Tags {
		if r.Tags[i].Name == name {
			return i, true
		}
	}
	return -1, false
}

func (r *Repo) release(tagName string) (int, bool) {
	for i := range r.Releases {
		if r.Releases[i].TagName == tagName {
			return i, true
		}
	}
	return -1, false
}

// commitDate is the date of the commit a tag points at.
func (r *Repo) commitDate(t Tag) time.Time {
	if !t.CommitDate.IsZero() {
		return t.CommitDate
	}
	if !t.Annotated {
		return t.Date
	}
	// Annotated tags are made a little after their commit; a varying gap makes
	// TAG_COMMIT_DATE order differ from tagger-date order now and then, as it does on GitHub.
	return t.Date.Add(-time.Duration(1+hash32(r.NameWithOwner(), t.Name)%90) * time.Minute)
}

func (r *Repo) commitOID(t Tag) string {
	if t.OID != "" {
		return t.OID
	}
	return oid("commit", r.NameWithOwner(), t.Name)
}

// isLatest tells whether rel is GitHub's "latest" release: the newest published, non-draft,
// non-prerelease one by CreatedAt (GitHub also weighs semver; this fake does not).
func (r *Repo) isLatest(rel Release) bool {
	if rel.IsDraft || rel.IsPrerelease {
		return false
	}
	for _, o := range r.Releases {
		if o.IsDraft || o.IsPrerelease || o.DatabaseID == rel.DatabaseID {
			continue
		}
		if o.CreatedAt.After(rel.CreatedAt) || (o.CreatedAt.Equal(rel.CreatedAt) && o.DatabaseID > rel.DatabaseID) {
			return false
		}
	}
	return true
}

func hash32(parts ...string) uint32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum32()
}

func oid(kind string, parts ...string) string {
	sum := sha1.Sum([]byte(kind + "\x00" + strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

// nodeID makes a GitHub-looking global id ("R_kgDO…"-like): a type prefix and an opaque tail.
func nodeID(prefix, key string) string {
	return prefix + "_" + base64.RawURLEncoding.EncodeToString([]byte(key))
}

func repoDatabaseID(nameWithOwner string) int64 {
	return int64(hash32("repo", strings.ToLower(nameWithOwner))%900_000_000) + 10_000_000
}

// fixtureTag is one line of shared/fixtures/github/<owner>__<repo>.jsonl.
type fixtureTag struct {
	Owner     string `json:"owner"`
	Repo      string `json:"repo"`
	Tag       string `json:"tag"`
	Date      string `json:"date"`
	Annotated bool   `json:"annotated"`
}

type fixtureRepo struct {
	owner, name string
	releases    bool
	tags        []Tag
}

// The fixtures are read once per process; each Server derives its own copy of the data.
var (
	fixturesOnce sync.Once
	fixtures     []fixtureRepo
	fixturesErr  error
)

func loadFixtures() ([]fixtureRepo, error) {
	fixturesOnce.Do(func() {
		fixtures, fixturesErr = readFixtures()
	})
	return fixtures, fixturesErr
}

func readFixtures() ([]fixtureRepo, error) {
	dir, err := fixturesDir()
	if err != nil {
		return nil, err
	}
	releases, err := readProducts(filepath.Join(dir, "products.csv"))
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "github", "*.jsonl"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read fixtures: no github/*.jsonl in %s", dir)
	}
	slices.Sort(files)
	var repos []fixtureRepo
	for _, f := range files {
		r, err := readTags(f)
		if err != nil {
			return nil, err
		}
		r.releases = releases[strings.ToLower(r.owner+"/"+r.name)]
		repos = append(repos, r)
	}
	return repos, nil
}

// readProducts returns which repositories publish GitHub Releases.
func readProducts(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read products: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read products %s: %w", path, err)
	}
	out := map[string]bool{}
	for i, row := range rows {
		if i == 0 || len(row) < 4 || row[1] == "" {
			continue
		}
		out[strings.ToLower(row[1]+"/"+row[2])] = row[3] == "yes"
	}
	return out, nil
}

func readTags(path string) (fixtureRepo, error) {
	f, err := os.Open(path)
	if err != nil {
		return fixtureRepo{}, fmt.Errorf("read tags: %w", err)
	}
	defer f.Close()
	return parseTags(f, path)
}

// parseTags reads one repository's tags in the fixture format; name says where from.
func parseTags(in io.Reader, name string) (fixtureRepo, error) {
	var r fixtureRepo
	sc := bufio.NewScanner(in)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var ft fixtureTag
		if err := json.Unmarshal(sc.Bytes(), &ft); err != nil {
			return r, fmt.Errorf("read tags %s:%d: %w", name, line, err)
		}
		date, err := time.Parse(time.RFC3339, ft.Date)
		if err != nil {
			return r, fmt.Errorf("read tags %s:%d: %w", name, line, err)
		}
		r.owner, r.name = ft.Owner, ft.Repo
		r.tags = append(r.tags, Tag{Name: ft.Tag, Date: date, Annotated: ft.Annotated})
	}
	if err := sc.Err(); err != nil {
		return r, fmt.Errorf("read tags %s: %w", name, err)
	}
	if r.owner == "" {
		return r, fmt.Errorf("read tags %s: empty", name)
	}
	return r, nil
}

// ParseHistory reads one repository's tags in the format of the fixture files
// (github/<owner>__<repo>.jsonl: one JSON object a line, oldest first); name says
// where they come from, in errors. PublishesReleases is left false.
func ParseHistory(in io.Reader, name string) (Repo, error) {
	fr, err := parseTags(in, name)
	return Repo{Owner: fr.owner, Name: fr.name, Tags: fr.tags}, err
}

// newRepo builds a server's copy of one fixture repository, deriving its releases.
func newRepo(fr fixtureRepo, notes func(nameWithOwner, tag string) string) *Repo {
	r := &Repo{
		Owner:             fr.owner,
		Name:              fr.name,
		PublishesReleases: fr.releases,
		Tags:              slices.Clone(fr.tags),
	}
	r.DatabaseID = repoDatabaseID(r.NameWithOwner())
	r.ID = nodeID("R", strconv.FormatInt(r.DatabaseID, 10))
	if r.PublishesReleases {
		r.Releases = deriveReleases(r, notes)
	}
	return r
}

// Fixtures returns copies of the fixture repositories (their tags, and whether they
// publish releases), read from shared/fixtures, e.g. to build larger catalogs from
// real histories with AddHistory.
func Fixtures() ([]Repo, error) {
	frs, err := loadFixtures()
	if err != nil {
		return nil, err
	}
	out := make([]Repo, len(frs))
	for i, fr := range frs {
		out[i] = Repo{Owner: fr.owner, Name: fr.name, PublishesReleases: fr.releases, Tags: slices.Clone(fr.tags)}
	}
	return out, nil
}
