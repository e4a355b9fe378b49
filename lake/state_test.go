package lake_test

import (
	"context"
	"testing"

	"github.com/releaselake/releaselake"
)

func TestStore_State_roundTripsAndReplaces(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if got, err := s.ReadState(ctx, "github/react"); err != nil || got != nil {
		t.Fatalf("absent state: %q %v", got, err)
	}
	for _, want := range []string{`{"etag":"1"}`, `{"etag":"2"}`} {
		if err := s.WriteState(ctx, "github/react", []byte(want)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ReadState(ctx, "github/react"); err != nil || string(got) != want {
			t.Fatalf("got %q %v, want %s", got, err, want)
		}
	}
	for _, bad := range []string{"", "../x", "a//b", "a/b:c"} {
		if err := s.WriteState(ctx, bad, nil); releaselake.ClassOf(err) != releaselake.Invalid {
			t.Errorf("WriteState(%q): %v", bad, err)
		}
	}
}
