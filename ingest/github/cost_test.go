package github

import (
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// catalogFake serves the default catalog's GitHub repositories: the fixtures'
// real histories, and generated ones (tags and, where the project publishes
// them, releases) for the repositories without fixtures.
func catalogFake(t testing.TB) (*githubtest.Server, []releaselake.Product) {
	srv := githubtest.NewServer(t)
	cat := defaultGitHubCatalog(t)
	var ps []releaselake.Product
	for _, p := range cat.Products() {
		if p.Source() != releaselake.KindGitHub {
			continue
		}
		ps = append(ps, p)
		if _, ok := srv.Repo(p.Ref); ok {
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(p.Ref))
		n := 60 + int(h.Sum32()%500) // 60..559 versions
		if p.Key == "next" {
			n = 2500 // thousands of canaries
		}
		releases := !p.Options.Bool(OptionTags)
		srv.AddRepo(p.Ref, releases)
		start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range n {
			at := start.Add(time.Duration(i) * 24 * time.Hour * 4000 / time.Duration(n))
			tag := fmt.Sprintf("v%d.%d.%d", 1+i/100, (i/10)%10, i%10)
			srv.AddTag(p.Ref, githubtest.Tag{Name: tag, Date: at, Annotated: i%2 == 0})
			if releases {
				srv.AddRelease(p.Ref, githubtest.Release{TagName: tag, PublishedAt: at.Add(time.Hour), CreatedAt: at})
			}
		}
	}
	return srv, ps
}

// defaultGitHubCatalog returns the default catalog's GitHub products, parsed by
// the catalog with this kind alone (the list of all kinds imports this package).
func defaultGitHubCatalog(t testing.TB) *releaselake.Catalog {
	var doc yaml.Node
	if err := yaml.Unmarshal(releaselake.DefaultCatalogYAML, &doc); err != nil {
		t.Fatal(err)
	}
	list := doc.Content[0].Content[1]
	list.Content = slices.DeleteFunc(list.Content, func(e *yaml.Node) bool {
		return !slices.ContainsFunc(e.Content, func(k *yaml.Node) bool { return k.Value == Kind.Name })
	})
	data, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Parse(data, "catalog.yaml (github entries)", releaselake.SourceKinds{Kind})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// crawlCost is what each benchmark scenario cost.
type crawlCost struct {
	fullRequests, fullPoints, fewest, rest int
	quietRequests, quietPoints             int
	threeRequests, threePoints             int
	repos                                  int
}

func measureCrawlCost(t testing.TB) crawlCost {
	srv, ps := catalogFake(t)
	var c crawlCost
	c.repos = len(ps)
	// The fewest requests GitHub's limits allow (100 items a page, every
	// repository's pages in parallel), and the seed's REST calls (one per page of
	// 100, per repository, plus the releases call that finds none on tag-only ones).
	for _, p := range ps {
		r, _ := srv.Repo(p.Ref)
		n := len(r.Tags)
		if r.PublishesReleases && !p.Options.Bool(OptionTags) {
			n = len(r.Releases)
		} else {
			c.rest++
		}
		pages := max(1, (n+99)/100)
		c.fewest = max(c.fewest, pages)
		c.rest += pages
	}
	l := &lake{}
	s := New(Config{URL: srv.URL, Token: srv.Token, Now: func() time.Time { return now }})
	run := func() (int, int) {
		before := len(srv.Requests())
		for _, f := range l.crawl(t.(*testing.T), s, ps) {
			if f.Err != nil {
				t.Fatalf("%s: %v", f.Product, f.Err)
			}
		}
		return len(srv.Requests()) - before, s.LastStats().Points
	}
	c.fullRequests, c.fullPoints = run()
	c.quietRequests, c.quietPoints = run()
	yesterday := now.Add(-24 * time.Hour)
	srv.AddRelease("pallets/flask", githubtest.Release{TagName: "3.9.0", PublishedAt: yesterday, CreatedAt: yesterday})
	srv.AddRelease("facebook/react", githubtest.Release{TagName: "v99.0.0", PublishedAt: yesterday, CreatedAt: yesterday})
	srv.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.9", Date: yesterday, Annotated: true})
	c.threeRequests, c.threePoints = run()
	return c
}

// The crawl's cost targets: nothing new or three new releases cost at most 2
// requests for the whole catalog; a first crawl stays within 1.5x the fewest
// requests GitHub's per-query limits allow. Counts, not times: deterministic.
func TestCrawlCost_catalogTargets(t *testing.T) {
	c := measureCrawlCost(t)
	t.Logf("%+v", c)
	if c.quietRequests > 2 || c.threeRequests > 2 {
		t.Errorf("nothing new: %d requests, three new releases: %d; want <= 2 each", c.quietRequests, c.threeRequests)
	}
	if float64(c.fullRequests) > 1.5*float64(c.fewest) {
		t.Errorf("first crawl: %d requests, more than 1.5 x the fewest possible (%d)", c.fullRequests, c.fewest)
	}
	if out := os.Getenv("RELEASELAKE_BENCH_OUT"); out != "" {
		f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fmt.Fprintf(f, "| first full crawl | %d | %d | %d (fewest GitHub allows: %d) |\n", c.fullRequests, c.fullPoints, c.rest, c.fewest)
		fmt.Fprintf(f, "| second run, nothing new | %d | %d | %d |\n", c.quietRequests, c.quietPoints, c.rest)
		fmt.Fprintf(f, "| three products with one new release each | %d | %d | %d |\n", c.threeRequests, c.threePoints, c.rest)
	}
}
