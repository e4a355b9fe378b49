package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// User info in a registry's URL authenticates its requests and appears in no
// log, run record, red or yellow file, stored release URL or API answer.
func TestMain_registryCredentialsStayInTheProcess(t *testing.T) {
	const password = "S3CRETPASS"
	gh := githubtest.NewServer(t)
	up := newUpstreams(t)
	unauthorized := 0
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pw, ok := r.BasicAuth(); !ok || user != "mirror" || pw != password {
			unauthorized++
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		up.ServeHTTP(w, r)
	}))
	defer mirror.Close()
	withUser := strings.Replace(mirror.URL, "http://", "http://mirror:"+password+"@", 1)
	// One registry fails, so that its error, with the URL asked, is on record.
	up.set("/npm/vuex", func(w http.ResponseWriter, _ *http.Request) int {
		w.WriteHeader(http.StatusNotFound)
		return http.StatusNotFound
	})
	dir := t.TempDir()
	a := &app{t: t, lake: filepath.Join(dir, "lake")}
	a.env = map[string]string{
		"RELEASELAKE_LAKE":    a.lake,
		"RELEASELAKE_CATALOG": writeCatalog(t, dir, up.srv.URL),
		"GITHUB_TOKEN":        gh.Token,
		"GITHUB_GRAPHQL_URL":  strings.Replace(gh.URL, "http://", "http://proxy:"+password+"@", 1),
	}
	for env, path := range map[string]string{"PYPI": "", "NPM": "/npm", "MAVEN": "/maven2"} {
		a.env["RELEASELAKE_"+env+"_URL"] = withUser + path
	}
	code, out := a.run("ingest")
	if code != 0 || !strings.Contains(out, "vuex") {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	if unauthorized > 0 {
		t.Errorf("%d requests reached the mirror without its credentials", unauthorized)
	}
	if strings.Contains(out, password) {
		t.Errorf("the log has the password:\n%s", out)
	}
	filepath.Walk(a.lake, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if z, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			b, _ = io.ReadAll(z)
		}
		if bytes.Contains(b, []byte(password)) {
			t.Errorf("%s has the password", strings.TrimPrefix(path, a.lake))
		}
		return nil
	})
	base := a.serve()
	var got struct {
		Releases   struct{ Nodes []sourceRelease }
		IngestRuns []struct {
			Failures []struct{ Product, Message string }
		}
	}
	query(t, base, `{ releases(products: ["sample", "spring"], first: 100) { nodes { product { key } url } }
	  ingestRuns(last: 1) { failures { product message } } }`, nil, &got)
	if len(got.Releases.Nodes) == 0 {
		t.Fatal("no pypi or maven rows")
	}
	for _, n := range got.Releases.Nodes {
		if !strings.HasPrefix(n.URL, mirror.URL+"/") {
			t.Errorf("%s: url %q, want it under %s", n.Product.Key, n.URL, mirror.URL)
		}
	}
	failed := ""
	for _, r := range got.IngestRuns {
		for _, f := range r.Failures {
			failed += f.Product + ": " + f.Message + "\n"
		}
	}
	if !strings.Contains(failed, mirror.URL+"/npm/vuex") || strings.Contains(failed, password) {
		t.Errorf("failures on record:\n%s", failed)
	}
}
