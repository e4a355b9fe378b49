package page

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// ?products= naming more keys than MaxProductKeys (and the catalog) is 400,
// on the page and the feed; as many as that still renders.
func TestHandler_productsParamIsBounded(t *testing.T) {
	snap := testSnapshot(t)
	keys := make([]string, MaxProductKeys+1)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	over := strings.Join(keys, ",")
	for _, h := range []interface {
		ServeHTTP(w http.ResponseWriter, r *http.Request)
	}{handler(snap), &Feed{Snapshot: func() *Snapshot { return snap }}} {
		if code, body := get(h, "/?products="+over); code != 400 || !strings.Contains(body, "at most 1000") {
			t.Fatalf("%d keys: %d %.100s", len(keys), code, body)
		}
		if code, _ := get(h, "/?products="+strings.Join(keys[:MaxProductKeys], ",")); code != 200 {
			t.Fatalf("%d keys: %d", MaxProductKeys, code)
		}
	}
}
