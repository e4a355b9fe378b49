package httpfetch

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestConditional_onlyForTheSameKeyAndAProductWithRows(t *testing.T) {
	srv, _ := serve(t, body("x", "ETag", `"e1"`, "Last-Modified", "Wed, 21 Oct 2026 07:28:00 GMT"))
	c, _ := newClient(t, srv)
	resp, err := c.Do(context.Background(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	state := resp.State("k1")
	if v := Conditional(state, "k1", true); v.ETag != `"e1"` || v.LastModified != "Wed, 21 Oct 2026 07:28:00 GMT" {
		t.Errorf("same key: %+v", v)
	}
	for name, v := range map[string]Validators{
		"other key":   Conditional(state, "k2", true),
		"no rows":     Conditional(state, "k1", false),
		"no state":    Conditional(nil, "k1", true),
		"not json":    Conditional([]byte("{"), "k1", true),
		"empty state": Conditional([]byte("{}"), "", true),
	} {
		if v != (Validators{}) {
			t.Errorf("%s: sends %+v", name, v)
		}
	}
	if s := (&Response{Header: http.Header{}}).State("k"); s != nil {
		t.Errorf("no validators gives state %s", s)
	}
}

func TestResponse_Line_keepsJSONAsJSONAndAnythingElseAsText(t *testing.T) {
	r := &Response{Method: "GET", URL: "http://x/a", Status: 200, Header: http.Header{"Etag": {`"e"`}},
		Body: []byte("{\n  \"a\": \"<b>&\"\n}\n")}
	line, err := r.Line(true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(line), "\n") || !strings.Contains(string(line), `"json":{"a":"<b>&"}`) {
		t.Fatalf("line %s", line)
	}
	a, err := ReadAnswer(line)
	if err != nil || a.ETag != `"e"` || string(a.Body()) != `{"a":"<b>&"}` {
		t.Fatalf("answer %+v, err %v", a, err)
	}

	r.Body = []byte(`{"a": tru`) // broken upstream JSON is on record as text
	line, _ = r.Line(true)
	a, _ = ReadAnswer(line)
	if a.JSON != nil || string(a.Body()) != `{"a": tru` {
		t.Fatalf("broken JSON: %s", line)
	}

	if _, err := ReadAnswer([]byte(`{"something":"else"}`)); err == nil {
		t.Error("a line that is not an answer was read")
	}
}
