package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/releaselake/releaselake"
)

// Security advisories: GitHub's securityVulnerabilities(ecosystem:, package:),
// one aliased field per package (a0, a1, …) in a request, as batch.go asks
// for repositories. GitHub's connection has no updatedSince argument (its
// schema, which the fake GitHub checks, refuses one), so the incremental
// crawl reads the default order, UPDATED_AT DESC, and stops at the first page
// that reaches back to the newest updatedAt of the last run (the state's
// Since); a package whose state is missing, unreadable, out of step with the
// rows, or due its weekly full listing (ResyncEvery) is listed to its end, and
// that listing replaces its rows, so a vulnerability GitHub removed goes too.
// docs/github.md, "Security advisories", shows the query and its cost.

// advPageFull and advPageIncr are the page sizes of a full listing and of an
// incremental one's first page (most packages change rarely).
const (
	advPageFull = 100
	advPageIncr = 10
	// advBatch is how many packages one request asks about: 50 connections of
	// at most 100 nodes stay within GitHub's 500,000 nodes and cost 1 point.
	advBatch = 50
	// advMaxPages bounds the pages of one package in a run: the largest
	// packages (the Linux kernel aside, not a catalog product) have a few
	// hundred advisory ranges.
	advMaxPages = 50
)

type vulnConn struct {
	TotalCount int
	PageInfo   pageInfo
	Nodes      []vulnNode
}

type vulnNode struct {
	Advisory struct {
		GHSAID      string     `graphql:"ghsaId" json:"ghsaId"`
		Summary     string     `json:"summary"`
		Severity    string     `json:"severity"`
		PublishedAt time.Time  `json:"publishedAt"`
		WithdrawnAt *time.Time `json:"withdrawnAt"`
		Permalink   string     `json:"permalink"`
	} `json:"advisory"`
	VulnerableVersionRange string `json:"vulnerableVersionRange"`
	FirstPatchedVersion    *struct {
		Identifier string `json:"identifier"`
	} `json:"firstPatchedVersion"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// advLine is one red line of AdvisoryRed: one package's part of one answer.
//
//	{"ecosystem":"PIP","package":"flask","round":1,"fetchedAt":"…","full":true,
//	 "data":{"securityVulnerabilities":{"totalCount":2,"pageInfo":{…},"nodes":[…]}}}
type advLine struct {
	Ecosystem string    `json:"ecosystem"`
	Package   string    `json:"package"`
	Round     int       `json:"round"`
	FetchedAt time.Time `json:"fetchedAt"`
	// Full says the run lists the package from its first page to its end: its
	// nodes replace the product's rows instead of updating them.
	Full bool            `json:"full"`
	Data json.RawMessage `json:"data"` // {"securityVulnerabilities": …}
}

// advState is what the source keeps of a package between runs, in
// _state/github-advisories/<product>.json, written after the commit.
type advState struct {
	V        int       `json:"v"`       // format, 1
	Package  string    `json:"package"` // "PIP flask": another package lists in full
	Since    time.Time `json:"since"`   // the newest updatedAt seen
	LastFull time.Time `json:"lastFull"`
	Rows     int       `json:"rows"` // rows after the run: other prev rows list in full
}

// advJob is one package being crawled.
type advJob struct {
	product string
	pkg     releaselake.Package
	full    bool
	since   time.Time // stop once a page reaches back to it (incremental)
	after   *string
	first   int
	pages   int
	lines   [][]byte
	state   advState
	err     error
	done    bool
}

var (
	advTypesMu sync.Mutex
	advTypes   = map[int]reflect.Type{}
)

// advType returns the query type of a request for n packages.
func advType(n int) reflect.Type {
	advTypesMu.Lock()
	defer advTypesMu.Unlock()
	if t, ok := advTypes[n]; ok {
		return t
	}
	fields := append(advFields(n), reflect.StructField{Name: "RateLimit", Type: reflect.TypeOf(rateLimit{})})
	t := reflect.StructOf(fields)
	advTypes[n] = t
	return t
}

// advFields are the query fields of n packages' advisories, aliased a0, a1, ….
func advFields(n int) []reflect.StructField {
	fields := make([]reflect.StructField, 0, n)
	for i := range n {
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("A%d", i), Type: reflect.TypeOf(vulnConn{}), Tag: reflect.StructTag(fmt.Sprintf(
			`graphql:"a%d: securityVulnerabilities(ecosystem: $e%d, package: $p%d, first: $f%d, after: $c%d, orderBy: {field: UPDATED_AT, direction: DESC})"`, i, i, i, i, i))})
	}
	return fields
}

// advVars adds the variables of batch's advisory fields to vars.
func advVars(batch []*advJob, vars map[string]any) {
	for i, j := range batch {
		vars[fmt.Sprintf("e%d", i)] = githubv4.SecurityAdvisoryEcosystem(j.pkg.Ecosystem)
		vars[fmt.Sprintf("p%d", i)] = githubv4.String(j.pkg.Name)
		vars[fmt.Sprintf("f%d", i)] = githubv4.Int(j.first)
		var after *githubv4.String
		if j.after != nil {
			after = githubv4.NewString(githubv4.String(*j.after))
		}
		vars[fmt.Sprintf("c%d", i)] = after
	}
}

// FetchAdvisories implements releaselake.AdvisorySource: advBatch packages per
// request, one request at a time, each package paging on its own cursor.
// GitHub's refusals and rate limits end the crawl as for releases; a failed
// answer is retried a few times, then its packages fail.
func (s *Source) FetchAdvisories(ctx context.Context, crawls []releaselake.AdvisoryCrawl) []releaselake.Fetched {
	now := s.cfg.Now().UTC()
	s.mu.Lock()
	prepared := s.prepared
	s.prepared, s.riders = nil, nil
	s.mu.Unlock()
	jobs := make([]*advJob, len(crawls))
	var queue []*advJob
	for i, c := range crawls {
		j := prepared[c.Product.Key]
		if j == nil || j.pkg != c.Package {
			j = s.newAdvJob(c, now)
		}
		jobs[i] = j
		if !j.done && j.err == nil {
			queue = append(queue, j)
		}
	}
	for round := 1; len(queue) > 0; round++ {
		batch := queue[:min(advBatch, len(queue))]
		rest := queue[len(batch):]
		if fatal := s.advRequest(ctx, batch, round); fatal != nil {
			for _, j := range queue {
				j.err = fatal
			}
			break
		}
		queue = nil
		for _, j := range batch {
			if !j.done && j.err == nil {
				queue = append(queue, j)
			}
		}
		queue = append(queue, rest...)
	}
	out := make([]releaselake.Fetched, len(crawls))
	for i, j := range jobs {
		out[i] = releaselake.Fetched{Product: crawls[i].Product.Key, Err: j.err}
		if j.err != nil {
			continue
		}
		out[i].Raw = j.lines
		// The state counts the rows the answers make of the previous ones, as
		// the ingest will: a lake whose rows differ next time lists in full.
		rows, err := s.ParseAdvisories(crawls[i].Product, j.lines, crawls[i].Prev)
		if err != nil {
			out[i].Err = err
			continue
		}
		j.state.Rows = len(rows)
		out[i].State, _ = json.Marshal(j.state)
	}
	return out
}

// newAdvJob starts the crawl of c's package: in full, or incremental from its state.
func (s *Source) newAdvJob(c releaselake.AdvisoryCrawl, now time.Time) *advJob {
	j := &advJob{product: c.Product.Key, pkg: c.Package, first: advPageFull}
	id := c.Package.Ecosystem + " " + c.Package.Name
	var st advState
	ok := len(c.State) > 0 && json.Unmarshal(c.State, &st) == nil && st.V == 1
	if !ok || st.Package != id || st.Rows != len(c.Prev) || (&repoState{LastFull: st.LastFull}).resyncDue(now, s.cfg.ResyncEvery, id) {
		j.full, j.state = true, advState{V: 1, Package: id, LastFull: now}
	} else {
		j.since, j.first, j.state = st.Since, advPageIncr, st
	}
	return j
}

// PrepareAdvisories hands the source the advisory crawls of the coming
// FetchAdvisories before the release crawl, whose first request then carries
// their first pages (as many as fit its connection budget, up to advBatch)
// beside the repositories: on a day with nothing new, releases and
// advisories cost one request together. FetchAdvisories goes on from what
// that request read, and asks the rest itself.
func (s *Source) PrepareAdvisories(crawls []releaselake.AdvisoryCrawl) {
	now := s.cfg.Now().UTC()
	prepared := make(map[string]*advJob, len(crawls))
	riders := make([]*advJob, 0, len(crawls))
	for _, c := range crawls {
		j := s.newAdvJob(c, now)
		prepared[c.Product.Key] = j
		riders = append(riders, j)
	}
	s.mu.Lock()
	s.prepared, s.riders = prepared, riders
	s.mu.Unlock()
}

// takeRiders returns the prepared advisory jobs that ride along the first
// request of a crawl (round 1) with asks, as many as its connection budget
// leaves room for; they are taken once, whatever that request's fate.
func (s *Source) takeRiders(round int, asks []ask) []*advJob {
	if round != 1 {
		return nil
	}
	room := s.cfg.ConnectionBudget
	for _, a := range asks {
		room -= a.connections()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := max(0, min(room, advBatch, len(s.riders)))
	out := s.riders[:n:n]
	s.riders = s.riders[n:]
	return out
}

// advRequest sends one request for batch and hands each package its part of
// the answer; it returns an error only when the whole crawl must stop.
func (s *Source) advRequest(ctx context.Context, batch []*advJob, round int) error {
	vars := make(map[string]any, 4*len(batch))
	advVars(batch, vars)
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return releaselake.Wrap(releaselake.Unavailable, err, "github advisories crawl stopped")
		}
		at := s.cfg.Now().UTC()
		var resp response
		qerr := s.client.Query(withCapture(ctx, &resp), reflect.New(advType(len(batch))).Interface(), vars)
		s.mu.Lock()
		s.stats.Requests++
		s.mu.Unlock()
		verdict, wait := classify(resp, resp.body, qerr, at)
		switch verdict {
		case verdictOK:
			s.advRead(batch, resp.body, round, at, true)
			return nil
		case verdictUnauthorized:
			return releaselake.Errorf(releaselake.Unauthorized, "GitHub refused the token (HTTP 401): check GITHUB_TOKEN")
		case verdictUnsendable:
			return unanswered(qerr)
		case verdictRefused:
			return releaselake.Errorf(releaselake.Invalid, "GitHub answered %s (%s), not retried: check GITHUB_GRAPHQL_URL", describe(resp, qerr), http.StatusText(resp.status))
		}
		if attempt >= maxBatchRetries {
			return releaselake.Errorf(releaselake.Unavailable, "GitHub advisories: %s after %d attempts", describe(resp, qerr), attempt)
		}
		if wait == 0 {
			wait = s.backoff(attempt, resp.status != 0)
		}
		if waited += wait; waited > s.cfg.MaxWait {
			return releaselake.Errorf(releaselake.Unavailable, "GitHub advisories: %s; waiting longer than %s", describe(resp, qerr), s.cfg.MaxWait)
		}
		s.cfg.Log.Warn("github advisories request failed: trying again", "why", describe(resp, qerr), "wait", wait, "attempt", attempt)
		if err := s.cfg.Sleep(ctx, wait); err != nil {
			return releaselake.Wrap(releaselake.Unavailable, err, "github advisories crawl stopped")
		}
	}
}

// advRead hands each package of an OK answer its part: a red line, and what
// to ask next (another page, or nothing). rate says whether to count the
// answer's rateLimit (not when the advisories rode along a release request,
// which counts it).
func (s *Source) advRead(batch []*advJob, body []byte, round int, at time.Time, rate bool) {
	if len(batch) == 0 {
		return
	}
	var ans struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []graphQLError             `json:"errors"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		for _, j := range batch {
			j.err = releaselake.Wrap(releaselake.Unavailable, err, "github advisories: unreadable answer")
		}
		return
	}
	if rate {
		s.noteRate(ans.Data["rateLimit"])
	}
	for i, j := range batch {
		a := fmt.Sprintf("a%d", i)
		var conn *vulnConn
		if raw := ans.Data[a]; len(raw) > 0 {
			if err := json.Unmarshal(raw, &conn); err != nil {
				j.err = releaselake.Wrap(releaselake.Unavailable, err, "github advisories: unreadable answer")
				continue
			}
		}
		if conn == nil {
			j.err = releaselake.Errorf(releaselake.Unavailable, "github advisories of %s %s: %s", j.pkg.Ecosystem, j.pkg.Name, advError(ans.Errors, a))
			continue
		}
		line, err := json.Marshal(advLine{Ecosystem: j.pkg.Ecosystem, Package: j.pkg.Name, Round: round, FetchedAt: at,
			Full: j.full, Data: json.RawMessage(`{"securityVulnerabilities":` + string(ans.Data[a]) + `}`)})
		if err != nil {
			j.err = err
			continue
		}
		j.lines = append(j.lines, line)
		j.pages++
		reached := false
		for _, n := range conn.Nodes {
			if n.UpdatedAt.After(j.state.Since) {
				j.state.Since = n.UpdatedAt.UTC()
			}
			if !j.full && !n.UpdatedAt.After(j.since) {
				reached = true
			}
		}
		switch {
		case !conn.PageInfo.HasNextPage || conn.PageInfo.EndCursor == nil || reached:
			j.done = true
		case j.pages >= advMaxPages:
			j.err = releaselake.Errorf(releaselake.Unavailable, "github advisories of %s %s: more than %d pages", j.pkg.Ecosystem, j.pkg.Name, advMaxPages)
		default:
			j.after, j.first = conn.PageInfo.EndCursor, advPageFull
		}
	}
}

// advError says why an answer has no data for alias a.
func advError(errs []graphQLError, a string) string {
	for i := range errs {
		if len(errs[i].Path) > 0 && errs[i].Path[0] == a {
			return errs[i].Error()
		}
	}
	return "no data in the answer"
}

// ParseAdvisories implements releaselake.AdvisorySource. A run that listed
// the package in full gives the rows; an incremental one updates prev's rows
// with the vulnerabilities it read (by GHSA id and range). It uses nothing
// but its arguments.
func (s *Source) ParseAdvisories(p releaselake.Product, raw [][]byte, prev []releaselake.Advisory) ([]releaselake.Advisory, error) {
	return ParseAdvisories(p, raw, prev)
}

// ParseAdvisories is Source.ParseAdvisories, for callers without a Source
// (rebuild).
func ParseAdvisories(p releaselake.Product, raw [][]byte, prev []releaselake.Advisory) ([]releaselake.Advisory, error) {
	rows := map[string]releaselake.Advisory{}
	var order []string
	put := func(a releaselake.Advisory) {
		k := a.Key()
		if _, ok := rows[k]; !ok {
			order = append(order, k)
		}
		rows[k] = a
	}
	full := false
	var lines []advLine
	for _, b := range raw {
		var l advLine
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, releaselake.Wrap(releaselake.Invalid, err, "github advisories: unreadable red line of "+p.Key)
		}
		full = full || l.Full
		lines = append(lines, l)
	}
	if !full {
		for _, a := range prev {
			put(a)
		}
	}
	for _, l := range lines {
		var d struct {
			SecurityVulnerabilities struct {
				Nodes []vulnNode `json:"nodes"`
			} `json:"securityVulnerabilities"`
		}
		if err := json.Unmarshal(l.Data, &d); err != nil {
			return nil, releaselake.Wrap(releaselake.Invalid, err, "github advisories: unreadable answer of "+p.Key)
		}
		for _, n := range d.SecurityVulnerabilities.Nodes {
			if n.Advisory.GHSAID == "" {
				continue
			}
			a := releaselake.Advisory{Product: p.Key, GHSAID: clip(n.Advisory.GHSAID), Summary: clip(n.Advisory.Summary),
				Severity: clip(n.Advisory.Severity), VulnerableRange: clip(n.VulnerableVersionRange),
				PublishedAt: n.Advisory.PublishedAt.UTC(), UpdatedAt: n.UpdatedAt.UTC(),
				URL: n.Advisory.Permalink, Ecosystem: l.Ecosystem, Package: l.Package}
			if u, ok := releaselake.SafeURL(a.URL); ok {
				a.URL = u
			} else {
				a.URL = ""
			}
			if n.FirstPatchedVersion != nil {
				a.FirstPatched = clip(n.FirstPatchedVersion.Identifier)
			}
			if n.Advisory.WithdrawnAt != nil {
				a.WithdrawnAt = n.Advisory.WithdrawnAt.UTC()
			}
			put(a)
		}
	}
	out := make([]releaselake.Advisory, 0, len(order))
	for _, k := range order {
		out = append(out, rows[k])
	}
	return out, nil
}

// maxAdvisoryText bounds each text GitHub gives of an advisory (its
// summaries are a line; 1 KiB is far beyond any).
const maxAdvisoryText = 1024

// clip bounds upstream text: control characters become spaces, and text
// past maxAdvisoryText is cut at a rune boundary.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > maxAdvisoryText {
		s = strings.ToValidUTF8(s[:maxAdvisoryText], "")
	}
	return s
}
