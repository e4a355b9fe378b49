// Package fastpath holds the gateway's shortcuts around gqlgen's executor:
// the fast path (an extension writing the release-reading root fields
// straight to JSON from the index), the direct path (queries gqlgen has
// parsed before, answered without its executor), and what they need: forked
// transports, a params decoder, a row memo and the one-write connection. Each answers only when everything goes right and
// otherwise hands the request back to gqlgen, counting why (Options.Fallback).
// docs/architecture.md says why each exists; BENCHMARKS.md what each saves.
//
// graph imports this package, not the other way round: the fast path reads
// the resolvers' logic through Source, which graph implements, so the
// generated code and the resolvers need nothing from here.
package fastpath

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/complexity"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// Source is what the fast path reads, through the resolvers' own functions so
// that both paths answer alike. graph implements it.
type Source interface {
	// Catalog is the catalog served; its products in catalog order.
	Catalog() *releaselake.Catalog
	// Served is the index served now (nil before the first load): the row
	// memo keeps JSON for it only.
	Served() *serving.Index
	// IndexAt is the index a request reads at asOf (nil: the pinned one).
	IndexAt(ctx context.Context, asOf *time.Time) (*serving.Index, error)
	// Products are the catalog's products matching search (nil: all);
	// false where the resolver would answer an error.
	Products(search *string) ([]releaselake.Product, bool)
	// Product is the catalog entry of a release's product, or a stand-in
	// named by its key for a product since removed.
	Product(key string) releaselake.Product
	// Page reads the arguments of a releases field (of product, "" for
	// Query.releases) and returns the index it read, its order and page;
	// false where the resolver would answer an error.
	Page(ctx context.Context, product string, args Args) (*serving.Index, serving.Sort, serving.Page, bool)
	// Time reads a DateTime argument value (nil stays nil).
	Time(v any) (*time.Time, bool)
	// AppendCursor appends the cursor of rel in order s.
	AppendCursor(dst []byte, s serving.Sort, rel *releaselake.Release) []byte
	// AppendID appends the Node id of a release (tag "") or of a product.
	AppendID(dst []byte, product, tag string, release bool) []byte
	// Description and Homepage are a product's facts: the catalog's, else
	// what its source says (GitHub's repository); nil where there is none.
	Description(p *releaselake.Product) *string
	Homepage(p *releaselake.Product) *string
}

// Options configure the shortcuts. The zero value is valid.
type Options struct {
	// Log is where recovered panics go, once per query text; nil discards.
	Log *slog.Logger
	// Fallback, when set, is told of each query (or root field) a shortcut
	// handed back to gqlgen: which (PathExecutor, PathDirect) and why (a
	// Reason…). A recovered panic is a fallback with ReasonPanic.
	Fallback func(path, reason string)
	// ComplexityLimit and Pricing are how gqlgen prices an operation; the
	// direct path prices alike (0: no limit).
	ComplexityLimit int
	Pricing         []complexity.Option
	// RowMemoBytes bounds the JSON of releases the row memo keeps for the
	// served index (DefaultRowMemoBytes when 0; negative: no row memo).
	RowMemoBytes int
	// Knows names the server's extensions (ExtensionName) whose work the
	// direct path does itself or need not do, beside gqlgen's Introspection,
	// AutomaticPersistedQuery and ComplexityLimit, and the fast path's own.
	Knows []string
}

// Which shortcut handed a query back.
const (
	PathExecutor = "executor" // the fast path, within gqlgen's executor
	PathDirect   = "direct"   // the direct path, before gqlgen
)

// Why a query was handed back to gqlgen.
const (
	ReasonMutation     = "mutation"      // not a query
	ReasonUnknownField = "unknown_field" // selects a field the fast path does not write
	ReasonDirective    = "directive"     // @defer, or a directive reading a variable
	ReasonError        = "error"         // an argument or resolver error: gqlgen words it
	ReasonPanic        = "panic"         // recovered
	ReasonNewQuery     = "new_query"     // a text gqlgen has not parsed and validated yet
	ReasonPersisted    = "persisted"     // persisted-query extensions: gqlgen checks them
	ReasonRequest      = "request"       // a body or query string it does not decode
	ReasonVariables    = "variables"     // variables that do not coerce
	ReasonComplexity   = "complexity"    // over the complexity limit
)

// Path is the fast path: a gqlgen extension (Use it on the server) and the
// direct path built on it (Direct).
type Path struct {
	src      Source
	products map[string]listed // the catalog by key, not copied per row
	size     *atomic.Int64     // the last answer's size: the next one's buffer
	memos    *rowMemos         // rows already written, for the served index
	o        Options
	log      *slog.Logger
	fields   atomic.Int64 // root fields answered within the executor
	requests atomic.Int64 // requests answered by the direct path
	panics   sync.Map     // query hash -> struct{}: logged already
	nPanics  atomic.Int64 // entries of panics, bounded by maxPanicShapes
}

// New returns the fast path over src.
func New(src Source, o Options) *Path {
	ps := src.Catalog().Products()
	p := &Path{src: src, products: make(map[string]listed, len(ps)), size: new(atomic.Int64), memos: &rowMemos{max: int64(o.RowMemoBytes)}, o: o, log: o.Log}
	if o.RowMemoBytes == 0 {
		p.memos.max = DefaultRowMemoBytes
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	for i := range ps {
		p.products[ps[i].Key] = listed{&ps[i], int32(i)}
	}
	return p
}

// Answered returns how many root fields the fast path answered within
// gqlgen's executor, and how many requests the direct path answered.
func (p *Path) Answered() (fields, requests int64) { return p.fields.Load(), p.requests.Load() }

// fallback reports a query handed back to gqlgen.
func (p *Path) fallback(path, reason string) {
	if p.o.Fallback != nil {
		p.o.Fallback(path, reason)
	}
}

// maxPanicShapes bounds the query texts remembered as logged.
const maxPanicShapes = 1024

// recovered logs a recovered panic, once per query text (the caller counts
// it as a fallback).
func (p *Path) recovered(ctx context.Context, path, query string, v any) {
	h := sha256.Sum256([]byte(query))
	if _, seen := p.panics.Load(h); seen || p.nPanics.Load() >= maxPanicShapes {
		return
	}
	if _, seen := p.panics.LoadOrStore(h, struct{}{}); !seen {
		p.nPanics.Add(1)
		p.log.ErrorContext(ctx, "graphql fast path panic; gqlgen answers", "path", path, "panic", v, "query", query)
	}
}

// listed is a product of the catalog and its position there.
type listed struct {
	*releaselake.Product
	pos int32
}

// Note is what the HTTP layer keeps per request (in its context, WithNote)
// and the shortcuts tell: the operation name, and the answer buffers to
// recycle once the answer is written.
type Note interface {
	SetOp(name string)
	Keep(bp *[]byte)
}

type noteKey struct{}

// WithNote returns ctx carrying n, where the shortcuts find it.
func WithNote(ctx context.Context, n Note) context.Context {
	return context.WithValue(ctx, noteKey{}, n)
}

// NoteOf returns the note of ctx, nil if it has none.
func NoteOf(ctx context.Context) Note {
	n, _ := ctx.Value(noteKey{}).(Note)
	return n
}

func setOp(ctx context.Context, name string) {
	if n := NoteOf(ctx); n != nil {
		n.SetOp(name)
	}
}

// keep holds bp until the request's answer is written (no note: the
// collector has it).
func keep(ctx context.Context, bp *[]byte) {
	if n := NoteOf(ctx); n != nil {
		n.Keep(bp)
	}
}

// Buffers are a request's answer buffers, held until its answer is written;
// a Note implementation embeds them.
type Buffers struct {
	mu    sync.Mutex
	bufs  []*[]byte
	first [1]*[]byte // bufs' room for the usual one, in the note's own allocation
}

// Keep holds a buffer from the pool, as grown, until Recycle.
func (b *Buffers) Keep(bp *[]byte) {
	b.mu.Lock()
	if b.bufs == nil {
		b.bufs = b.first[:0]
	}
	b.bufs = append(b.bufs, bp)
	b.mu.Unlock()
}

// Recycle gives the buffers back; nothing may read them after.
func (b *Buffers) Recycle() {
	for _, bp := range b.bufs {
		putAnswerBuffer(bp)
	}
	b.bufs = nil
}

var answerPool sync.Pool // of *[]byte

// answerBuffer returns an empty buffer from the pool, or a new one of size
// bytes. A pooled buffer smaller than size is used all the same (append grows
// it, and it comes back grown). The buffer is *bp; its user stores it back
// there, as grown, before giving bp back, so the pool costs no allocation.
func answerBuffer(size int) (bp *[]byte) {
	if bp, _ = answerPool.Get().(*[]byte); bp != nil {
		*bp = (*bp)[:0]
		return bp
	}
	b := make([]byte, 0, size)
	return &b
}

// putAnswerBuffer gives a buffer back to the pool; nothing may read it after.
func putAnswerBuffer(bp *[]byte) {
	if cap(*bp) <= 1<<20 {
		answerPool.Put(bp)
	}
}
