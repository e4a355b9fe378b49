package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/webhook"
	"github.com/releaselake/releaselake/ingest/webhook/webhooktest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// commits writes each list of rows as the lake's next version and returns the lake.
func commits(t *testing.T, versions ...[]releaselake.Release) *lake.Store {
	t.Helper()
	s := lake.Open(localfs.New(t.TempDir()))
	t.Cleanup(func() { s.Close() })
	base := releaselake.NoVersion
	for _, rows := range versions {
		v, err := s.Commit(context.Background(), base, rows, releaselake.CommitInfo{RunID: "test", Operation: "INGEST", At: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		base = v
	}
	return s
}

func rel(product, version string) releaselake.Release {
	at := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	return releaselake.Release{Product: product, Tag: "v" + version, Version: version, Name: version, URL: "https://example.org/" + product + "/" + version,
		Source: releaselake.SourceGitHubRelease, Repo: "o/" + product, DateSource: releaselake.DateReleasePublished, PublishedAt: at, FirstSeenAt: at}
}

func target(t *testing.T, yaml string) webhook.Target {
	t.Helper()
	ts, err := webhook.Parse([]byte("targets:\n  - "+yaml+"\n"), "hooks.yaml", testCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	return ts[0]
}

// A version of 150 new releases, some with mrkdwn's special characters and
// one with a label longer than a section may hold, is one Slack message
// within Slack's limits that says how many it left out.
func TestDeliver_slackMessageWithinBlockKitLimits(t *testing.T) {
	var rows []releaselake.Release
	for i := range 150 {
		rows = append(rows, rel("go", fmt.Sprintf("1.%03d.0", i)))
	}
	rows[0].Version = "1.0.0-<b>&amp|" + strings.Repeat("x", 4000)
	rows[1].URL = "https://example.org/a|b>c"
	s := commits(t, []releaselake.Release{rel("go", "0.9.0")}, rows)
	recv := webhooktest.New(t, "")
	tg := target(t, "{url: '"+recv.URL+"', format: slack}")
	n := &webhook.Notifier{Targets: []webhook.Target{tg}, Lake: s}
	if err := n.Deliver(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	got := recv.Deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
	if err := webhooktest.CheckSlack(got[0].Body); err != nil {
		t.Fatalf("Slack body: %v\n%s", err, got[0].Body)
	}
	var m webhook.SlackMessage
	json.Unmarshal(got[0].Body, &m)
	shown := len(m.Blocks) - 2 // header, releases, context
	last := m.Blocks[len(m.Blocks)-1]
	if len(m.Blocks) > webhook.SlackMaxBlocks || last.Type != "context" || last.Elements[0].Text != fmt.Sprintf("and %d more", 150-shown) {
		t.Fatalf("%d blocks ending %+v, want at most 50 ending \"and %d more\"", len(m.Blocks), last, 150-shown)
	}
	if !strings.HasPrefix(m.Text, "150 releases: go ") || !strings.HasSuffix(m.Text, " more") {
		t.Errorf("text = %q", m.Text)
	}
}

// A receiver that redirects is not followed (the signed body is for it, not
// for wherever it points); one that answers at length is read only so far;
// neither is taken for delivered, and the run's error names neither URL nor
// secret.
func TestDeliver_redirectNotFollowedAnswerCapped(t *testing.T) {
	var followed atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	defer elsewhere.Close()
	redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(strings.Repeat("no", 1<<20)))
	}))
	defer huge.Close()
	s := commits(t, []releaselake.Release{rel("go", "1.0.0")}, []releaselake.Release{rel("go", "1.0.0"), rel("go", "1.1.0")})
	n := &webhook.Notifier{Lake: s, Targets: []webhook.Target{
		target(t, "{url: '"+redirect.URL+"/x', secret: topsecret}"),
		target(t, "{url: '"+huge.URL+"/y', secret: topsecret}"),
	}}
	err := n.Deliver(context.Background(), 1)
	if err == nil || followed.Load() != 0 {
		t.Fatalf("err = %v, redirect followed %d times", err, followed.Load())
	}
	msg := err.Error()
	if !strings.Contains(msg, "redirect, not followed") || !strings.Contains(msg, "400 Bad Request") || len(msg) > 1000 ||
		strings.Contains(msg, redirect.URL) || strings.Contains(msg, huge.URL) || strings.Contains(msg, "topsecret") {
		t.Fatalf("error = %q", msg)
	}
	for _, tg := range n.Targets {
		b, _ := s.ReadState(context.Background(), webhook.StateName(tg.ID))
		var st webhook.State
		json.Unmarshal(b, &st)
		if st.Delivered != 0 || st.Failures != 1 || strings.Contains(string(b), "127.0.0.1") {
			t.Errorf("state of %s = %s, want version 1 undelivered, one failure, no URL", tg.ID, b)
		}
	}
}

// A receiver that answers 503 is tried once more, then again by the next
// run, always under the same delivery id and each time freshly signed; once
// it answers 2xx, a later run sends nothing.
func TestDeliver_retriedUnderOneDeliveryID(t *testing.T) {
	s := commits(t, []releaselake.Release{rel("go", "1.0.0")}, []releaselake.Release{rel("go", "1.0.0"), rel("go", "1.1.0")})
	recv := webhooktest.New(t, "k")
	tg := target(t, "{url: '"+recv.URL+"', secret: k}")
	n := &webhook.Notifier{Lake: s, Targets: []webhook.Target{tg}}
	recv.FailNext(2)
	if err := n.Deliver(context.Background(), 1); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("first run: %v, want the 503", err)
	}
	for range 2 { // the next run, and one after it
		if err := n.Deliver(context.Background(), releaselake.NoVersion); err != nil {
			t.Fatal(err)
		}
	}
	got := recv.Deliveries()
	if len(got) != 3 {
		t.Fatalf("%d deliveries, want 3 (two attempts, then the next run's)", len(got))
	}
	for _, d := range got {
		if d.ID != tg.ID+"-1" || d.SignatureErr != nil {
			t.Errorf("delivery %q (signature: %v), want id %s-1 and a valid signature", d.ID, d.SignatureErr, tg.ID)
		}
	}
}

// A receiver that takes the request and never answers holds a run for at
// most the POST timeout per attempt: the run ends with the target failed.
func TestDeliver_silentReceiverTimesOut(t *testing.T) {
	stop := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer silent.Close()
	defer close(stop)
	s := commits(t, []releaselake.Release{rel("go", "1.0.0")}, []releaselake.Release{rel("go", "1.0.0"), rel("go", "1.1.0")})
	n := &webhook.Notifier{Lake: s, Timeout: 100 * time.Millisecond, Targets: []webhook.Target{target(t, "{url: '"+silent.URL+"', secret: k}")}}
	err := n.Deliver(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "not reached: context deadline exceeded") {
		t.Fatalf("err = %v, want the POST's deadline", err)
	}
}

// A version that changed more rows than one read may hold (MaxRows) is
// skipped, and the versions after it are delivered.
func TestDeliver_skipsAVersionTooLargeToRead(t *testing.T) {
	first := []releaselake.Release{rel("go", "0.0.1")}
	large := append([]releaselake.Release(nil), first...)
	for i := range webhook.MaxRows + 1 {
		large = append(large, rel("go", fmt.Sprintf("1.%d.0", i)))
	}
	next := append(append([]releaselake.Release(nil), large...), rel("go", "2.0.0"))
	s := commits(t, first, large, next)
	recv := webhooktest.New(t, "k")
	n := &webhook.Notifier{Lake: s, Targets: []webhook.Target{target(t, "{url: '"+recv.URL+"', secret: k}")}}
	if err := n.Deliver(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range recv.Deliveries() {
		var b webhook.Body
		json.Unmarshal(d.Body, &b)
		got = append(got, fmt.Sprintf("v%d: %d releases, first %s", b.Version, len(b.Releases)+b.Omitted, b.Releases[0].Version))
	}
	if want := "v2: 1 releases, first 2.0.0"; len(got) != 1 || got[0] != want {
		t.Fatalf("deliveries %q, want [%q]", got, want)
	}
}
