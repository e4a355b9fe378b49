package httpfetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
)

// A registry URL's user info authenticates the requests to its host only, and
// no answer or error carries it.
func TestRegistryKind_userInfoAuthenticatesAndIsNeverShown(t *testing.T) {
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	var base string
	var client *Client
	kind := RegistryKind("x", "X", releaselake.Setting{Env: "X_URL"}, func(b string, c *Client) releaselake.Source {
		base, client = b, c
		return nil
	})
	withUser := strings.Replace(srv.URL, "http://", "http://user:S3CRET@", 1)
	if _, err := kind.New(releaselake.SourceConfig{Settings: map[string]string{"X_URL": withUser}}); err != nil {
		t.Fatal(err)
	}
	if base != srv.URL {
		t.Fatalf("the source got base %q, want %q", base, srv.URL)
	}
	resp, err := client.Do(context.Background(), Request{URL: base + "/ok"})
	if err != nil || strings.Contains(resp.URL, "S3CRET") {
		t.Fatalf("%v %v", resp, err)
	}
	_, err = client.Do(context.Background(), Request{URL: base + "/missing"})
	if err == nil || strings.Contains(err.Error(), "S3CRET") {
		t.Errorf("error %v", err)
	}
	// A URL with user info of its own (a catalog's feed) is not shown either.
	_, err = client.Do(context.Background(), Request{URL: strings.Replace(withUser, "user:", "other:", 1) + "/missing"})
	if err == nil || strings.Contains(err.Error(), "S3CRET") || strings.Contains(err.Error(), "other") {
		t.Errorf("error %v", err)
	}
	want := "Basic dXNlcjpTM0NSRVQ=" // user:S3CRET
	if len(auth) != 3 || auth[0] != want || auth[1] != want || auth[2] != "Basic b3RoZXI6UzNDUkVU" {
		t.Errorf("Authorization sent: %q", auth)
	}
	client.Attempts = 1
	if _, err := client.Do(context.Background(), Request{URL: "http://localhost:1/elsewhere"}); err == nil || strings.Contains(err.Error(), "S3CRET") {
		t.Errorf("elsewhere: %v", err)
	}
}
