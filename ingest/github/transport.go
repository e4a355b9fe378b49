package github

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// transport adds the token to requests for the GraphQL endpoint and, when the
// request's context asks for it, keeps a copy of the answer. githubv4 keeps
// neither the body (the red table wants it verbatim), nor the status and headers,
// nor the errors' type and path; they are read here, and fetch.go decodes the
// copy itself.
type transport struct {
	base  http.RoundTripper
	max   int64 // answers larger than this, decompressed, fail with a tooLargeError
	token string
	user  *url.Userinfo // basic authentication, when there is no token
	host  string        // the token goes to this host only, never along a redirect elsewhere
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == t.host && (t.token != "" || t.user != nil) {
		req = req.Clone(req.Context())
		if t.token != "" {
			req.Header.Set("Authorization", "bearer "+t.token)
		} else {
			pw, _ := t.user.Password()
			req.SetBasicAuth(t.user.Username(), pw)
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if c, ok := req.Context().Value(captureKey{}).(*response); ok {
		body, err := io.ReadAll(io.LimitReader(resp.Body, t.max+1))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if int64(len(body)) > t.max {
			return nil, &tooLargeError{max: t.max}
		}
		*c = response{status: resp.StatusCode, header: resp.Header, body: body}
		if resp.StatusCode == http.StatusOK {
			// The crawl reads the answer from the copy (fetch.go, read), and githubv4
			// would decode it once more into the query's struct, by reflection: a
			// quarter of a large crawl's CPU, thrown away. It gets an answer without
			// data instead. Other answers reach it as they came, for its error.
			body = noData
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
	} else {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, t.max), resp.Body}
	}
	return resp, nil
}

// tooLargeError is an answer over the cap (a gzip bomb decompresses to
// gigabytes): not read further, not asked again.
type tooLargeError struct{ max int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("answer over the %d MiB cap", e.max>>20)
}

// response is one HTTP answer as it came over the wire.
type response struct {
	status int // 0 when no answer came
	header http.Header
	body   []byte
}

type captureKey struct{}

var noData = []byte(`{"data":null}`)

// withCapture returns a context whose request's answer transport copies into r.
func withCapture(ctx context.Context, r *response) context.Context {
	return context.WithValue(ctx, captureKey{}, r)
}
