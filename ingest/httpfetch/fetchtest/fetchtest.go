// Package fetchtest is the fake upstream the HTTP sources' tests share:
// documents served with a validator they honour, a client of the fake that
// never waits, and a fetch-then-parse of one crawl.
package fetchtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

// Serve starts h for the length of the test and returns its URL and a client of
// it that retries without waiting.
func Serve(t testing.TB, h http.Handler) (string, *httpfetch.Client) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, &httpfetch.Client{HTTP: srv.Client(), Sleep: func(context.Context, time.Duration) error { return nil }}
}

// Document is one upstream document served with a validator it honours: an
// ETag (If-None-Match) or a Last-Modified (If-Modified-Since). A request that
// sends the validator back gets a 304, and is counted.
type Document struct {
	mu          sync.Mutex
	body        []byte
	contentType string
	header      string // ETag or Last-Modified
	validator   string
	notModified int
}

// ETag returns a Document served with etag.
func ETag(body []byte, contentType, etag string) *Document {
	return &Document{body: body, contentType: contentType, header: "ETag", validator: etag}
}

// LastModified returns a Document served with lastModified.
func LastModified(body []byte, contentType, lastModified string) *Document {
	return &Document{body: body, contentType: contentType, header: "Last-Modified", validator: lastModified}
}

func (d *Document) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cond := "If-None-Match"
	if d.header == "Last-Modified" {
		cond = "If-Modified-Since"
	}
	if r.Header.Get(cond) == d.validator {
		d.notModified++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set(d.header, d.validator)
	w.Header().Set("Content-Type", d.contentType)
	w.Write(d.body)
}

// Set replaces the body and the validator (the ETag or Last-Modified, whichever
// the Document has): the document changed upstream.
func (d *Document) Set(body []byte, validator string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.body, d.validator = body, validator
}

// Body returns the body served.
func (d *Document) Body() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.body
}

// NotModified returns how many 304 answers the Document gave.
func (d *Document) NotModified() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.notModified
}

// Site serves Documents by escaped path (a scoped npm name is /@scope%2Fname),
// and 404 for any other path.
type Site map[string]*Document

func (s Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d, ok := s[r.URL.EscapedPath()]
	if !ok {
		http.NotFound(w, r)
		return
	}
	d.ServeHTTP(w, r)
}

// NotModified returns how many 304 answers the Site gave.
func (s Site) NotModified() int {
	n := 0
	for _, d := range s {
		n += d.NotModified()
	}
	return n
}

// Testdata returns the file name in the test's testdata directory.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Run fetches one crawl with s and parses what it fetched, failing the test if
// the fetch fails. An unchanged product is not parsed.
func Run(t testing.TB, s releaselake.Source, c releaselake.Crawl) (releaselake.Fetched, releaselake.Parsed, error) {
	t.Helper()
	f := s.Fetch(context.Background(), []releaselake.Crawl{c})[0]
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	if f.Unchanged {
		return f, releaselake.Parsed{}, nil
	}
	got, err := s.Parse(c.Product, f.Raw, c.Prev)
	return f, got, err
}
