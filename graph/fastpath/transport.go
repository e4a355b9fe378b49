package fastpath

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// POST and GET are gqlgen's transport.POST and transport.GET (v0.17.98,
// without their options) but for writeResponse instead of json.Marshal, which
// re-scans the already compact data: the same bytes, for less. GET's own
// errors go through the executor, so the error presenter gives them a code.
type (
	POST struct{}
	GET  struct{}
)

var (
	_ graphql.Transport = POST{}
	_ graphql.Transport = GET{}
)

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// IsWebSocket reports whether r asks to upgrade to a WebSocket: an Upgrade
// header naming the websocket token. Another upgrade (curl --http2 sends h2c
// to an http:// URL) is not ours to refuse: the request is answered as HTTP/1.1.
func IsWebSocket(r *http.Request) bool {
	for _, t := range strings.Split(r.Header.Get("Upgrade"), ",") {
		if strings.EqualFold(strings.TrimSpace(t), "websocket") {
			return true
		}
	}
	return false
}

func (POST) Supports(r *http.Request) bool {
	if IsWebSocket(r) || r.Method != http.MethodPost {
		return false
	}
	return IsJSON(r.Header.Get("Content-Type"))
}

func (POST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	ct := responseType(r)
	w.Header().Set("Content-Type", ct)
	start := graphql.Now()
	params := &graphql.RawParams{}
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = decodeJSON(bytes.NewReader(body), params)
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("json request body could not be decoded: %v", err)}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	run(ctx, w, exec, params, ct, false)
}

func (GET) Supports(r *http.Request) bool {
	return !IsWebSocket(r) && r.Method == http.MethodGet
}

func (GET) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ct := responseType(r)
	w.Header().Set("Content-Type", ct)
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(r.Context(), gqlerror.List{{Message: err.Error()}}))
		return
	}
	params := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName"), Headers: r.Header}
	params.ReadTime.Start = graphql.Now()
	for _, p := range []struct {
		name string
		into any
	}{{"variables", &params.Variables}, {"extensions", &params.Extensions}} {
		if v := q.Get(p.name); v != "" {
			if err := decodeJSON(strings.NewReader(v), p.into); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				writeResponse(w, exec.DispatchError(r.Context(), gqlerror.List{{Message: p.name + " could not be decoded"}}))
				return
			}
		}
	}
	params.ReadTime.End = graphql.Now()
	run(r.Context(), w, exec, params, ct, true)
}

// run executes one operation and writes its answer; GET refuses all but
// queries, with 405 Method Not Allowed.
func run(ctx context.Context, w http.ResponseWriter, exec graphql.GraphExecutor, params *graphql.RawParams, ct string, get bool) {
	setOp(ctx, params.OperationName)
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		w.WriteHeader(requestErrorStatus(errs, ct))
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs))
		return
	}
	if get && opCtx.Operation.Operation != ast.Query {
		// GraphQL over HTTP: 405, not gqlgen's 406 (which is about Accept).
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		writeResponse(w, &graphql.Response{Errors: gqlerror.List{{Message: "GET requests only allow query operations"}}})
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, responses(ctx))
}

var (
	jsonHdr            = []string{mediaJSON}
	graphqlResponseHdr = []string{mediaGraphQLResponse}
)

// responseTypeHeader is responseType as a Content-Type header value, shared
// by every answer (header values are never changed in place).
func responseTypeHeader(r *http.Request) []string {
	if responseType(r) == mediaJSON {
		return jsonHdr
	}
	return graphqlResponseHdr
}

// responseType picks the answer's media type from Accept, as gqlgen does:
// application/json unless graphql-response+json is asked for first.
func responseType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaGraphQLResponse
}

// requestErrorStatus is the status of a request that failed before execution:
// 422 (application/json) or 400 (graphql-response+json) for protocol errors
// such as parse and validation failures, else 200. The HTTP layer adjusts it
// to GraphQL over HTTP (see httpLayer.requestError).
func requestErrorStatus(errs gqlerror.List, ct string) int {
	if errcode.GetErrorKind(errs) != errcode.KindProtocol {
		return http.StatusOK
	}
	if ct == mediaGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// IsJSON reports whether a Content-Type is application/json, parameters aside.
func IsJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), mediaJSON)
}

// decodeJSON decodes as gqlgen's transports do (numbers as json.Number).
func decodeJSON(r io.Reader, v any) error {
	d := json.NewDecoder(r)
	d.UseNumber()
	return d.Decode(v)
}

// writeResponse writes resp as json.Marshal would, except that Data is copied
// with escaping rather than re-parsed; it is written in pieces, so a big answer
// is not copied into a buffer of its own first.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp == nil {
		return
	}
	b := make([]byte, 0, 256)
	b = append(b, '{')
	if len(resp.Errors) > 0 {
		b = appendField(b, "errors", resp.Errors)
		b = append(b, ',')
	}
	b = append(b, `"data":`...)
	if resp.Data == nil {
		b = append(b, "null"...)
	} else {
		w.Write(b)
		writeEscaped(w, resp.Data)
		b = b[:0]
	}
	if resp.Label != "" {
		b = appendField(append(b, ','), "label", resp.Label)
	}
	if resp.Path != nil {
		b = appendField(append(b, ','), "path", resp.Path)
	}
	if resp.HasNext != nil {
		b = appendField(append(b, ','), "hasNext", resp.HasNext)
	}
	if len(resp.Extensions) > 0 {
		b = appendField(append(b, ','), "extensions", resp.Extensions)
	}
	w.Write(append(b, '}'))
}

func appendField(b []byte, name string, v any) []byte {
	m, err := json.Marshal(v)
	if err != nil {
		m = []byte("null")
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	return append(b, m...)
}

// writeEscaped writes compact JSON escaped for HTML as encoding/json does: <,
// > and & as \u003c, \u003e, \u0026, and U+2028, U+2029 (which only occur
// inside strings). It finds them with bytes.IndexByte, which is vectorized,
// keeping the next position of each so every byte is looked at once.
func writeEscaped(w io.Writer, data []byte) {
	esc := make([]byte, 0, 6)
	specials := [4]byte{'<', '>', '&', 0xE2}
	var next [4]int
	find := func(k, from int) {
		if i := bytes.IndexByte(data[from:], specials[k]); i >= 0 {
			next[k] = from + i
		} else {
			next[k] = len(data)
		}
	}
	for k := range specials {
		find(k, 0)
	}
	start := 0
	for {
		k := 0
		for j := 1; j < len(next); j++ {
			if next[j] < next[k] {
				k = j
			}
		}
		i := next[k]
		if i >= len(data) {
			break
		}
		switch c := data[i]; {
		case c != 0xE2:
			w.Write(data[start:i])
			esc = append(esc[:0], '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&0xF])
			w.Write(esc)
			start = i + 1
		case i+2 < len(data) && data[i+1] == 0x80 && data[i+2]&^1 == 0xA8:
			w.Write(data[start:i])
			esc = append(esc[:0], '\\', 'u', '2', '0', '2', hexLower[data[i+2]&0xF])
			w.Write(esc)
			start = i + 3
		}
		find(k, i+1)
	}
	w.Write(data[start:])
}

const hexLower = "0123456789abcdef"

// dataPrefix begins an answer that is data alone, as writeResponse writes it.
const dataPrefix = `{"data":`
