package githubtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Server is a fake GitHub GraphQL API. Its methods are safe for concurrent use.
type Server struct {
	URL   string // the GraphQL endpoint: base URL + "/graphql"
	Token string // the token the server accepts (Client sends it)

	t      reporter // the test, or Start's report function
	hs     *http.Server
	client *http.Transport // Client's: to 127.0.0.1, no proxy
	served chan struct{}   // closed when hs.Serve has returned
	schema *ast.Schema
	cfg    config

	mu       sync.Mutex
	repos    map[string]*Repo // by lower-case "owner/name"
	renamed  map[string]*Repo // old lower-case "owner/name" -> repository
	relIDs   map[int64]bool
	requests []Request
	usage    Usage
	seq      int
	fault    func(*Request) *Fault
	rate     rateLimit
	vulns    map[string][]Vulnerability // by packageKey; advisory.go
}

// Option configures NewServer.
type Option func(*config)

type config struct {
	allowInvalid bool
	token        string
	now          func() time.Time
	noLog        bool
	notes        func(nameWithOwner, tag string) string // derived releases' descriptions
	standalone                                          // Start's options (standalone.go)
}

// AllowInvalid stops the server from failing the test on queries GitHub would reject;
// they are still answered with errors and listed by Rejected.
func AllowInvalid() Option { return func(c *config) { c.allowInvalid = true } }

// WithToken sets the accepted token (default "ghp_githubtest").
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithoutRequestLog stops the server from keeping each request (Requests and Rejected
// return nothing): a crawl of thousands of repositories would keep every answer in
// memory. Usage still counts them.
func WithoutRequestLog() Option { return func(c *config) { c.noLog = true } }

// Usage is what the server answered so far, counted.
type Usage struct {
	Requests int // HTTP requests answered
	Points   int // rate-limit points charged (GitHub's cost of each executed query)
	Nodes    int // nodes the executed queries could return (GitHub's node count)
	Rejected int // queries GitHub would have refused
}

// Usage returns the counts of everything answered so far.
func (s *Server) Usage() Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage
}

// WithClock sets the clock used for the rate-limit window and for release edits
// (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Request is one HTTP request the server received, with what it answered.
type Request struct {
	Seq           int // order of arrival, from 1
	Header        http.Header
	Query         string
	OperationName string
	Variables     map[string]any // as encoding/json decodes them: numbers are float64
	Status        int            // HTTP status answered (0 while a fault function looks at it)
	Body          []byte         // response body
	Errors        []Error        // the response's top-level errors
	// Rejected is set when GitHub would have refused the query: unparsable, invalid against
	// the schema, bad variables, or breaking the pagination or node limits.
	Rejected bool
	Faulted  bool // answered by a Fault
}

// Error is a GraphQL error as GitHub writes it.
type Error struct {
	Type       string         `json:"type,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Locations  []Location     `json:"locations,omitempty"`
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Location is a line and column in the query text.
type Location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// TB is the part of testing.TB NewServer uses (a *testing.T is one). The package
// does not import testing: releaselake demo links it into the shipping binary.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// NewServer starts a fake GitHub GraphQL API holding the fixture repositories; it is closed
// when the test ends. It fails the test when the schema (make github-schema) or the
// fixtures are missing.
func NewServer(t TB, opts ...Option) *Server {
	t.Helper()
	s, err := start(t, opts)
	if err != nil {
		t.Fatalf("githubtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// start is NewServer and Start: it reads the schema and the repositories (the
// options', else the files'), and listens on 127.0.0.1.
func start(t reporter, opts []Option) (*Server, error) {
	cfg := config{token: "ghp_githubtest", now: time.Now, notes: ReleaseNotes}
	for _, o := range opts {
		o(&cfg)
	}
	schema, err := cfg.loadSchema()
	if err != nil {
		return nil, err
	}
	fixtures, err := cfg.loadRepos()
	if err != nil {
		return nil, err
	}
	s := &Server{
		t:       t,
		schema:  schema,
		cfg:     cfg,
		Token:   cfg.token,
		repos:   map[string]*Repo{},
		renamed: map[string]*Repo{},
		relIDs:  map[int64]bool{},
	}
	s.rate = rateLimit{limit: 5000, resetAt: cfg.now().Add(time.Hour).Truncate(time.Second)}
	for _, fr := range fixtures {
		r := newRepo(fr, cfg.notes)
		for i := range r.Releases {
			r.Releases[i].DatabaseID = s.uniqueReleaseID(r.Releases[i].DatabaseID)
		}
		s.repos[strings.ToLower(r.NameWithOwner())] = r
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.hs = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	s.client, s.served = &http.Transport{}, make(chan struct{})
	go func() {
		defer close(s.served)
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.t.Errorf("githubtest: serve: %v", err)
		}
	}()
	s.URL = "http://" + ln.Addr().String() + "/graphql"
	return s, nil
}

// Close stops the server, waiting for the requests in flight.
func (s *Server) Close() {
	s.hs.Shutdown(context.Background())
	<-s.served
	s.client.CloseIdleConnections()
}

// Client returns an HTTP client that sends the server's token.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: &bearer{token: s.Token, base: s.client}}
}

type bearer struct {
	token string
	base  http.RoundTripper
}

func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "bearer "+b.token)
	return b.base.RoundTrip(req)
}

// Requests returns every request answered so far, in the order the answers were sent.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneRequests(s.requests, func(Request) bool { return true })
}

// Rejected returns the requests whose queries GitHub would have refused.
func (s *Server) Rejected() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneRequests(s.requests, func(r Request) bool { return r.Rejected })
}

func cloneRequests(rs []Request, keep func(Request) bool) []Request {
	var out []Request
	for _, r := range rs {
		if keep(r) {
			r.Header = r.Header.Clone()
			r.Variables = maps.Clone(r.Variables)
			out = append(out, r)
		}
	}
	return out
}

// SetFault installs f, called for each authenticated request before it is executed; a
// non-nil Fault is answered instead. f runs without the server's lock, so it may call the
// server's methods. SetFault(nil) removes it.
func (s *Server) SetFault(f func(req *Request) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.seq++
	req := Request{Seq: s.seq, Header: r.Header.Clone()}
	s.mu.Unlock()
	status, resp, hdr, cut := s.answer(r, body, &req)
	// Recorded before the answer goes out: a client that has it may count at once.
	req.Status, req.Body = status, resp
	if !s.cfg.noLog {
		var parsed struct{ Errors []Error }
		if json.Unmarshal(resp, &parsed) == nil {
			req.Errors = parsed.Errors
		}
	}
	s.mu.Lock()
	s.usage.Requests++
	if req.Rejected {
		s.usage.Rejected++
	}
	if !s.cfg.noLog {
		s.requests = append(s.requests, req)
	}
	s.mu.Unlock()
	for k, v := range hdr {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	if cut {
		w.Header().Set("Content-Length", strconv.Itoa(len(resp)))
		w.WriteHeader(status)
		w.Write(resp[:len(resp)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // closes the connection, quietly
	}
	w.WriteHeader(status)
	w.Write(resp)
	if req.Rejected && !s.cfg.allowInvalid {
		s.t.Errorf("githubtest: GitHub would reject this query:\n%s\nerrors: %s", req.Query, resp)
	}
}

// answer works out the response to one request, filling req as it learns, and
// whether to cut it off (Fault.Cut).
func (s *Server) answer(r *http.Request, body []byte, req *Request) (int, []byte, http.Header, bool) {
	if r.URL.Path != "/graphql" || r.Method != http.MethodPost {
		return http.StatusNotFound, []byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/graphql"}`), nil, false
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) != s.Token {
		return http.StatusUnauthorized, []byte(`{"message":"Bad credentials","documentation_url":"https://docs.github.com/graphql"}`), nil, false
	}
	var in struct {
		Query         *string        `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return http.StatusBadRequest, []byte(`{"message":"Problems parsing JSON","documentation_url":"https://docs.github.com/graphql"}`), nil, false
	}
	if in.Query != nil {
		req.Query = *in.Query
	}
	req.OperationName = in.OperationName
	var plain struct{ Variables map[string]any }
	_ = json.Unmarshal(body, &plain) // for Request: float64 numbers, unlike in.Variables
	req.Variables = plain.Variables

	s.mu.Lock()
	fault := s.fault
	s.mu.Unlock()
	if fault != nil {
		view := *req
		view.Header, view.Variables = req.Header.Clone(), maps.Clone(req.Variables)
		if f := fault(&view); f != nil {
			req.Faulted = true
			if f.Delay > 0 {
				select {
				case <-time.After(f.Delay):
				case <-r.Context().Done():
				}
			}
			status := f.Status
			if status == 0 {
				status = http.StatusOK
			}
			return status, []byte(f.Body), f.Header, f.Cut
		}
	}

	if in.Query == nil || strings.TrimSpace(*in.Query) == "" {
		req.Rejected = true
		return http.StatusOK, []byte(mustJSON(map[string]any{"errors": []Error{{Message: "A query attribute must be specified and must be a string."}}})), nil, false
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	q, errs := s.prepare(*in.Query, in.OperationName, in.Variables)
	if errs != nil {
		req.Rejected = true
		return http.StatusOK, []byte(mustJSON(map[string]any{"errors": errs})), s.rate.headers(), false
	}
	now := s.cfg.now()
	s.rate.roll(now)
	if !q.cost.dryRun && !s.rate.charge(now, q.cost) {
		return http.StatusOK, []byte(mustJSON(map[string]any{"errors": []Error{rateLimitedError()}})), s.rate.headers(), false
	}
	if !q.cost.dryRun {
		s.usage.Points += q.cost.cost
		s.usage.Nodes += q.cost.nodes
	}
	data, execErrs := s.execute(q)
	var out bytes.Buffer
	out.WriteString(`{"data":`)
	if err := data.write(&out); err != nil {
		panic(err)
	}
	if len(execErrs) > 0 {
		out.WriteString(`,"errors":`)
		out.WriteString(mustJSON(execErrs))
	}
	out.WriteByte('}')
	return http.StatusOK, out.Bytes(), s.rate.headers(), false
}

// rateLimit is the primary GraphQL limit: 5,000 points an hour.
type rateLimit struct {
	limit, used int
	resetAt     time.Time
}

// charge spends cost points, starting a new window when the old one is over; it reports
// false (and spends nothing) when too few points are left.
func (r *rateLimit) charge(now time.Time, q queryCost) bool {
	r.roll(now)
	if r.used+q.cost > r.limit {
		return false
	}
	r.used += q.cost
	return true
}

// roll starts a new window when the current one is over.
func (r *rateLimit) roll(now time.Time) {
	if !now.Before(r.resetAt) {
		r.used = 0
		r.resetAt = now.Add(time.Hour).Truncate(time.Second)
	}
}

func (r *rateLimit) headers() http.Header {
	return http.Header{
		"X-Ratelimit-Limit":     {strconv.Itoa(r.limit)},
		"X-Ratelimit-Remaining": {strconv.Itoa(r.limit - r.used)},
		"X-Ratelimit-Used":      {strconv.Itoa(r.used)},
		"X-Ratelimit-Reset":     {strconv.FormatInt(r.resetAt.Unix(), 10)},
		"X-Ratelimit-Resource":  {"graphql"},
	}
}

// SetRateLimit sets the points left in the current window and when it resets, e.g. to run
// a crawler into RATE_LIMITED.
func (s *Server) SetRateLimit(remaining int, resetAt time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate.used = s.rate.limit - remaining
	s.rate.resetAt = resetAt
}

func (s *Server) errorf(format string, args ...any) {
	s.t.Helper()
	s.t.Errorf("githubtest: "+format, args...)
}

func (s *Server) uniqueReleaseID(id int64) int64 {
	for s.relIDs[id] {
		id++
	}
	s.relIDs[id] = true
	return id
}

func (s *Server) lookup(nameWithOwner string) (*Repo, bool) {
	key := strings.ToLower(nameWithOwner)
	if r, ok := s.repos[key]; ok {
		return r, true
	}
	r, ok := s.renamed[key]
	return r, ok
}

func (s *Server) mustRepo(op, nameWithOwner string) *Repo {
	s.t.Helper()
	r, ok := s.lookup(nameWithOwner)
	if !ok {
		s.errorf("%s: no repository %q", op, nameWithOwner)
		return nil
	}
	r.listings = nil // every caller changes the repository
	return r
}
