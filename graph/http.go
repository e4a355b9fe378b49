package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/graph/fastpath"
	"github.com/releaselake/releaselake/internal/etag"
	"github.com/releaselake/releaselake/serving"
)

// requestNote travels in a request's context from the HTTP layer through
// gqlgen and back: the index the request reads, and what the HTTP layer needs
// to know about the answer to cache it and set its headers.
type requestNote struct {
	ix       *serving.Index // pinned when the request came in; nil before the first load
	get      bool           // a GET request, whose transport refuses mutations itself
	query    atomic.Bool    // a query operation answered without errors
	volatile atomic.Bool    // the answer read something the lake version does not determine
	denied   atomic.Value   // releaselake.Class of a refused mutation
	executed atomic.Bool    // execution began: gqlgen's response interceptors ran
	op       string         // the operation name the request gave, once decoded (Options.Observe)

	fastpath.Buffers // the shortcuts' answer buffers, recycled once the answer is written
}

var _ fastpath.Note = (*requestNote)(nil)

// SetOp notes the operation name the request gave.
func (n *requestNote) SetOp(name string) { n.op = name }

func noteOf(ctx context.Context) *requestNote {
	n, _ := fastpath.NoteOf(ctx).(*requestNote)
	return n
}

// markVolatile says the answer must not be cached or given an ETag.
func markVolatile(ctx context.Context) {
	if n := noteOf(ctx); n != nil {
		n.volatile.Store(true)
	}
}

// httpLayer is what /graphql does around gqlgen: it caps the body, pins the
// index, answers repeated queries from the response cache, and sets ETag,
// Cache-Control and the status of refused mutations.
type httpLayer struct {
	next      http.Handler     // gqlgen
	direct    *fastpath.Direct // nil: everything goes to gqlgen
	index     func() *serving.Index
	cache     *responseCache // nil: no response cache
	publicHdr []string       // Cache-Control of cacheable GET answers
	etags     etagMemo       // of answers as application/json
	etagsGQL  etagMemo       // of answers as application/graphql-response+json
	lengths   lengthMemo
	observe   func(op, outcome string, elapsed time.Duration) // Options.Observe
	maxAnswer int                                             // Options.MaxResponseBytes
}

var (
	noStoreHdr   = []string{"no-store"}
	varyHdr      = []string{"Accept"}
	jsonHdr      = []string{"application/json"}
	graphqlJSON  = "application/graphql-response+json"
	notJSONBody  = []byte(`{"errors":[{"message":"a POST needs Content-Type: application/json","extensions":{"code":"BAD_USER_INPUT"}}]}`)
	allowHdr     = []string{"GET, POST, OPTIONS"}
	methodBody   = []byte(`{"errors":[{"message":"/graphql takes GET and POST","extensions":{"code":"BAD_USER_INPUT"}}]}`)
	tooLargeBody = []byte(`{"errors":[{"message":"request body too large: at most 1048576 bytes","extensions":{"code":"BAD_USER_INPUT"}}]}`)
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bufPool.Put(b)
	}
}

func (h *httpLayer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.observe == nil || r.Method == http.MethodOptions {
		h.serve(w, r, nil)
		return
	}
	start := time.Now()
	var o observation
	h.serve(w, r, &o)
	h.observe(o.op, o.outcome, time.Since(start))
}

// Outcomes of a request, as Options.Observe is told them.
const (
	OutcomeOK          = "ok"          // an answer without errors
	OutcomeError       = "error"       // an HTTP error, or an answer carrying errors
	OutcomeNotModified = "notmodified" // 304: the client's copy is current
)

// observation is what serve learnt of a request for Options.Observe: the
// operation name the request gave (decoded once, by whichever path read it)
// and its outcome.
type observation struct {
	op, outcome string
}

// sent records an answer's status and body in o, if there is an o.
func (o *observation) sent(status int, body []byte) {
	if o == nil {
		return
	}
	switch {
	case status == http.StatusNotModified:
		o.outcome = OutcomeNotModified
	case status >= 400 || bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), errorsPrefix):
		o.outcome = OutcomeError
	default:
		o.outcome = OutcomeOK
	}
}

var errorsPrefix = []byte(`{"errors"`)

// serve answers one request; o (nil: nobody asks) learns its operation name
// and outcome.
func (h *httpLayer) serve(w http.ResponseWriter, r *http.Request, o *observation) {
	get := r.Method == http.MethodGet
	if !get && r.Method != http.MethodPost && r.Method != http.MethodOptions {
		// HEAD, PUT, …: 405 names the methods there are (RFC 9110 §15.5.6).
		w.Header()["Allow"] = allowHdr
		refuse(w, o, http.StatusMethodNotAllowed, methodBody)
		return
	}
	var body *bytes.Buffer
	if r.Method == http.MethodPost {
		if !fastpath.IsJSON(r.Header.Get("Content-Type")) {
			// Only application/json, which browsers cannot send cross-site
			// without a preflight: no form posts, no text/plain.
			refuse(w, o, http.StatusUnsupportedMediaType, notJSONBody)
			return
		}
		body = getBuf()
		defer putBuf(body)
		// A declared length within the cap is held by net/http's own body
		// reader (it reads no further); only an unknown or greater one needs
		// the MaxBytesReader, an allocation a request otherwise.
		src := r.Body
		if r.ContentLength < 0 || r.ContentLength > MaxBodyBytes {
			src = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		if _, err := body.ReadFrom(src); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				refuse(w, o, http.StatusRequestEntityTooLarge, tooLargeBody)
				return
			}
			http.Error(w, "could not read the request body", http.StatusBadRequest)
			o.sent(http.StatusBadRequest, nil)
			return
		}
	}

	ix := h.index()
	var adv *serving.Advisories // pinned with ix: answers are cached and tagged for both
	if ix != nil {
		adv = ix.Advisories()
	}
	var key *bytes.Buffer
	if h.cache != nil && ix != nil && (get || body != nil) {
		key = getBuf()
		defer putBuf(key)
		key.WriteString(r.Method)
		key.WriteByte(0)
		key.WriteString(r.Header.Get("Accept"))
		key.WriteByte(0)
		if get {
			key.WriteString(r.URL.RawQuery)
		} else {
			key.Write(body.Bytes())
		}
		if e := h.cache.get(ix, adv, key.Bytes()); e != nil {
			out := w.Header()
			out["Content-Type"], out["Content-Length"] = e.contentType, e.contentLength
			status := h.write(w, r, nil, http.StatusOK, e.body, true, ix, adv)
			if o != nil {
				o.op = e.op
				o.sent(status, e.body)
			}
			return
		}
	}

	note := &requestNote{ix: ix, get: r.Method == http.MethodGet}
	defer note.Recycle()
	rec := getRecorder()
	rec.limit = h.maxAnswer
	defer putRecorder(rec)
	ctx := fastpath.WithNote(r.Context(), note)
	var raw []byte
	if body != nil {
		raw = body.Bytes()
	}
	if answer, ct, ok := h.direct.Answer(ctx, r, raw); ok {
		note.executed.Store(true)
		note.query.Store(true)
		rec.header["Content-Type"] = ct
		rec.whole = answer
	} else {
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(raw)) // read again by gqlgen
		}
		h.next.ServeHTTP(rec, r.WithContext(ctx))
	}

	out, status := rec.body(), rec.status
	if rec.over || len(out) > h.maxAnswer {
		out, status = tooLarge(rec, h.maxAnswer)
		note.query.Store(false) // not cached
	} else if !note.executed.Load() {
		out, status = h.requestError(note, rec)
	}
	cacheable := ix != nil && status == http.StatusOK && note.query.Load() && !note.volatile.Load()
	if cacheable && key != nil {
		h.cache.put(ix, adv, key.Bytes(), note.op, rec.header["Content-Type"], out)
	}
	status = h.write(w, r, rec.header, status, out, cacheable, ix, adv)
	if o != nil {
		o.op = note.op
		o.sent(status, out)
	}
}

// tooLarge is the answer in place of one over max bytes: a request error (no
// data), 200 with application/json, 400 with application/graphql-response+json.
func tooLarge(rec *recorder, max int) ([]byte, int) {
	rec.header.Del("Content-Length")
	body := []byte(`{"errors":[{"message":"the answer is larger than ` + strconv.Itoa(max) +
		` bytes: ask for fewer fields or rows","extensions":{"code":"RESPONSE_TOO_LARGE"}}]}`)
	if strings.HasPrefix(rec.header.Get("Content-Type"), graphqlJSON) {
		return body, http.StatusBadRequest
	}
	return body, http.StatusOK
}

// refuse answers a request the HTTP layer turns away before reading it as
// GraphQL: status, and body (a JSON error), not to be stored.
func refuse(w http.ResponseWriter, o *observation, status int, body []byte) {
	w.Header()["Content-Type"] = jsonHdr
	w.Header()["Cache-Control"] = noStoreHdr
	w.WriteHeader(status)
	w.Write(body)
	o.sent(status, body)
}

// requestError adjusts an answer given before execution began (a request that
// does not parse or validate, a refused mutation) to GraphQL over HTTP: no
// "data" entry; with application/json, status 200; with
// application/graphql-response+json, 4xx (401 or 403 for a refused mutation).
func (h *httpLayer) requestError(note *requestNote, rec *recorder) ([]byte, int) {
	out, status := rec.body(), rec.status
	var fields map[string]json.RawMessage
	if json.Unmarshal(out, &fields) == nil {
		if _, ok := fields["data"]; ok {
			delete(fields, "data")
			if b, err := json.Marshal(fields); err == nil {
				out = b
			}
		}
	}
	graphqlResponse := strings.HasPrefix(rec.header.Get("Content-Type"), graphqlJSON)
	switch c, denied := note.denied.Load().(releaselake.Class); {
	case denied && graphqlResponse:
		status = http.StatusForbidden
		if c == releaselake.Unauthorized {
			status = http.StatusUnauthorized
			rec.header.Set("WWW-Authenticate", `Bearer realm="releaselake"`)
		}
	case graphqlResponse && status < 400:
		status = http.StatusBadRequest // e.g. over the complexity limit: no data, so 4xx
	case !graphqlResponse && status == http.StatusUnprocessableEntity:
		status = http.StatusOK // gqlgen's 422 for parse and validation errors
	}
	return out, status
}

// write sends an answer with its caching headers: a cacheable GET answer gets
// the ETag of the lake version and a public max-age (or 304 when the client has
// it); everything else no-store. header (nil: none) is copied into w's; the
// body goes out in one Write. It returns the status sent.
func (h *httpLayer) write(w http.ResponseWriter, r *http.Request, header http.Header, status int, body []byte, cacheable bool, ix *serving.Index, adv *serving.Advisories) int {
	out := w.Header()
	for k, v := range header {
		out[k] = v
	}
	if cacheable && r.Method == http.MethodGet {
		// A strong ETag names one representation: the two media types of an
		// answer (Vary: Accept) get two.
		tag := h.etags.of(ix, adv)
		if ct := out["Content-Type"]; len(ct) > 0 && strings.HasPrefix(ct[0], graphqlJSON) {
			tag = h.etagsGQL.of(ix, adv)
		}
		out["Etag"] = tag
		out["Cache-Control"] = h.publicHdr
		out["Vary"] = append(out["Vary"], varyHdr...)
		if inm := r.Header.Get("If-None-Match"); inm != "" && etag.NoneMatch(inm, tag[0]) {
			delete(out, "Content-Type")
			delete(out, "Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return http.StatusNotModified
		}
	} else {
		out["Cache-Control"] = noStoreHdr
	}
	if _, ok := out["Content-Length"]; !ok {
		out["Content-Length"] = h.lengths.of(len(body))
	}
	fastpath.WriteWhole(w, r, status, body) // the header and body leave in one write
	return status
}

// etagMemo makes the ETag of an index once: the lake version, the
// advisories and facts served with it (they change without a new version),
// and a fingerprint of what else shapes answers (schema and catalog), so a
// restart with another catalog never answers 304 with an old body.
type etagMemo struct {
	fingerprint string // with a suffix per media type
	last        lastHeader[answerSource]
}

// answerSource is what an answer was made from.
type answerSource struct {
	ix  *serving.Index
	adv *serving.Advisories
}

func (m *etagMemo) of(ix *serving.Index, adv *serving.Advisories) []string {
	if hdr, ok := m.last.get(answerSource{ix, adv}); ok {
		return hdr
	}
	v := "empty"
	if ix.Version != releaselake.NoVersion {
		v = "v" + strconv.FormatInt(ix.Version, 10)
	}
	fp := m.fingerprint
	if adv != nil { // folded into the fingerprint (its media type suffix kept): the ETag keeps its form
		base, suffix, _ := strings.Cut(fp, "-")
		fp = fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(base+"/"+adv.Tag())))
		if suffix != "" {
			fp += "-" + suffix
		}
	}
	return m.last.set(answerSource{ix, adv}, `"`+v+"-"+fp+`"`)
}

// lengthMemo keeps the Content-Length header of the last answer's length:
// answers to one query are mostly of one length, so most requests reuse it
// rather than format and box a new one.
type lengthMemo struct{ last lastHeader[int] }

func (m *lengthMemo) of(n int) []string {
	if hdr, ok := m.last.get(n); ok {
		return hdr
	}
	return m.last.set(n, strconv.Itoa(n))
}

// lastHeader keeps a header value made for the last key it was made for, so
// a run of requests with one key shares one value.
type lastHeader[K comparable] struct {
	last atomic.Pointer[keyedHeader[K]]
}

type keyedHeader[K comparable] struct {
	k   K
	hdr []string
}

func (m *lastHeader[K]) get(k K) ([]string, bool) {
	if l := m.last.Load(); l != nil && l.k == k {
		return l.hdr, true
	}
	return nil, false
}

func (m *lastHeader[K]) set(k K, v string) []string {
	l := &keyedHeader[K]{k: k, hdr: []string{v}}
	m.last.Store(l)
	return l.hdr
}

// recorder holds gqlgen's answer so the HTTP layer can decide its headers.
type recorder struct {
	header http.Header
	status int
	buf    bytes.Buffer
	wrote  bool
	limit  int  // bytes Write keeps; beyond them it notes over and drops the rest
	over   bool // more than limit bytes were written
	// whole is an answer given whole rather than written into buf (the
	// direct path's buffer, kept by the request's note until it is sent).
	whole []byte
}

// body is the answer recorded.
func (rec *recorder) body() []byte {
	if rec.whole != nil {
		return rec.whole
	}
	return rec.buf.Bytes()
}

var recPool = sync.Pool{New: func() any { return &recorder{header: http.Header{}} }}

func getRecorder() *recorder {
	rec := recPool.Get().(*recorder)
	clear(rec.header)
	rec.status, rec.wrote, rec.whole, rec.over, rec.limit = http.StatusOK, false, nil, false, int(^uint(0)>>1)
	rec.buf.Reset()
	return rec
}

func putRecorder(rec *recorder) {
	rec.whole = nil
	if rec.buf.Cap() <= 1<<20 {
		recPool.Put(rec)
	}
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(status int) {
	if !rec.wrote {
		rec.status, rec.wrote = status, true
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	rec.wrote = true
	if rec.over || rec.buf.Len()+len(b) > rec.limit {
		rec.over = true
		return len(b), nil
	}
	return rec.buf.Write(b)
}
