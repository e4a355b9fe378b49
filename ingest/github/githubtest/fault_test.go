package githubtest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

func TestServer_SetFault_answersInsteadAndChargesNothing(t *testing.T) {
	srv := githubtest.NewServer(t)
	calls := 0
	srv.SetFault(func(req *githubtest.Request) *githubtest.Fault {
		calls++
		if calls == 1 && strings.Contains(req.Query, "rateLimit") {
			return githubtest.SecondaryRateLimit(90 * time.Second)
		}
		if calls == 2 {
			return githubtest.BadGateway()
		}
		return nil
	})
	query := `{ rateLimit { remaining } }`
	status, out, hdr := post(t, srv.URL, srv.Token, query, nil)
	if status != http.StatusForbidden || hdr.Get("Retry-After") != "90" {
		t.Errorf("secondary limit: %d, retry-after %q", status, hdr.Get("Retry-After"))
	}
	status, out, _ = post(t, srv.URL, srv.Token, query, nil)
	if status != http.StatusBadGateway || len(out.Errors) != 1 || !strings.HasPrefix(out.Errors[0].Message, "Something went wrong") {
		t.Errorf("bad gateway: %d %+v", status, out)
	}
	status, out, _ = post(t, srv.URL, srv.Token, query, nil)
	if status != 200 || get(out.Data, "rateLimit", "remaining") != 4999.0 {
		t.Errorf("after faults: %d %+v", status, out)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || !reqs[0].Faulted || reqs[0].Status != 403 || reqs[1].Status != 502 || reqs[2].Faulted || reqs[2].Seq != 3 {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestServer_spentRateLimitIsRateLimited(t *testing.T) {
	now := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	srv := githubtest.NewServer(t, githubtest.WithClock(func() time.Time { return now }))
	srv.SetRateLimit(1, now.Add(10*time.Minute))
	query := `{ rateLimit { remaining } }`
	if _, out, _ := post(t, srv.URL, srv.Token, query, nil); get(out.Data, "rateLimit", "remaining") != 0.0 {
		t.Errorf("last point: %+v", out)
	}
	_, out, hdr := post(t, srv.URL, srv.Token, query, nil)
	if len(out.Errors) != 1 || out.Errors[0].Type != "RATE_LIMITED" || hdr.Get("X-Ratelimit-Remaining") != "0" {
		t.Errorf("spent: %+v, remaining header %q", out, hdr.Get("X-Ratelimit-Remaining"))
	}
	now = now.Add(11 * time.Minute)
	if _, out, _ := post(t, srv.URL, srv.Token, query, nil); get(out.Data, "rateLimit", "remaining") != 4999.0 {
		t.Errorf("after reset: %+v", out)
	}
}
