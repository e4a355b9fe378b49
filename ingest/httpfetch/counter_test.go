package httpfetch

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

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

func TestCounter_Fetch_oneHangingProductLeavesTimeForTheOthers(t *testing.T) {
	defer func(d time.Duration) { minShare = d }(minShare)
	minShare = 10 * time.Millisecond
	c := NewCounter("k", &Client{})
	crawls := make([]releaselake.Crawl, 20)
	for i := range crawls {
		crawls[i].Product.Key = string(rune('a' + i))
	}
	hang := func(ctx context.Context, cr releaselake.Crawl) releaselake.Fetched {
		if cr.Product.Key == "a" {
			<-ctx.Done()
			return releaselake.Fetched{Err: ctx.Err()}
		}
		return releaselake.Fetched{}
	}
	// 2 s for 20 products: a gets 4/20 of it, 400 ms, and the others the rest.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	out := c.Fetch(ctx, crawls, hang)
	// Without the share, a would hold the fetch for the whole 2 s: the bound
	// sits between the two (400 ms expected) with room for a loaded machine.
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("took %v; a's share is 400 ms of the 2 s deadline", took)
	}
	if out[0].Err == nil || !strings.HasPrefix(out[0].Err.Error(), "not answered within its share (") || !errors.Is(out[0].Err, context.DeadlineExceeded) {
		t.Errorf("a: %v", out[0].Err)
	}
	for _, f := range out[1:] {
		if f.Err != nil {
			t.Errorf("%s: %v", f.Product, f.Err)
		}
	}
}
