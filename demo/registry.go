package demo

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The package registries: PyPI's JSON API, the npm registry and a Maven
// repository, answering every package with a generated history in the document
// formats ingest/pypi, ingest/npm and ingest/maven read (their testdata holds
// recorded ones). The default catalog has no registry product; a catalog of
// one's own (-catalog) may, and the sources reach them through their URL
// settings:
//
//	RELEASELAKE_PYPI_URL   base        GET /pypi/NAME/json
//	RELEASELAKE_NPM_URL    base+/npm   GET /npm/NAME (a scoped name is one segment)
//	RELEASELAKE_MAVEN_URL  base+/maven GET /maven/<group/path>/<artifact>/maven-metadata.xml,
//	                                   HEAD …/<version>/<artifact>-<version>.pom (Last-Modified)

// generatedPlan is the plan of a repository or package data/github.csv does not
// name: a plausible history in the commonest style, a patch on day 2.
func generatedPlan(name, prefix, pre string) repoPlan {
	h := hash("generated", name)
	return repoPlan{repo: name, releases: true, prefix: prefix, pre: pre,
		latest:  [3]int{1 + int(h%4), int(h / 4 % 12), int(h / 48 % 6)},
		cadence: 14 + int(h/300%60), day2: "patch"}
}

// packageVersions is a package's versions as the registry holds them now.
func (w *web) packageVersions(kind, name string) []version {
	pre := "-rc.N"
	if kind == "pypi" {
		pre = "rcN" // PEP 440
	}
	p := generatedPlan(kind+":"+name, "", pre)
	vs := p.timeline(w.now)
	if !w.day2.IsZero() {
		vs = append(vs, p.day2Versions(w.day2)...)
	}
	return vs
}

func (w *web) serveRegistry(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	defer w.mu.Unlock()
	path := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(path, "/pypi/") && strings.HasSuffix(path, "/json"):
		name, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(path, "/pypi/"), "/json"))
		if err != nil || name == "" || strings.Contains(name, "/") {
			http.NotFound(rw, r)
			return
		}
		releases := map[string][]map[string]any{}
		for _, v := range w.packageVersions("pypi", name) {
			releases[v.name] = []map[string]any{{"filename": name + "-" + v.name + ".tar.gz",
				"upload_time_iso_8601": v.at.Format("2006-01-02T15:04:05.000000Z"), "yanked": false}}
		}
		writeJSON(rw, map[string]any{"info": map[string]any{"name": name, "summary": "demo data"}, "releases": releases})
	case strings.HasPrefix(path, "/npm/"):
		name, err := url.PathUnescape(strings.TrimPrefix(path, "/npm/"))
		if err != nil || name == "" || strings.Count(name, "/") > 1 {
			http.NotFound(rw, r)
			return
		}
		versions, times, latest := map[string]any{}, map[string]string{}, ""
		for _, v := range w.packageVersions("npm", name) {
			versions[v.name] = map[string]string{"name": name, "version": v.name}
			times[v.name] = v.at.Format(time.RFC3339)
			if !v.pre {
				latest = v.name
			}
		}
		times["created"] = w.now.AddDate(-3, 0, 0).UTC().Format(time.RFC3339)
		writeJSON(rw, map[string]any{"name": name, "dist-tags": map[string]string{"latest": latest}, "versions": versions, "time": times})
	case strings.HasPrefix(path, "/maven/"):
		w.serveMaven(rw, r, strings.Split(strings.TrimPrefix(path, "/maven/"), "/"))
	default:
		http.NotFound(rw, r)
	}
}

// serveMaven answers …/<artifact>/maven-metadata.xml and …/<artifact>/<version>/<artifact>-<version>.pom.
func (w *web) serveMaven(rw http.ResponseWriter, r *http.Request, seg []string) {
	n := len(seg)
	switch {
	case n >= 3 && seg[n-1] == "maven-metadata.xml":
		group, artifact := strings.Join(seg[:n-2], "."), seg[n-2]
		var m struct {
			XMLName    xml.Name `xml:"metadata"`
			GroupID    string   `xml:"groupId"`
			ArtifactID string   `xml:"artifactId"`
			Versions   []string `xml:"versioning>versions>version"`
		}
		m.GroupID, m.ArtifactID = group, artifact
		for _, v := range w.packageVersions("maven", group+":"+artifact) {
			m.Versions = append(m.Versions, v.name)
		}
		rw.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(rw, xml.Header)
		xml.NewEncoder(rw).Encode(m)
	case n >= 4 && seg[n-1] == seg[n-3]+"-"+seg[n-2]+".pom":
		group, artifact, want := strings.Join(seg[:n-3], "."), seg[n-3], seg[n-2]
		for _, v := range w.packageVersions("maven", group+":"+artifact) {
			if v.name == want {
				rw.Header().Set("Last-Modified", v.at.UTC().Format(http.TimeFormat))
				rw.Header().Set("Content-Type", "text/xml")
				if r.Method != http.MethodHead {
					fmt.Fprintf(rw, "<project><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></project>\n", group, artifact, want)
				}
				return
			}
		}
		http.NotFound(rw, r)
	default:
		http.NotFound(rw, r)
	}
}

func writeJSON(rw http.ResponseWriter, v any) {
	rw.Header().Set("Content-Type", "application/json")
	json.NewEncoder(rw).Encode(v)
}
