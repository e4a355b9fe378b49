package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/webhook"
	"github.com/releaselake/releaselake/page"
)

// The verification example of docs/webhooks.md, run with python3, accepts
// a real delivery and refuses it with one byte of the body changed.
func TestDocs_pythonVerifyAcceptsADelivery(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: the docs example is not run")
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "webhooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```python\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/webhooks.md has no python example")
	}
	// A real delivery, caught by a receiver that keeps headers and body.
	var hdr map[string]string
	var body []byte
	recv := newRawReceiver(t, func(h map[string]string, b []byte) { hdr, body = h, b })
	s := commits(t, []releaselake.Release{rel("go", "1.0.0")}, []releaselake.Release{rel("go", "1.0.0"), rel("go", "1.1.0")})
	n := &webhook.Notifier{Lake: s, Targets: []webhook.Target{target(t, "{url: '"+recv+"', secret: docs-secret}")}}
	if err := n.Deliver(context.Background(), 1); err != nil || body == nil {
		t.Fatalf("deliver: %v", err)
	}
	dir := t.TempDir()
	script := string(m[1]) + `
import json, sys
h = json.load(open(sys.argv[1]))
print(verify(b"docs-secret", h, open(sys.argv[2], "rb").read()))
`
	os.WriteFile(filepath.Join(dir, "verify.py"), []byte(script), 0o644)
	h, _ := json.Marshal(hdr)
	os.WriteFile(filepath.Join(dir, "headers.json"), h, 0o644)
	for _, tc := range []struct {
		body []byte
		want string
	}{{body, "True"}, {[]byte(strings.Replace(string(body), "1.1.0", "1.1.1", 1)), "False"}} {
		os.WriteFile(filepath.Join(dir, "body"), tc.body, 0o644)
		out, err := exec.Command(py, filepath.Join(dir, "verify.py"), filepath.Join(dir, "headers.json"), filepath.Join(dir, "body")).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != tc.want {
			t.Errorf("verify.py = %s (%v), want %s", out, err, tc.want)
		}
	}
	if _, ok := hdr[page.HeaderSignature]; !ok {
		t.Fatalf("no signature header in %v", hdr)
	}
}

// newRawReceiver starts a receiver that hands got each request's headers
// (first values) and body, and returns its URL.
func newRawReceiver(t *testing.T, got func(map[string]string, []byte)) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h := map[string]string{}
		for k := range r.Header {
			h[k] = r.Header.Get(k)
		}
		got(h, b)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
