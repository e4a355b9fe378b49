package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	sourcekinds "github.com/releaselake/releaselake/ingest/sources"
	"github.com/releaselake/releaselake/internal/fixturerows"
	"github.com/releaselake/releaselake/serving"
)

// The fast path writes Release.semver byte for byte as gqlgen does, over
// the fixtures' real histories (calendar versions, four components, -M1,
// .RELEASE, prereleases: null and not) and versions with build metadata,
// and answers such lists itself.
func TestFastPath_semverMatchesGqlgen(t *testing.T) {
	rows, err := fixturerows.Rows()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	for i, v := range []string{"1.0.0+b359", "2.0.0-rc.1+exp.sha.5114f85", "3.0.0+\"quoted\"\\", "0.1", "1.0.post1", "nightly"} {
		rows = append(rows, releaselake.Release{Product: "rails", Tag: "x" + v, Version: v, PublishedAt: at.Add(-time.Duration(i) * time.Hour)})
	}
	cat, err := catalog.Default(sourcekinds.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	ix := serving.NewIndex(releaselake.Snapshot{Version: 7, CommittedAt: at, Releases: rows})
	r := &Resolver{Catalog: cat, Index: func() *serving.Index { return ix },
		Runs:    func(context.Context, int) ([]releaselake.Run, error) { return nil, nil },
		Notices: func() []string { return nil }}
	pr := pairOf(t, r, false)
	const q = `query($p: [String!], $after: String) { releases(products: $p, orderBy: {field: VERSION}, first: 100, after: $after) {
		nodes { version semver { major minor patch pre build } } pageInfo { hasNextPage endCursor } } }`
	nulls, builds := 0, 0
	for _, p := range []string{"springboot", "kafka", "redash", "rails", "vue"} {
		vars := map[string]any{"p": []string{p}}
		for {
			body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
			before := pr.hits()
			_, fb := rawPost(t, pr.fast.URL, body)
			_, sb := rawPost(t, pr.slow.URL, body)
			if !bytes.Equal(fb, sb) {
				t.Fatalf("%s: fast path differs:\nfast %s\nslow %s", p, fb, sb)
			}
			if pr.hits() == before {
				t.Fatalf("%s: the fast path did not answer: %.300s", p, fb)
			}
			nulls += bytes.Count(fb, []byte(`"semver":null`))
			builds += bytes.Count(fb, []byte(`"build":"`))
			var a struct {
				Data struct {
					Releases struct {
						PageInfo struct {
							HasNextPage bool
							EndCursor   string
						}
					}
				}
			}
			json.Unmarshal(fb, &a)
			if !a.Data.Releases.PageInfo.HasNextPage {
				break
			}
			vars["after"] = a.Data.Releases.PageInfo.EndCursor
		}
	}
	if nulls == 0 || builds < 3 {
		t.Errorf("%d null semvers, %d with build metadata: the data no longer covers them", nulls, builds)
	}
}
