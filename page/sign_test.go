package page

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"version":1}`)
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	ts := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	cases := []struct {
		name     string
		tsHeader string
		sig      string
		body     []byte
		want     error
	}{
		{"good", ts(now), Sign(secret, now, body), body, nil},
		{"4m59s behind", ts(now.Add(-299 * time.Second)), Sign(secret, now.Add(-299*time.Second), body), body, nil},
		{"4m59s ahead", ts(now.Add(299 * time.Second)), Sign(secret, now.Add(299*time.Second), body), body, nil},
		{"stale", ts(now.Add(-6 * time.Minute)), Sign(secret, now.Add(-6*time.Minute), body), body, ErrStale},
		{"future", ts(now.Add(6 * time.Minute)), Sign(secret, now.Add(6*time.Minute), body), body, ErrStale},
		{"other body", ts(now), Sign(secret, now, body), []byte(`{"version":2}`), ErrBadSignature},
		{"other secret", ts(now), Sign([]byte("other"), now, body), body, ErrBadSignature},
		{"timestamp moved", ts(now.Add(time.Millisecond)), Sign(secret, now, body), body, ErrBadSignature},
		{"seconds, not milliseconds", strconv.FormatInt(now.Unix(), 10), Sign(secret, now, body), body, ErrBadSignature},
		{"no prefix", ts(now), Sign(secret, now, body)[7:], body, ErrBadSignature},
		{"not hex", ts(now), "sha256=zz", body, ErrBadSignature},
		{"timestamp not a number", "yesterday", Sign(secret, now, body), body, ErrBadSignature},
		{"no signature", ts(now), "", body, ErrNoSignature},
		{"no timestamp", "", Sign(secret, now, body), body, ErrNoSignature},
	}
	for _, c := range cases {
		err := Verify(secret, c.tsHeader, c.sig, c.body, now)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
