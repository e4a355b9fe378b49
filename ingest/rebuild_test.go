package ingest

import (
	"encoding/json"
	"testing"
)

func TestReadRedLine_readsWhatTheRunWrites(t *testing.T) {
	for _, rl := range []RedLine{
		{Product: "flask", Answer: json.RawMessage(`{"repo":"pallets/flask","data":{"x":[1,"}"]}}`)},
		{Product: `odd"key\`, Answer: json.RawMessage(`[1,2]`)}, // not the fast path
		{Product: "p", Answer: json.RawMessage(`"a string"`)},
	} {
		line, err := json.Marshal(rl)
		if err != nil {
			t.Fatal(err)
		}
		product, answer, err := readRedLine(line)
		if err != nil || product != rl.Product || string(answer) != string(rl.Answer) {
			t.Errorf("readRedLine(%s) = %q, %s, %v", line, product, answer, err)
		}
	}
	if _, _, err := readRedLine([]byte(`{"product":"p","answer":`)); err == nil {
		t.Error("a cut line: no error")
	}
}
