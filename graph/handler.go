package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/graph/fastpath"
)

// Limits of the handler.
const (
	ComplexityLimit = 5000    // per operation; lists count by their page size
	MaxBodyBytes    = 1 << 20 // request body cap
	ParserTokens    = 15000   // parser token limit
)

// Defaults of Options.
const (
	DefaultMaxAge     = 60 * time.Second // Cache-Control max-age of GET query answers
	DefaultCacheBytes = 64 << 20         // response cache
	// DefaultMaxResponseBytes caps an answer (RESPONSE_TOO_LARGE over it):
	// the largest legitimate one, 100 rows of every field, is ~100 KB.
	DefaultMaxResponseBytes = 8 << 20
)

// Options configure the /graphql handler.
type Options struct {
	Log *slog.Logger // where internal errors go; nil discards
	// AdminToken is what mutations need as "Authorization: Bearer <token>";
	// empty refuses every mutation (FORBIDDEN).
	AdminToken string
	// CORSOrigins are the browser origins allowed to call /graphql ("*" for
	// any); none sends no CORS headers, so browsers refuse cross-origin calls.
	CORSOrigins []string
	MaxAge      time.Duration // DefaultMaxAge when 0
	CacheBytes  int           // DefaultCacheBytes when 0; negative: no response cache
	// MaxResponseBytes caps an answer (DefaultMaxResponseBytes when 0): a
	// larger one is replaced by a RESPONSE_TOO_LARGE error, never sent.
	MaxResponseBytes int
	// Observe, when set, is told of every request but CORS preflights and
	// OPTIONS, once answered: the operation name it gave ("" if none, or if
	// its body or query string could not be decoded), its outcome
	// (OutcomeOK, OutcomeError, OutcomeNotModified) and the time from its
	// headers read to its answer written. The handler decodes the name as it
	// reads the request anyway, so nothing else need read the body again.
	Observe func(op, outcome string, elapsed time.Duration)
	// FastPathFallback, when set, is told of each query (or root field) the
	// fast or direct path handed back to gqlgen: which path
	// (fastpath.PathExecutor, PathDirect) and why (a fastpath.Reason…,
	// ReasonPanic for a recovered panic).
	FastPathFallback func(path, reason string)
}

// shortcuts are test knobs of newHandler; production has none.
type shortcuts struct {
	off      bool            // answer everything through gqlgen's executor (no direct path either)
	noDirect bool            // no direct path; the fast path within gqlgen's executor only
	noMemo   bool            // no row memo
	path     **fastpath.Path // set to the fast path made, to read its counts
	use      []graphql.HandlerExtension
}

// NewHandler returns the /graphql handler:
//   - transports OPTIONS, GET and POST (application/json) only: no form or
//     multipart, so a mutation cannot be posted cross-site without a preflight;
//     GET refuses mutations (fastpath.GET);
//   - CORS for the allowed origins; the admin token on mutations;
//   - automatic persisted queries, a parsed-query cache, introspection;
//   - the direct path for queries seen before (fastpath.Direct), else gqlgen;
//   - complexity, parser-token and body limits;
//   - a response cache keyed by (request, lake version), ETag = lake version and
//     Cache-Control on GET query answers, 304 on If-None-Match, no-store else;
//   - the error presenter: extensions.code, internals logged and hidden.
func NewHandler(r *Resolver, o Options) http.Handler {
	return newHandler(r, o, shortcuts{})
}

func newHandler(r *Resolver, o Options, sc shortcuts) http.Handler {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := Config{Resolvers: r}
	cfg.Complexity.Query.Releases = func(child int, _ []string, _, _ *time.Time, _ *bool, _ *ReleaseOrder, first *int, _ *string, _ *time.Time, last *int, _ *string, seenSince *time.Time) int {
		return pageCost(child, first, last, seenSince != nil)
	}
	cfg.Complexity.Product.Releases = func(child int, _, _ *time.Time, _ *bool, _ *ReleaseOrder, first *int, _ *string, _ *time.Time, last *int, _ *string, seenSince *time.Time) int {
		return pageCost(child, first, last, seenSince != nil)
	}
	cfg.Complexity.Product.Lines = func(child int, _ ReleaseLineDepth, first *int, _ *time.Time, _ *string) int {
		return pageCost(child, first, nil, false) // a product's lines, up to first of them
	}
	// Each id may be a release to find and answer, as a list element is.
	cfg.Complexity.Query.Nodes = func(child int, ids []string) int { return 1 + len(ids)*max(child, 1) }
	catalogSize := len(r.Catalog.Products())
	cfg.Complexity.Query.Products = func(child int, _ *string) int { return 1 + catalogSize*child }
	cfg.Complexity.Query.Latest = func(child int, products []string, _ *time.Time) int {
		n := len(products)
		if n == 0 {
			n = catalogSize
		}
		return 1 + n*child
	}
	priceAdvisories(&cfg) // advisories.go
	cfg.Complexity.Query.Changes = func(child int, _ *int, _ *time.Time, _ []string, first *int) int {
		// What it reads, then every row it returns (changes.go).
		return ChangeReadCost + pageCost(child, first, nil, false)
	}
	cfg.Complexity.Query.IngestRuns = func(child int, last *int) int {
		n := 10
		if last != nil && *last >= 1 && *last <= 100 {
			n = *last
		}
		return 1 + n*child
	}

	es := NewExecutableSchema(cfg)
	docs := fastpath.NewDocs(1000)
	srv := fastpath.NewServer(es, docs)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(fastpath.GET{})
	srv.AddTransport(fastpath.POST{})
	srv.SetParserTokenLimit(ParserTokens)
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(extension.FixedComplexityLimit(ComplexityLimit, pricing...))
	srv.Use(&introspectionPrice{})
	srv.Use(newAdminAuth(o.AdminToken, docs))
	srv.Use(noteAnswer{})
	for _, ext := range sc.use {
		srv.Use(ext)
	}
	var direct *fastpath.Direct
	if !sc.off {
		fo := fastpath.Options{Log: log, Fallback: o.FastPathFallback, ComplexityLimit: ComplexityLimit, Pricing: pricing, Knows: directKnows}
		if sc.noMemo {
			fo.RowMemoBytes = -1
		}
		fast := fastpath.New(fastSource{r}, fo)
		srv.Use(fast)
		if !sc.noDirect {
			direct = fast.Direct(srv)
		}
		if sc.path != nil {
			*sc.path = fast
		}
	}
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		return present(ctx, err, log)
	})
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "graphql panic", "panic", v)
		return errors.New("internal error")
	})

	maxAge := o.MaxAge
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	h := &httpLayer{
		next:      srv,
		direct:    direct,
		index:     r.Index,
		publicHdr: []string{"public, max-age=" + strconv.Itoa(int(maxAge/time.Second))},
		etags:     etagMemo{fingerprint: fingerprint(r.Catalog)},
		etagsGQL:  etagMemo{fingerprint: fingerprint(r.Catalog) + "-g"},
		observe:   o.Observe,
		maxAnswer: o.MaxResponseBytes,
	}
	if h.maxAnswer <= 0 {
		h.maxAnswer = DefaultMaxResponseBytes
	}
	switch {
	case o.CacheBytes == 0:
		h.cache = newResponseCache(DefaultCacheBytes)
	case o.CacheBytes > 0:
		h.cache = newResponseCache(o.CacheBytes)
	}
	var root http.Handler = h
	if r.Broadcast != nil {
		root = newStreams(h, es, r.Broadcast, o, log) // subscriptions: graph/stream.go
	}
	if len(o.CORSOrigins) == 0 {
		return root
	}
	return cors.New(cors.Options{
		AllowedOrigins: o.CORSOrigins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Content-Type", "Authorization", "Accept", "If-None-Match"},
		ExposedHeaders: []string{"ETag"},
		MaxAge:         600,
	}).Handler(root)
}

// directKnows are graph's extensions the direct path may skip: the admin
// token checks mutations only (it answers queries only), noteAnswer's
// note it sets itself, and it never answers __schema or __type, which
// introspectionPrice prices. An extension Used but not listed turns it off.
var directKnows = []string{"AdminToken", "CacheNote", "IntrospectionPrice"}

// Serve serves srv on ln with the gateway's one-write connections
// (fastpath.Serve).
func Serve(srv *http.Server, ln net.Listener) error { return fastpath.Serve(srv, ln) }

// fingerprint is a short hash of what shapes answers besides the lake: the
// schema and the catalog.
func fingerprint(c *releaselake.Catalog) string {
	h := sha256.New()
	for _, s := range sources {
		fmt.Fprintf(h, "%s\x00", s.Input)
	}
	for _, p := range c.Products() {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", p.Key, p.Name, p.Source(), p.Repo())
	}
	return hex.EncodeToString(h.Sum(nil))[:8]
}

// pricing is how both gqlgen and the direct path price an operation. A
// connection's totalCount and pageInfo are answered once per page, not per
// row: they are left out of what pageCost multiplies by the page size (gqlgen
// takes no field cost below 1, so they could not be made free otherwise),
// which still charges at least one a row.
var pricing = []complexity.Option{complexity.WithIgnoreFields(map[string]struct{}{
	"ReleaseConnection.totalCount": {},
	"ReleaseConnection.pageInfo":   {},
})}

// pageCost prices a connection by the page it may return.
//
// With seenSince a page costs at least MaxFirst rows, whatever its size:
// counting what it keeps may visit thousands of rows (serving.countSeen),
// so its aliases are held to what a full page's are.
func pageCost(child int, first, last *int, seenSince bool) int {
	n := MaxFirst
	switch {
	case seenSince, first != nil && last != nil: // the latter refused by the resolver
	case first != nil && *first >= 0 && *first <= MaxFirst:
		n = *first
	case last != nil && *last >= 0 && *last <= MaxFirst:
		n = *last
	}
	// A page costs at least one a row it may return, whatever it selects:
	// finding its rows (and hasNextPage) takes a walk through them even when
	// only totalCount is asked (first: 0 asks for none).
	return 1 + n*max(child, 1)
}

// present turns an error into what the client sees: a domain error's message and
// class as extensions.code; anything else is logged and shown as internal.
func present(ctx context.Context, err error, log *slog.Logger) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	var de *releaselake.Error
	if errors.As(err, &de) {
		gerr.Message = de.Message
		setCode(gerr, string(de.Class))
		if de.Class == releaselake.Internal || de.Class == releaselake.Unavailable {
			log.ErrorContext(ctx, "graphql", "path", gerr.Path.String(), "err", err)
		}
		return gerr
	}
	var ge *gqlerror.Error
	if errors.As(err, &ge) && ge.Extensions["code"] != nil {
		return gerr // gqlgen's own: parse, validation, complexity, persisted query
	}
	if errors.As(err, &ge) && ge.Path == nil {
		// A request error without a code (a body or parameter that is not
		// JSON, a persisted query's hash that is not its text's): the client's.
		setCode(gerr, string(releaselake.Invalid))
		return gerr
	}
	log.ErrorContext(ctx, "graphql internal error", "path", gerr.Path.String(), "err", err)
	gerr.Message = "internal error"
	setCode(gerr, string(releaselake.Internal))
	return gerr
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}

// SplitList splits a comma-separated list (RELEASELAKE_CORS_ORIGINS), dropping blanks.
func SplitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
