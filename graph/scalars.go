package graph

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/releaselake/releaselake"
)

// MarshalDateTime writes t as an RFC 3339 timestamp in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads an RFC 3339 timestamp, with or without fractional
// seconds, "T" and "Z" in either case, or a date alone (RFC 3339's
// full-date, 2026-01-01), which means its start in UTC: what people type.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, releaselake.Errorf(releaselake.Invalid, "DateTime must be an RFC 3339 string, got %T", v)
	}
	layout := time.RFC3339Nano
	if len(s) == len(time.DateOnly) {
		layout = time.DateOnly
	}
	t, err := time.Parse(layout, strings.ToUpper(s)) // RFC 3339 allows "t" and "z"
	if err != nil {
		return time.Time{}, releaselake.Errorf(releaselake.Invalid, "DateTime must be RFC 3339 (e.g. 2026-11-25T00:00:00Z) or a date (2026-11-25), got %q", s)
	}
	return t.UTC(), nil
}
