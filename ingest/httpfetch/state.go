package httpfetch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Validators are what a conditional request sends back: the last answer's ETag
// and Last-Modified. They are a product's crawl state (Fetched.State), saved only
// once the rows of that answer are committed.
type Validators struct {
	// Key names what the answer was read for: the URL and whatever else shapes
	// the rows (a page's patterns, say). Validators saved under another key are
	// not sent, so a changed catalog entry reads the upstream afresh.
	Key          string `json:"key"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
}

// Conditional returns the validators to send for key: those in state if they
// were saved under key and the product has rows to keep, else none (a product
// with no rows must be read in full, whatever upstream's validators say).
func Conditional(state []byte, key string, hasRows bool) Validators {
	var v Validators
	if !hasRows || len(state) == 0 || json.Unmarshal(state, &v) != nil || v.Key != key {
		return Validators{}
	}
	return v
}

// State returns the validators of r as crawl state for key, or nil when r has
// none (nothing to save; a later run asks unconditionally).
func (r *Response) State(key string) []byte {
	v := Validators{Key: key, ETag: r.Header.Get("ETag"), LastModified: r.Header.Get("Last-Modified")}
	if v.ETag == "" && v.LastModified == "" {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}

// Answer is one HTTP answer as a line of the red table: the request, the status,
// the headers that matter, and the body as it came, as JSON when it is JSON and
// the source wants it so, else as text.
//
//	{"method":"GET","url":"https://pypi.org/pypi/flask/json","status":200,
//	 "fetchedAt":"2026-11-25T00:00:00Z","etag":"\"abc\"","json":{"info":{…},"releases":{…}}}
type Answer struct {
	Method       string          `json:"method"`
	URL          string          `json:"url"`
	Status       int             `json:"status"`
	FetchedAt    time.Time       `json:"fetchedAt"`
	ContentType  string          `json:"contentType,omitempty"`
	ETag         string          `json:"etag,omitempty"`
	LastModified string          `json:"lastModified,omitempty"`
	JSON         json.RawMessage `json:"json,omitempty"`
	Text         *string         `json:"text,omitempty"`
}

// Line returns r as one red line. With asJSON, a body that is valid JSON is kept
// as JSON (compacted onto one line); any other body is kept as text, so a broken
// answer is on record too.
func (r *Response) Line(asJSON bool) ([]byte, error) {
	a := Answer{Method: r.Method, URL: r.URL, Status: r.Status, FetchedAt: r.FetchedAt,
		ContentType: r.Header.Get("Content-Type"), ETag: r.Header.Get("ETag"), LastModified: r.Header.Get("Last-Modified")}
	if r.Body != nil {
		var compact bytes.Buffer
		if asJSON && json.Compact(&compact, r.Body) == nil {
			a.JSON = compact.Bytes()
		} else {
			s := string(r.Body)
			a.Text = &s
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep upstream's text as it came
	if err := enc.Encode(a); err != nil {
		return nil, fmt.Errorf("encode answer of %s: %w", r.URL, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ReadAnswer reads a red line written by Response.Line.
func ReadAnswer(line []byte) (Answer, error) {
	var a Answer
	if err := json.Unmarshal(line, &a); err != nil {
		return a, fmt.Errorf("read raw answer: %w", err)
	}
	if a.URL == "" || a.Status == 0 {
		return a, fmt.Errorf("read raw answer: not an HTTP answer")
	}
	return a, nil
}

// Body returns the answer's body as it came.
func (a Answer) Body() []byte {
	if a.JSON != nil {
		return a.JSON
	}
	if a.Text != nil {
		return []byte(*a.Text)
	}
	return nil
}

// Excerpt returns the start of a body for an error message.
func Excerpt(b []byte) string {
	const n = 80
	s := string(bytes.TrimSpace(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return fmt.Sprintf("%q", s)
}
