package graph

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Empty pages at cursors answer as gqlgen does, and as a page of one at the
// same cursor says what lies behind it: after and before every cursor of
// a list (the first one's included: nothing lies before the page before it),
// in every order.
func TestFastPath_emptyPagesAtCursorsMatchGqlgen(t *testing.T) {
	pr := pairOf(t, oddResolver(t), false)
	type info struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	ask := func(q string, vars map[string]any) info {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		_, fb := rawPost(t, pr.fast.URL, body)
		_, sb := rawPost(t, pr.slow.URL, body)
		if !bytes.Equal(fb, sb) {
			t.Fatalf("%v: fast path differs:\nfast %s\nslow %s", vars, fb, sb)
		}
		var r struct {
			Data struct{ Releases struct{ PageInfo info } }
		}
		if err := json.Unmarshal(fb, &r); err != nil || bytes.Contains(fb, []byte(`"errors"`)) {
			t.Fatalf("%v: %v %s", vars, err, fb)
		}
		return r.Data.Releases.PageInfo
	}
	const page = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }`
	fwd := `query($o: ReleaseOrder, $c: String, $n: Int) { releases(orderBy: $o, after: $c, first: $n) { totalCount nodes { tag } ` + page + ` }`
	back := `query($o: ReleaseOrder, $c: String, $n: Int) { releases(orderBy: $o, before: $c, last: $n) { totalCount nodes { tag } ` + page + ` }`
	edges := `query($o: ReleaseOrder) { releases(orderBy: $o, first: 100) { edges { cursor } } }`
	for _, field := range []string{"PUBLISHED_AT", "VERSION", "FIRST_SEEN_AT"} {
		for _, dir := range []string{"ASC", "DESC"} {
			o := map[string]any{"field": field, "direction": dir}
			body, _ := json.Marshal(map[string]any{"query": edges, "variables": map[string]any{"o": o}})
			_, b := rawPost(t, pr.fast.URL, body)
			var r struct {
				Data struct {
					Releases struct{ Edges []struct{ Cursor string } }
				}
			}
			json.Unmarshal(b, &r)
			cursors := r.Data.Releases.Edges
			if len(cursors) < 3 {
				t.Fatalf("%s %s: %s", field, dir, b)
			}
			for i, c := range cursors {
				vars := map[string]any{"o": o, "c": c.Cursor}
				for _, q := range []string{fwd, back} {
					vars["n"] = 0
					empty := ask(q, vars)
					vars["n"] = 1
					one := ask(q, vars)
					if q == fwd && i+1 < len(cursors) && empty.HasPreviousPage != one.HasPreviousPage {
						t.Fatalf("%s %s after cursor %d: hasPreviousPage %v with first 0, %v with first 1", field, dir, i, empty.HasPreviousPage, one.HasPreviousPage)
					}
					if q == back && i > 0 && empty.HasNextPage != one.HasNextPage {
						t.Fatalf("%s %s before cursor %d: hasNextPage %v with last 0, %v with last 1", field, dir, i, empty.HasNextPage, one.HasNextPage)
					}
					if q == back && i == 0 && (empty.HasPreviousPage || !empty.HasNextPage) {
						t.Fatalf("%s %s: the empty page before the first cursor: %+v", field, dir, empty)
					}
				}
			}
		}
	}
}
