package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/releaselake/releaselake/graph/fastpath"
	"github.com/releaselake/releaselake/serving"
)

// Limits of the streaming transports (subscriptions). The number of streams
// open at once, SSE requests and WebSocket connections together, is bounded
// by the broadcaster's Max (RELEASELAKE_MAX_SUBSCRIPTIONS), as are the
// subscriptions.
const (
	// WSReadLimit bounds one WebSocket message from the client: a
	// subscription's document is a few hundred bytes.
	WSReadLimit = 64 << 10
	// WSInitTimeout is how long a WebSocket connection may take to send
	// connection_init.
	WSInitTimeout = 10 * time.Second
	// KeepAlive is how often an idle stream is sent a keep-alive: an SSE
	// comment, a graphql-transport-ws ping (a connection whose client has not
	// answered the previous ping with a pong within 2×KeepAlive is closed).
	KeepAlive = 15 * time.Second
	// StreamWriteTimeout bounds one write to an SSE stream: a client that
	// stops reading is cut off.
	StreamWriteTimeout = 30 * time.Second
)

// The timings newStreams uses: the constants above, shortened by tests.
var wsInitTimeout, keepAlive = WSInitTimeout, KeepAlive

// streams answers the requests of the streaming transports and hands every
// other request to next: a WebSocket upgrade (graphql-transport-ws) and a
// POST asking for text/event-stream (graphql-sse's distinct-connections
// mode, gqlgen's SSE transport). They go to a gqlgen server of their own,
// with the same schema, limits and error presenter as /graphql's but no
// response cache, fast path or admin token: it carries subscriptions only
// (subscriptionsOnly).
type streams struct {
	next    http.Handler
	srv     http.Handler
	b       *serving.Broadcaster
	origin  func(*http.Request) bool // a browser's Origin allowed to open a WebSocket
	open    atomic.Int64             // streams open
	refused []byte                   // the body of a 503 over the bound
}

func newStreams(next http.Handler, es graphql.ExecutableSchema, b *serving.Broadcaster, o Options, log *slog.Logger) *streams {
	srv := handler.New(es)
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: keepAlive})
	srv.AddTransport(transport.Websocket{
		// The Origin is checked before (s.origin), by the CORS allow-list.
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{InsecureSkipVerify: true}},
		InitFunc: func(ctx context.Context, _ transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			return withConnSubscriptions(ctx), nil, nil
		},
		InitTimeout:      wsInitTimeout,
		PingPongInterval: keepAlive,
		PayloadReadLimit: func() *int64 { n := int64(WSReadLimit); return &n }(),
	})
	srv.SetParserTokenLimit(ParserTokens)
	srv.Use(extension.FixedComplexityLimit(ComplexityLimit, pricing...))
	srv.Use(subscriptionsOnly{})
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error { return present(ctx, err, log) })
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "graphql panic", "panic", v)
		return errors.New("internal error")
	})
	s := &streams{next: next, srv: srv, b: b,
		refused: []byte(`{"errors":[{"message":"too many subscriptions: this server holds at most ` + strconv.Itoa(b.Max()) +
			` streams at once; retry later or on another replica","extensions":{"code":"UNAVAILABLE"}}]}`)}
	sameHost := func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		_, host, _ := strings.Cut(origin, "://")
		return origin == "" || strings.EqualFold(host, r.Host)
	}
	s.origin = sameHost
	if len(o.CORSOrigins) > 0 {
		c := cors.New(cors.Options{AllowedOrigins: o.CORSOrigins})
		s.origin = func(r *http.Request) bool { return sameHost(r) || c.OriginAllowed(r) }
	}
	return s
}

// mayBeSSE reports whether r may ask for a subscription over Server-Sent
// Events: a JSON POST that accepts text/event-stream. Clients such as urql
// accept it on every request, so the operation decides (isSubscription).
func mayBeSSE(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.Contains(r.Header.Get("Accept"), "text/event-stream") &&
		fastpath.IsJSON(r.Header.Get("Content-Type"))
}

// isSubscription reports whether the JSON request body asks for a
// subscription operation. Only a text that holds the keyword can be one, so
// only those are parsed (within the parser's token limit); a body that does
// not parse is left to the query transports' errors.
func isSubscription(body []byte) bool {
	if !bytes.Contains(body, []byte(ast.Subscription)) {
		return false
	}
	var p struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	return json.Unmarshal(body, &p) == nil && isOperation(nil, p.Query, p.OperationName, ast.Subscription)
}

func (s *streams) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws := fastpath.IsWebSocket(r)
	if !ws && !mayBeSSE(r) {
		s.next.ServeHTTP(w, r)
		return
	}
	var body []byte
	if !ws {
		// The body is read whole, capped, under the server's read timeout; a
		// subscription's stream then outlives that (net/http clears the read
		// deadline once the body is read), and each write has a deadline of
		// its own. Anything else goes on to the query transports.
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			refuse(w, nil, http.StatusRequestEntityTooLarge, tooLargeBody)
			return
		case err != nil:
			http.Error(w, "could not read the request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !isSubscription(body) {
			s.next.ServeHTTP(w, r)
			return
		}
	}
	if ws && !s.origin(r) {
		refuse(w, nil, http.StatusForbidden, []byte(`{"errors":[{"message":"this Origin may not open a WebSocket here (RELEASELAKE_CORS_ORIGINS)","extensions":{"code":"FORBIDDEN"}}]}`))
		return
	}
	if ws && !offers(r, "graphql-transport-ws") {
		// gqlgen also speaks the older graphql-ws, whose keep-alive cannot
		// tell a dead client: not offered.
		refuse(w, nil, http.StatusBadRequest, []byte(`{"errors":[{"message":"a WebSocket on /graphql speaks the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol)","extensions":{"code":"BAD_USER_INPUT"}}]}`))
		return
	}
	if s.open.Add(1) > int64(s.b.Max()) {
		s.open.Add(-1)
		w.Header().Set("Retry-After", "30")
		refuse(w, nil, http.StatusServiceUnavailable, s.refused)
		return
	}
	defer s.open.Add(-1)
	// The server's shutdown ends the streams: the engine closes the
	// broadcaster as it stops.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-s.b.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	r = r.WithContext(ctx)
	if ws {
		s.srv.ServeHTTP(w, r)
		return
	}
	w.Header().Set("X-Accel-Buffering", "no") // a proxy (nginx) passes each event on at once
	rc := http.NewResponseController(w)
	// Not to leave the deadline to a later request on the connection (Go
	// 1.26's net/http lets it go anyway, but does not promise to).
	defer rc.SetWriteDeadline(time.Time{})
	s.srv.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: rc, fail: cancel}, r)
}

// offers reports whether r's Sec-WebSocket-Protocol lists protocol.
func offers(r *http.Request, protocol string) bool {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			if strings.TrimSpace(p) == protocol {
				return true
			}
		}
	}
	return false
}

// deadlineWriter sets a write deadline before each write of an SSE stream,
// and ends the stream (fail) when a write fails: gqlgen's SSE transport
// does not look at its writes' errors.
type deadlineWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	fail context.CancelFunc
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	d.rc.SetWriteDeadline(time.Now().Add(StreamWriteTimeout))
	n, err := d.ResponseWriter.Write(b)
	if err != nil {
		d.fail()
	}
	return n, err
}

func (d *deadlineWriter) Flush() {
	d.rc.SetWriteDeadline(time.Now().Add(StreamWriteTimeout))
	if err := d.rc.Flush(); err != nil {
		d.fail()
	}
}
