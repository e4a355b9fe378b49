package httpfetch

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/releaselake/releaselake"
)

func TestCounter_Fetch_countsPerFetchAndStopsOnADoneContext(t *testing.T) {
	srv, _ := serve(t, body(`{}`))
	outer := &Client{HTTP: srv.Client()}
	c := NewCounter("k", outer)
	get := func(ctx context.Context, cr releaselake.Crawl) releaselake.Fetched {
		_, err := c.Do(ctx, Request{URL: srv.URL})
		return releaselake.Fetched{Err: err}
	}
	crawls := []releaselake.Crawl{{Product: releaselake.Product{Key: "a"}}, {Product: releaselake.Product{Key: "b"}}}
	for range 2 { // the count starts again with each Fetch
		got := c.Fetch(context.Background(), crawls, get)
		if got[0].Product != "a" || got[1].Product != "b" || got[0].Err != nil || got[1].Err != nil || c.LastStats().Requests != 2 {
			t.Fatalf("%+v, stats %+v", got, c.LastStats())
		}
	}
	if outer.Sent != nil {
		t.Fatal("the client given was changed")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := c.Fetch(ctx, crawls, get)
	if got[1].Product != "b" || !errors.Is(got[1].Err, context.Canceled) || !reflect.DeepEqual(c.LastStats(), releaselake.SourceStats{Kind: "k"}) {
		t.Fatalf("%+v, stats %+v", got, c.LastStats())
	}
}
