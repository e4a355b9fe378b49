package graph

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/releaselake/releaselake"
)

// ReleaseLineDepth is the schema's ReleaseLineDepth, ours rather than
// gqlgen's for the reason graph/order.go gives: a variable's value in the
// wrong case ("minor") is the client's error, not an internal one.
type ReleaseLineDepth string

// ReleaseLineDepth values.
const (
	ReleaseLineDepthMajor ReleaseLineDepth = "MAJOR"
	ReleaseLineDepthMinor ReleaseLineDepth = "MINOR"
)

// components is how many leading version components name a line of depth e.
func (e ReleaseLineDepth) components() int {
	switch e {
	case ReleaseLineDepthMajor:
		return releaselake.LineMajor
	case ReleaseLineDepthMinor:
		return releaselake.LineMinor
	}
	return 0
}

// UnmarshalGQL reads a value as spelled in the schema; anything else is Invalid.
func (e *ReleaseLineDepth) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	if *e = ReleaseLineDepth(s); e.components() == 0 {
		return releaselake.Errorf(releaselake.Invalid, "depth: %#v is not a ReleaseLineDepth: MAJOR or MINOR", v)
	}
	return nil
}

// MarshalGQL writes e as a JSON string.
func (e ReleaseLineDepth) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(e))) }

// MaxLineBytes bounds lines(after:), checked before it is read: a line name
// is a few numbers.
const MaxLineBytes = 64

// lines answers Product.lines: the product's release lines at depth, at
// asOf, the first first of them (MaxFirst when nil), after the line named
// after (when not nil).
func (r *Resolver) lines(ctx context.Context, product string, depth ReleaseLineDepth, first *int, asOf *time.Time, after *string) ([]releaselake.ReleaseLine, error) {
	n := MaxFirst
	if first != nil {
		n = *first
	}
	if n < 0 || n > MaxFirst {
		return nil, releaselake.Errorf(releaselake.Invalid, "lines: first must be between 0 and %d, got %d", MaxFirst, n)
	}
	from := ""
	if after != nil {
		if len(*after) > MaxLineBytes {
			return nil, releaselake.Errorf(releaselake.Invalid, "lines: after of %d bytes, at most %d", len(*after), MaxLineBytes)
		}
		// A line name at depth, as lines gives them: "4.1" at MINOR, not
		// "4", "4.01" or "4.1.0", which would page from another place.
		if l, ok := releaselake.VersionOf(*after).Line(depth.components()); !ok || l != *after {
			return nil, releaselake.Errorf(releaselake.Invalid, "lines: after: %q is not a line name at depth %s, e.g. \"4.1\" at MINOR, \"4\" at MAJOR", *after, depth)
		}
		from = *after
	}
	ix, err := r.indexAt(ctx, asOf)
	if err != nil {
		return nil, err
	}
	if ls := ix.LinesAfter(product, depth.components(), from, n); ls != nil {
		return ls, nil
	}
	return []releaselake.ReleaseLine{}, nil
}
