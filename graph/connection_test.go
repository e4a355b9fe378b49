package graph

import (
	"fmt"
	"slices"
	"testing"
)

func TestDistinct(t *testing.T) {
	many := make([]string, 12)
	for i := range many {
		many[i] = fmt.Sprint("p", i)
	}
	for _, c := range []struct{ in, want []string }{
		{nil, nil},
		{[]string{"a", "b"}, []string{"a", "b"}},
		{[]string{"c", "a", "c", "empty", "a"}, []string{"c", "a", "empty"}},
		{many, many},
		{append(slices.Clone(many), "p3", "x", "p0"), append(slices.Clone(many), "x")},
	} {
		got := distinct(c.in)
		if !slices.Equal(got, c.want) {
			t.Errorf("distinct(%q) = %q, want %q", c.in, got, c.want)
		}
		if slices.Equal(c.in, c.want) && len(c.in) > 0 && &got[0] != &c.in[0] {
			t.Errorf("distinct(%q) copied a list without repeats", c.in)
		}
	}
}
