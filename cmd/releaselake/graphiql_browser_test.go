package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/releaselake/releaselake/graph/graphiql"
)

// openGraphiQL opens gateway's GraphiQL, watching its Content-Security-Policy,
// and waits until it can run a query; if it cannot, it leaves the screenshot
// failed and fails the test.
func openGraphiQL(t *testing.T, ctx context.Context, gateway, failed string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		watchCSP(),
		chromedp.Navigate(gateway+"/graphiql"),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-container`)),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
	)
	if err != nil {
		saveScreenshot(t, ctx, failed)
		t.Fatalf("GraphiQL did not load: %v", err)
	}
}

// GraphiQL opens on graphiql.DefaultQuery, not on its stock welcome, with the
// API guide linked in its header; run as it stands, against serve over an
// ingested lake, it answers without errors, and its second page is what its
// comment says to do: put endCursor into the variables as "after".
func TestBrowser_graphiqlOpensOnTheDefaultQuery(t *testing.T) {
	ctx := startChromium(t)
	stack := newBrowserStack(t, false)
	openGraphiQL(t, ctx, stack.gateway, "graphiql-default-failed")
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(() => {
  const cm = document.querySelector(".graphiql-query-editor .CodeMirror");
  const logo = document.querySelector(".graphiql-logo a");
  return {query: cm && cm.CodeMirror ? cm.CodeMirror.getValue() : "", guide: logo ? logo.href : ""};
})()`))
	if err != nil {
		t.Fatal(err)
	}
	if shown["query"] != graphiql.DefaultQuery {
		saveScreenshot(t, ctx, "graphiql-default-failed")
		t.Fatalf("GraphiQL opens on\n%s\nwant graphiql.DefaultQuery", shown["query"])
	}
	if shown["guide"] != graphiql.GuideURL {
		t.Errorf("GraphiQL's header links %q, want the API guide %s", shown["guide"], graphiql.GuideURL)
	}

	run := func() (answer struct {
		Data struct {
			Releases struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Nodes []struct{ Version string }
			}
		}
		Errors []json.RawMessage
	}) {
		t.Helper()
		// Clear the answer first, so the one read is this run's.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector(".graphiql-response .CodeMirror").CodeMirror.setValue(""), true)`)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.graphiql-execute-button`))); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
  const v = document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue();
  return v.includes("{") ? v : null;
})()`, chromedp.WithPollingInterval(100*time.Millisecond)))
		if err != nil {
			saveScreenshot(t, ctx, "graphiql-default-failed")
			t.Fatalf("no answer in GraphiQL: %v", err)
		}
		if err := json.Unmarshal([]byte(text), &answer); err != nil || len(answer.Errors) > 0 || len(answer.Data.Releases.Nodes) == 0 {
			t.Fatalf("GraphiQL's answer to its default query (%v):\n%s", err, text)
		}
		return answer
	}
	first := run()
	saveScreenshot(t, ctx, "graphiql-default")
	if !first.Data.Releases.PageInfo.HasNextPage || first.Data.Releases.TotalCount <= len(first.Data.Releases.Nodes) {
		t.Fatalf("the lake has one page for the default query: %+v", first.Data.Releases)
	}
	vars, _ := json.Marshal(map[string]string{"after": first.Data.Releases.PageInfo.EndCursor})
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(
		`(document.querySelector(".graphiql-editor-tool .CodeMirror").CodeMirror.setValue(%q), true)`, vars))); err != nil {
		t.Fatal(err)
	}
	second := run()
	if second.Data.Releases.Nodes[0].Version == first.Data.Releases.Nodes[0].Version {
		t.Errorf("the second page starts where the first did: %+v", second.Data.Releases)
	}
	checkCSP(t, ctx, stack.gateway+"/graphiql")
}
