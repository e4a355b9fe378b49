package demo

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The sources' transport answers the catalog's feed and page URLs in-process,
// lets requests to 127.0.0.1 through and refuses every other host.
func TestTransport_recordedHostsInProcessOthersRefused(t *testing.T) {
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "local") }))
	defer local.Close()
	w := newWeb(testNow)
	client := &http.Client{Transport: &transport{web: w, local: http.DefaultTransport}}
	get := func(url string) (string, error) {
		resp, err := client.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if body, err := get("https://powerbi.microsoft.com/en-us/blog/feed/"); err != nil || !strings.Contains(body, "Power BI November 2026 Feature Summary") || strings.Contains(body, "December 2026") {
		t.Errorf("day 1 feed: %v\n%.600s", err, body)
	}
	if body, err := get("https://www.tableau.com/support/releases?x=1"); err != nil || !strings.Contains(body, "Coming soon") {
		t.Errorf("day 1 page: %v\n%.600s", err, body)
	}
	w.nextDay(testNow.Add(24 * 3600e9))
	if body, _ := get("https://powerbi.microsoft.com/en-us/blog/feed/"); !strings.Contains(body, "Power BI December 2026 Feature Summary") {
		t.Errorf("day 2 feed has no December summary:\n%.600s", body)
	}
	if body, _ := get("https://www.tableau.com/support/releases"); strings.Contains(body, "Coming soon") {
		t.Errorf("day 2 page still has a coming-soon release:\n%.600s", body)
	}
	if body, err := get(local.URL); err != nil || body != "local" {
		t.Errorf("127.0.0.1: %q, %v", body, err)
	}
	for _, url := range []string{"https://pypi.org/pypi/flask/json", "https://api.github.com/graphql", "https://powerbi.microsoft.com/other"} {
		if _, err := get(url); err == nil || !strings.Contains(err.Error(), "stays offline") {
			t.Errorf("GET %s: %v, want refused", url, err)
		}
	}
}
