package githubtest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

func TestServer_controlsShowInAnswers(t *testing.T) {
	srv := githubtest.NewServer(t)
	const repo = "mwaskom/seaborn"
	date := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	srv.AddTag(repo, githubtest.Tag{Name: "v0.14.0rc1", Date: date, Annotated: true})
	srv.AddTag(repo, githubtest.Tag{Name: "v0.14.0", Date: date.Add(48 * time.Hour)})
	added := srv.AddRelease(repo, githubtest.Release{TagName: "v0.14.0", Name: "v0.14.0", PublishedAt: date.Add(49 * time.Hour)})
	srv.AddRelease(repo, githubtest.Release{TagName: "v0.14.0rc1", IsPrerelease: true, IsDraft: true})
	srv.EditRelease(repo, "v0.14.0", func(r *githubtest.Release) { r.Description = "notes" })
	srv.DeleteRelease(repo, "v0.13.2")

	var wg sync.WaitGroup // controls and queries may run concurrently
	for range 4 {
		wg.Go(func() { srv.Repo(repo); srv.Requests() })
	}
	_, out, _ := post(t, srv.URL, srv.Token, `{
	  repository(owner: "mwaskom", name: "seaborn") {
	    latestRelease { databaseId tagName description createdAt publishedAt isLatest }
	    releases(first: 3) { totalCount nodes { tagName isDraft publishedAt } }
	    gone: release(tagName: "v0.13.2") { id }
	  }
	}`, nil)
	wg.Wait()
	r := get(out.Data, "repository")
	if get(r, "latestRelease", "databaseId") != float64(added.DatabaseID) || get(r, "latestRelease", "description") != "notes" ||
		get(r, "latestRelease", "createdAt") != "2026-09-03T10:00:00Z" || get(r, "latestRelease", "publishedAt") != "2026-09-03T11:00:00Z" {
		t.Errorf("latestRelease = %v", get(r, "latestRelease"))
	}
	held, _ := srv.Repo(repo)
	if get(r, "releases", "totalCount") != float64(len(held.Releases)) || get(r, "gone") != nil {
		t.Errorf("releases = %v, gone = %v", get(r, "releases"), get(r, "gone"))
	}
	// CREATED_AT DESC: the new release, then the draft (its tag's commit is a little older).
	if get(r, "releases", "nodes", 1, "tagName") != "v0.14.0rc1" || get(r, "releases", "nodes", 1, "isDraft") != true || get(r, "releases", "nodes", 1, "publishedAt") != nil {
		t.Errorf("draft = %v", get(r, "releases", "nodes", 1))
	}
	srv.SetDraft(repo, "v0.14.0rc1", false)
	if rel := findRelease(srv, repo, "v0.14.0rc1"); rel.IsDraft || rel.PublishedAt.IsZero() {
		t.Errorf("published draft = %+v", rel)
	}
}

func findRelease(srv *githubtest.Server, repo, tag string) githubtest.Release {
	r, _ := srv.Repo(repo)
	for _, rel := range r.Releases {
		if rel.TagName == tag {
			return rel
		}
	}
	return githubtest.Release{}
}
