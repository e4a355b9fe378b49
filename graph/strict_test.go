package graph

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// A cursor is refused by its length before it is decoded: one built around
// a version of 600 KB, sent once as a variable and read by 520 aliases,
// would have every alias compare it with the product's versions.
func TestReleases_longCursorIsRefusedBeforeDecoding(t *testing.T) {
	s := serve(t, Options{})
	huge := encodeCursor(serving.Sort{Key: serving.ByVersion},
		&releaselake.Release{Product: "a", Version: strings.Repeat("1.", 300<<10), Tag: "v1"})
	var q strings.Builder
	q.WriteString(`query($c: String) {`)
	for i := range 520 {
		fmt.Fprintf(&q, ` r%d: releases(products: "a", orderBy: {field: VERSION}, last: 1, before: $c) { totalCount }`, i)
	}
	q.WriteString(` }`)
	for _, arg := range []string{"before", "after"} {
		query := q.String()
		if arg == "after" {
			query = strings.NewReplacer("last:", "first:", "before:", "after:").Replace(query)
		}
		b, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"c": huge}})
		_, body := do(t, "POST", s.URL, string(b), nil)
		if codeOf(t, body) != "BAD_USER_INPUT" || !strings.Contains(body, arg+": a cursor of") || strings.Contains(body, `"totalCount"`) {
			t.Errorf("%s: %.300s", arg, body)
		}
	}
	// The longest cursor allowed still pages.
	long := encodeCursor(serving.Sort{Key: serving.ByVersion}, &releaselake.Release{Product: "a", Version: "1.0", Tag: strings.Repeat("v", 1400)})
	if len(long) > MaxCursorBytes {
		t.Fatalf("a cursor of a 1.4 KB tag takes %d bytes, over %d", len(long), MaxCursorBytes)
	}
	b, _ := json.Marshal(map[string]any{"query": `query($c: String) { releases(orderBy: {field: VERSION}, after: $c) { totalCount } }`,
		"variables": map[string]any{"c": long}})
	if _, body := do(t, "POST", s.URL, string(b), nil); strings.Contains(body, `"errors"`) {
		t.Fatalf("a cursor of %d bytes: %.300s", len(long), body)
	}
}

// nonCanonical returns s (unpadded base64url whose length leaves trailing
// bits) with those bits set: lenient decoders read it as s.
func nonCanonical(t *testing.T, s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(s)%4 == 0 {
		t.Fatalf("%q has no trailing bits", s)
	}
	last := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[last+1])
}

// Ids and cursors have one spelling each: base64 with its unused trailing
// bits set is not an id (nor a cursor) of this API, though a lenient decoder
// reads the same bytes from it.
func TestNode_idsAndCursorsAreDecodedStrictly(t *testing.T) {
	s := serve(t, Options{})
	id := productID("empty") // 13 bytes: 4 trailing bits
	_, body := do(t, "POST", s.URL, `{"query":"{ node(id: \"`+id+`\") { id } }"}`, nil)
	if !strings.Contains(body, `"id":"`+id+`"`) {
		t.Fatalf("the canonical id: %s", body)
	}
	bad := nonCanonical(t, id)
	_, body = do(t, "POST", s.URL, `{"query":"{ node(id: \"`+bad+`\") { id } }"}`, nil)
	if codeOf(t, body) != "BAD_USER_INPUT" || !strings.Contains(body, "not an id from this API") {
		t.Errorf("id %s: %s", bad, body)
	}
	for i := 0; ; i++ {
		c := encodeCursor(serving.Sort{}, &releaselake.Release{Product: "a", Version: "1.0", Tag: strings.Repeat("v", i)})
		if len(c)%4 == 0 {
			continue
		}
		bad := nonCanonical(t, c)
		_, body := do(t, "POST", s.URL, `{"query":"{ releases(after: \"`+bad+`\") { totalCount } }"}`, nil)
		if codeOf(t, body) != "BAD_USER_INPUT" || !strings.Contains(body, "after: not a cursor") {
			t.Errorf("cursor %s: %s", bad, body)
		}
		break
	}
}
