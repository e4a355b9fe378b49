package metrics

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestListen_servesMetricsAloneAndCloses(t *testing.T) {
	m := New()
	l, err := m.Listen("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/metrics": 200, "/graphql": 404} {
		resp, err := http.Get("http://" + l.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || want == 200 && !strings.Contains(string(b), "releaselake_") {
			t.Errorf("%s: HTTP %d, want %d", path, resp.StatusCode, want)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + l.Addr() + "/metrics"); err == nil {
		t.Fatal("still listening after Close")
	}
}
