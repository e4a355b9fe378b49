package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// observeGraphQL reports each /graphql request to the metrics: its operation
// name (from the query string of a GET, the JSON body of a POST) and outcome
// (ok, error: an HTTP error or an answer carrying errors, or notmodified).
// What it reads per request comes from pools or the stack where it can: it
// runs before every query, the cheapest included.
func (m *Main) observeGraphQL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		var op string
		if r.URL.RawQuery != "" {
			op = r.URL.Query().Get("operationName")
		}
		if r.Method == http.MethodPost && r.Body != nil {
			body := bodyPool.Get().(*replayBody)
			defer bodyPool.Put(body)
			err := body.readFrom(r)
			r.Body.Close()
			r.Body = body
			if err == nil {
				op = bodyOperationName(op, body.buf.Bytes())
			}
		}
		rec := &outcomeWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		outcome := "ok"
		switch {
		case rec.status == http.StatusNotModified:
			outcome = "notmodified"
		case rec.status >= 400 || bytes.HasPrefix(bytes.TrimSpace(rec.head[:rec.n]), []byte(`{"errors"`)):
			outcome = "error"
		}
		m.Metrics.GraphQL(op, outcome, time.Since(start))
	})
}

// bodyOperationName is the operation name of a POST: the body's
// operationName as json.Unmarshal finds it, or op (the query string's) if the
// body is not JSON it can decode. Most bodies name no operation, and most
// requests have no query string: then the body is only searched for a key
// that could be operationName, not decoded.
func bodyOperationName(op string, body []byte) string {
	if op == "" && !mayNameOperation(body) {
		return "" // whether it decodes or not
	}
	var req struct {
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(body, &req) != nil {
		return op
	}
	return req.OperationName
}

// mayNameOperation reports whether body could have a key json.Unmarshal takes
// for operationName: the name in any case, written out or with \u escapes
// (encoding/json folds case, and no other character folds to its letters).
func mayNameOperation(body []byte) bool {
	const name = "operationname"
	if bytes.Contains(body, []byte(`\u`)) {
		return true
	}
	for i := 0; i+len(name) <= len(body); i++ {
		if body[i]|0x20 == 'o' && bytes.EqualFold(body[i:i+len(name)], []byte(name)) {
			return true
		}
	}
	return false
}

// maxObservedBody is how much of a body observeGraphQL reads: one byte over
// the handler's cap, which then refuses it.
const maxObservedBody = 1<<20 + 1

// replayBody is a request body read whole, given to the next handler to read
// again. Pooled: it is not read once the handler has returned.
type replayBody struct {
	buf bytes.Buffer
	bytes.Reader
}

var bodyPool = sync.Pool{New: func() any { return new(replayBody) }}

// readFrom reads up to maxObservedBody bytes of r's body (a declared length
// within that is held by net/http's own body reader) and rewinds.
func (b *replayBody) readFrom(r *http.Request) error {
	b.buf.Reset()
	var src io.Reader = r.Body
	if r.ContentLength < 0 || r.ContentLength > maxObservedBody {
		src = io.LimitReader(r.Body, maxObservedBody)
	}
	_, err := b.buf.ReadFrom(src)
	b.Reset(b.buf.Bytes())
	return err
}

func (b *replayBody) Close() error { return nil }

// outcomeWriter keeps the status and the first bytes of an answer.
type outcomeWriter struct {
	http.ResponseWriter
	status int
	head   [16]byte
	n      int // bytes of head kept
}

func (o *outcomeWriter) WriteHeader(code int) {
	o.status = code
	o.ResponseWriter.WriteHeader(code)
}

func (o *outcomeWriter) Write(b []byte) (int, error) {
	o.n += copy(o.head[o.n:], b)
	return o.ResponseWriter.Write(b)
}

func (o *outcomeWriter) Unwrap() http.ResponseWriter { return o.ResponseWriter }
