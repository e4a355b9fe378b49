package github

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// wire is a Source on an endpoint of the test's choosing, through a client
// that counts what it sends, with a Sleep that only records the waits.
type wire struct {
	*Source
	sent  *roundTrips
	slept []time.Duration
}

func newWire(endpoint, token string, base http.RoundTripper) *wire {
	w := &wire{sent: &roundTrips{base: base}}
	w.Source = New(Config{URL: endpoint, Token: token, Now: func() time.Time { return now },
		HTTPClient: &http.Client{Transport: w.sent},
		Sleep:      func(_ context.Context, d time.Duration) error { w.slept = append(w.slept, d); return nil }})
	return w
}

// closedPort is an address on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A refused connection may be accepted later (GitHub, or a proxy, restarting):
// it is retried with the usual back-off, then fails the products it was for.
func TestSource_Fetch_refusedConnectionIsRetried(t *testing.T) {
	w := newWire("http://"+closedPort(t)+"/graphql", "t", nil)
	for _, f := range w.Fetch(context.Background(), crawls(flask, seaborn)) {
		if releaselake.ClassOf(f.Err) != releaselake.Unavailable || !strings.Contains(f.Err.Error(), "connection refused") {
			t.Errorf("%s: %v, want Unavailable, connection refused", f.Product, f.Err)
		}
	}
	if w.sent.n != maxBatchRetries {
		t.Errorf("%d requests sent, want %d", w.sent.n, maxBatchRetries)
	}
	// Config.Backoff doubling, each wait in its upper half at random.
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}
	if len(w.slept) != len(want) {
		t.Fatalf("waited %v, want about %v", w.slept, want)
	}
	for i, d := range w.slept {
		if d < want[i]/2 || d > want[i] {
			t.Errorf("wait %d: %v, want %v to %v", i+1, d, want[i]/2, want[i])
		}
	}
}

// An answer whose connection drops halfway is asked for again, and the crawl
// goes on as if nothing happened.
func TestSource_Fetch_answerCutOffIsRetried(t *testing.T) {
	srv := githubtest.NewServer(t)
	var n atomic.Int32
	srv.SetFault(func(*githubtest.Request) *githubtest.Fault {
		if n.Add(1) <= 2 {
			return githubtest.CutOff()
		}
		return nil
	})
	w := newWire(srv.URL, srv.Token, nil)
	l := &lake{}
	for _, f := range l.crawl(t, w.Source, fixtures) {
		if f.Err != nil {
			t.Fatalf("%s: %v", f.Product, f.Err)
		}
	}
	if len(w.slept) != 2 {
		t.Errorf("waited %v, want one wait per cut answer", w.slept)
	}
	srv.SetFault(nil)
	sameRows(t, l, fresh(t, srv, fixtures), fixtures)
}

// Over HTTP/2, as GitHub answers, an answer cut off is a stream reset by the
// server, which is retried like a cut connection.
func TestSource_Fetch_streamResetIsRetried(t *testing.T) {
	srv := githubtest.NewServer(t)
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	var resets atomic.Int32
	front := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if resets.Add(1) == 1 {
			panic(http.ErrAbortHandler) // RST_STREAM INTERNAL_ERROR
		}
		proxy.ServeHTTP(rw, r)
	}))
	front.EnableHTTP2 = true
	front.StartTLS()
	defer front.Close()
	w := newWire(front.URL+"/graphql", srv.Token, front.Client().Transport)
	for _, f := range w.Fetch(context.Background(), crawls(flask)) {
		if f.Err != nil {
			t.Fatalf("%s: %v", f.Product, f.Err)
		}
	}
	if w.sent.n != 2 || len(w.slept) != 1 {
		t.Errorf("%d requests and waits %v, want 2 requests and one wait", w.sent.n, w.slept)
	}
}

// A certificate that does not verify will not verify on the next try either:
// the crawl ends at once, saying what is wrong with the certificate.
func TestSource_Fetch_untrustedCertificateFailsAtOnce(t *testing.T) {
	var reached atomic.Int32
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes fail on purpose
	ts.StartTLS()
	defer ts.Close()
	trusted := x509.NewCertPool()
	trusted.AddCert(ts.Certificate())
	for _, tc := range []struct {
		name, endpoint string
		base           http.RoundTripper
		says           string
	}{
		{"unknown authority", ts.URL + "/graphql", nil, "certificate signed by unknown authority"},
		{"another host's", strings.Replace(ts.URL, "127.0.0.1", "localhost", 1) + "/graphql",
			&http.Transport{TLSClientConfig: &tls.Config{RootCAs: trusted}}, "not localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWire(tc.endpoint, "t", tc.base)
			for _, f := range w.Fetch(context.Background(), crawls(flask, seaborn)) {
				if releaselake.ClassOf(f.Err) != releaselake.Unavailable || !strings.Contains(f.Err.Error(), tc.says) || !strings.Contains(f.Err.Error(), "certificate did not verify") {
					t.Errorf("%s: %v, want Unavailable naming the certificate problem (%q)", f.Product, f.Err, tc.says)
				}
			}
			if w.sent.n != 1 || len(w.slept) != 0 {
				t.Errorf("%d requests and waits %v, want 1 request and no wait", w.sent.n, w.slept)
			}
		})
	}
	if reached.Load() != 0 {
		t.Errorf("%d requests reached the server past a failed handshake", reached.Load())
	}
}

// A request net/http refuses to send (a URL it cannot use, a header value it
// will not write) fails the crawl at once and points at the setting to check.
func TestSource_Fetch_unsendableRequestFailsAtOnce(t *testing.T) {
	srv := githubtest.NewServer(t)
	for _, tc := range []struct {
		name, endpoint, token, says string
	}{
		{"ftp scheme", "ftp://" + strings.TrimPrefix(srv.URL, "http://"), srv.Token, `unsupported protocol scheme "ftp"`},
		{"no scheme", "api.github.com/graphql", srv.Token, `unsupported protocol scheme ""`},
		{"host:port without scheme", strings.TrimPrefix(srv.URL, "http://"), srv.Token, "first path segment in URL cannot contain colon"},
		{"space in the host", "https://api.git hub.com/graphql", srv.Token, "invalid character"},
		{"port out of range", "http://127.0.0.1:99999/graphql", srv.Token, "invalid port"},
		{"newline in the token", srv.URL, srv.Token + "\n", `invalid header field value for "Authorization"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWire(tc.endpoint, tc.token, nil)
			for _, f := range w.Fetch(context.Background(), crawls(flask, seaborn)) {
				if releaselake.ClassOf(f.Err) != releaselake.Invalid || !strings.Contains(f.Err.Error(), tc.says) || !strings.Contains(f.Err.Error(), "check GITHUB_GRAPHQL_URL") {
					t.Errorf("%s: %v, want Invalid saying %q", f.Product, f.Err, tc.says)
				}
			}
			if w.sent.n > 1 || len(w.slept) != 0 {
				t.Errorf("%d requests and waits %v, want at most 1 request and no wait", w.sent.n, w.slept)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

// A run cancelled while a request is out stops there: no wait, no retry.
func TestSource_Fetch_cancelledRunStopsAtOnce(t *testing.T) {
	srv := githubtest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv.SetFault(func(*githubtest.Request) *githubtest.Fault {
		cancel()
		return &githubtest.Fault{Delay: 10 * time.Second}
	})
	w := newWire(srv.URL, srv.Token, nil)
	for _, f := range w.Fetch(ctx, crawls(flask)) {
		if releaselake.ClassOf(f.Err) != releaselake.Unavailable || !strings.Contains(f.Err.Error(), "github crawl stopped") {
			t.Errorf("%s: %v, want the crawl stopped", f.Product, f.Err)
		}
	}
	if w.sent.n != 1 || len(w.slept) != 0 {
		t.Errorf("%d requests and waits %v, want 1 request and no wait", w.sent.n, w.slept)
	}
}

// What cannot be made on a socket here: the chain is read through every wrapper,
// and a *net.OpError counts only for a failed dial, read or write.
func TestTransient(t *testing.T) {
	post := func(err error) error { return &url.Error{Op: "Post", URL: DefaultURL, Err: err} }
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"DNS failure", post(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "server misbehaving", Name: "api.github.com", IsTemporary: true}}), true},
		{"no such host", post(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "api.githb.com", IsNotFound: true}}), false},
		{"reset under a wrapper", post(fmt.Errorf("read answer: %w", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET})), true},
		{"TLS handshake timeout", post(timeout{}), true},
		{"proxy unreachable", post(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}), true},
		{"proxy refused the tunnel for now", post(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: errors.New("503 Service Unavailable")}), true},
		{"proxy's certificate does not verify", post(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}), false},
		{"kept-alive connection closed as the POST went out", post(errors.New("http: server closed idle connection")), true},
		{"client certificate refused (TLS alert)", post(&net.OpError{Op: "remote error", Err: tls.AlertError(42)}), false},
		{"run cancelled", post(context.Canceled), false},
		{"too many redirects", post(errors.New("stopped after 10 redirects")), false},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("%s: transient(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// timeout is an error that says only that it timed out, as net/http's TLS
// handshake timeout does.
type timeout struct{}

func (timeout) Error() string   { return "net/http: TLS handshake timeout" }
func (timeout) Timeout() bool   { return true }
func (timeout) Temporary() bool { return true }

// A client error GitHub answers (404 for a GITHUB_GRAPHQL_URL with a wrong
// path) is the same the next time: the crawl ends at once, saying so.
func TestSource_Fetch_notFoundEndsAtOnce(t *testing.T) {
	srv := githubtest.NewServer(t)
	w := newWire(srv.URL+"/v4", srv.Token, nil) // the fake, like GitHub, answers only /graphql
	for _, f := range w.Fetch(context.Background(), crawls(flask, seaborn)) {
		if releaselake.ClassOf(f.Err) != releaselake.Invalid || !strings.Contains(f.Err.Error(), "HTTP 404 (Not Found), not retried: check GITHUB_GRAPHQL_URL") {
			t.Errorf("%s: %v", f.Product, f.Err)
		}
	}
	if w.sent.n != 1 || len(w.slept) != 0 {
		t.Errorf("%d requests and waits %v, want 1 request and no wait", w.sent.n, w.slept)
	}
}
