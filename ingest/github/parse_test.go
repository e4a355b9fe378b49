package github

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

// releasesLine is a red line of releases of repo holding the given release nodes (JSON).
func releasesLine(repo string, page int, nodes ...string) []byte {
	return []byte(fmt.Sprintf(`{"repo":%q,"mode":"releases","complete":true,"round":%d,"fetchedAt":"2026-11-25T00:00:00Z",
		"data":{"repository":{"nameWithOwner":%q,"url":"https://github.com/%s",
		"releases":{"totalCount":%d,"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[%s]}}}}`,
		repo, page, repo, repo, len(nodes), strings.Join(nodes, ",")))
}

// tagsLine is a red line of tags of repo holding the given ref nodes (JSON).
func tagsLine(repo string, page int, nodes ...string) []byte {
	return []byte(fmt.Sprintf(`{"repo":%q,"mode":"tags","complete":true,"round":%d,"fetchedAt":"2026-11-25T00:00:00Z",
		"data":{"repository":{"nameWithOwner":%q,"url":"https://github.com/%s",
		"refs":{"totalCount":%d,"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[%s]}}}}`,
		repo, page, repo, repo, len(nodes), strings.Join(nodes, ",")))
}

// as marks lines with the mode and completeness a run settled on.
func as(mode string, complete bool, lines ...[]byte) [][]byte {
	out := make([][]byte, len(lines))
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			panic(err)
		}
		m["mode"], m["complete"] = mode, complete
		out[i], _ = json.Marshal(m)
	}
	return out
}

func rel(id int, tag, name string, published string, pre, draft bool) string {
	n := "null"
	if name != "-" {
		n = fmt.Sprintf("%q", name)
	}
	p := "null"
	if published != "" {
		p = fmt.Sprintf("%q", published)
	}
	return fmt.Sprintf(`{"databaseId":%d,"tagName":%q,"name":%s,"url":"https://github.com/o/r/releases/tag/%s",
		"publishedAt":%s,"isPrerelease":%t,"isDraft":%t}`, id, tag, n, tag, p, pre, draft)
}

func lightweight(tag, committed string) string {
	return fmt.Sprintf(`{"name":%q,"target":{"__typename":"Commit","committedDate":%q}}`, tag, committed)
}

// annotated is an annotated tag; tagger "" means the tag has no tagger.
func annotated(tag, tagger, committed string) string {
	t := "null"
	if tagger != "" {
		t = fmt.Sprintf(`{"date":%q}`, tagger)
	}
	return fmt.Sprintf(`{"name":%q,"target":{"__typename":"Tag","tagger":%s,
		"target":{"__typename":"Commit","committedDate":%q}}}`, tag, t, committed)
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestSource_Parse(t *testing.T) {
	flask := releaselake.Product{Key: "flask", Kind: "github", Ref: "pallets/flask"}
	hive := releaselake.Product{Key: "hive", Kind: "github", Ref: "apache/hive", Options: releaselake.Options{OptionTags: true,
		OptionTagPattern: regexp.MustCompile(`^rel/release-(\d+\.\d+\.\d+)$`)}}
	mobx := releaselake.Product{Key: "mobx", Kind: "github", Ref: "mobxjs/mobx",
		Options: releaselake.Options{OptionTagPattern: regexp.MustCompile(`^(?:mobx@)?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)$`)}}
	kafka := releaselake.Product{Key: "kafka", Kind: "github", Ref: "apache/kafka"}

	flaskRow := func(tag, name string, at string, pre bool) releaselake.Release {
		return releaselake.Release{Product: "flask", Tag: tag, Version: tag, Name: name,
			URL: "https://github.com/o/r/releases/tag/" + tag, Source: releaselake.SourceGitHubRelease,
			Repo: "pallets/flask", DateSource: releaselake.DateReleasePublished, PublishedAt: date(at), Prerelease: pre}
	}
	tagRow := func(p releaselake.Product, tag, version, escaped, dateSource, at string) releaselake.Release {
		return releaselake.Release{Product: p.Key, Tag: tag, Version: version, Name: tag,
			URL: "https://github.com/" + p.Ref + "/releases/tag/" + escaped, Source: releaselake.SourceGitHubTag,
			Repo: p.Ref, DateSource: dateSource, PublishedAt: date(at)}
	}

	tests := []struct {
		name    string
		product releaselake.Product
		raw     [][]byte
		want    []releaselake.Release
		ignored int
	}{{
		name:    "releases: drafts dropped, name falls back to tag, prerelease is GitHub's flag or the version's",
		product: flask,
		raw: [][]byte{
			releasesLine("pallets/flask", 1,
				rel(5, "3.0.0", "3.0.0 draft", "", false, true),
				rel(4, "2.1.0rc1", "-", "2024-03-01T10:00:00Z", false, false),
				rel(3, "2.0.0", "Flask 2.0.0", "2024-02-01T10:00:00+02:00", false, false),
				rel(2, "1.9.0", "  ", "2024-01-01T10:00:00Z", true, false)),
			releasesLine("pallets/flask", 2,
				rel(1, "1.8.0", "Flask 1.8", "2023-01-01T10:00:00Z", false, false)),
		},
		want: []releaselake.Release{
			flaskRow("2.1.0rc1", "2.1.0rc1", "2024-03-01T10:00:00Z", true),
			flaskRow("2.0.0", "Flask 2.0.0", "2024-02-01T08:00:00Z", false),
			flaskRow("1.9.0", "1.9.0", "2024-01-01T10:00:00Z", true),
			flaskRow("1.8.0", "Flask 1.8", "2023-01-01T10:00:00Z", false),
		},
	}, {
		name:    "releases: a tag seen twice gives one row, the first",
		product: flask,
		raw: [][]byte{
			releasesLine("pallets/flask", 1, rel(2, "2.0.0", "new", "2024-02-01T08:00:00Z", false, false)),
			releasesLine("pallets/flask", 2, rel(1, "2.0.0", "old", "2020-01-01T00:00:00Z", false, false)),
		},
		want: []releaselake.Release{flaskRow("2.0.0", "new", "2024-02-01T08:00:00Z", false)},
	}, {
		name:    "releases: the tag pattern picks the monorepo's package",
		product: mobx,
		raw: [][]byte{releasesLine("mobxjs/mobx", 1,
			rel(3, "mobx-react@9.1.0", "-", "2024-03-01T00:00:00Z", false, false),
			rel(2, "mobx@6.13.0", "-", "2024-02-01T00:00:00Z", false, false),
			rel(1, "mobx-react-lite@4.0.7", "-", "2024-01-01T00:00:00Z", false, false))},
		want: []releaselake.Release{{Product: "mobx", Tag: "mobx@6.13.0", Version: "6.13.0", Name: "mobx@6.13.0",
			URL: "https://github.com/o/r/releases/tag/mobx@6.13.0", Source: releaselake.SourceGitHubRelease,
			Repo: "mobxjs/mobx", DateSource: releaselake.DateReleasePublished, PublishedAt: date("2024-02-01T00:00:00Z")}},
		ignored: 2,
	}, {
		name:    "tags: tagger date, else the commit's; lightweight commit date; odd tags ignored",
		product: hive,
		raw: [][]byte{
			tagsLine("apache/hive", 1,
				annotated("rel/release-4.0.0", "2024-03-28T18:00:00+02:00", "2024-03-20T00:00:00Z"),
				annotated("rel/release-3.1.3", "", "2022-04-08T00:00:00Z"),
				lightweight("rel/release-2.3.9", "2021-06-01T12:00:00Z"),
				lightweight("nightly", "2024-04-01T00:00:00Z"),
				`{"name":"rel/release-1.0.0","target":{"__typename":"Tree"}}`),
			tagsLine("apache/hive", 2,
				annotated("release-1.2.2-rc0", "2017-04-01T00:00:00Z", "2017-04-01T00:00:00Z"),
				lightweight("rel/release-2.3.9", "2021-06-01T12:00:00Z")),
		},
		want: []releaselake.Release{
			tagRow(hive, "rel/release-4.0.0", "4.0.0", "rel%2Frelease-4.0.0", releaselake.DateTagger, "2024-03-28T16:00:00Z"),
			tagRow(hive, "rel/release-3.1.3", "3.1.3", "rel%2Frelease-3.1.3", releaselake.DateCommit, "2022-04-08T00:00:00Z"),
			tagRow(hive, "rel/release-2.3.9", "2.3.9", "rel%2Frelease-2.3.9", releaselake.DateCommit, "2021-06-01T12:00:00Z"),
		},
		ignored: 3, // nightly, a tag of a tree (no date), release-1.2.2-rc0
	}, {
		name:    "tags: true reads tags even when releases exist",
		product: releaselake.Product{Key: "kafka", Kind: "github", Ref: "apache/kafka", Options: releaselake.Options{OptionTags: true}},
		raw: as("tags", true,
			releasesLine("apache/kafka", 1, rel(1, "9.9.9", "-", "2024-01-01T00:00:00Z", false, false)),
			tagsLine("apache/kafka", 1, annotated("3.8.0", "2024-07-23T00:00:00Z", "2024-07-20T00:00:00Z")),
		),
		want: []releaselake.Release{tagRow(kafka, "3.8.0", "3.8.0", "3.8.0", releaselake.DateTagger, "2024-07-23T00:00:00Z")},
	}, {
		name:    "no published release: tags, the draft ignored",
		product: kafka,
		raw: as("tags", true,
			releasesLine("apache/kafka", 1, rel(1, "4.0.0", "-", "", false, true)),
			tagsLine("apache/kafka", 1,
				lightweight("3.8.1-rc1", "2024-10-01T00:00:00Z"),
				annotated("3.8.0", "2024-07-23T00:00:00Z", "2024-07-20T00:00:00Z")),
		),
		want: []releaselake.Release{
			func() releaselake.Release {
				r := tagRow(kafka, "3.8.1-rc1", "3.8.1-rc1", "3.8.1-rc1", releaselake.DateCommit, "2024-10-01T00:00:00Z")
				r.Prerelease = true
				return r
			}(),
			tagRow(kafka, "3.8.0", "3.8.0", "3.8.0", releaselake.DateTagger, "2024-07-23T00:00:00Z"),
		},
	}, {
		name:    "nothing at all",
		product: kafka,
		raw:     as("tags", true, releasesLine("apache/kafka", 1), tagsLine("apache/kafka", 1)),
	}}
	s := New(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Parse(tt.product, tt.raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Releases, tt.want) {
				t.Errorf("rows:\n got %+v\nwant %+v", got.Releases, tt.want)
			}
			if got.Ignored != tt.ignored {
				t.Errorf("ignored = %d, want %d", got.Ignored, tt.ignored)
			}
		})
	}
}

func TestSource_Parse_refusesUnreadableRaw(t *testing.T) {
	p := releaselake.Product{Key: "flask", Kind: "github", Ref: "pallets/flask"}
	for name, line := range map[string]string{
		"not JSON":      `{"repo":`,
		"unknown mode":  `{"mode":"issues","data":{"repository":{}}}`,
		"no repository": `{"mode":"releases","data":{"repository":null}}`,
		"mixed modes":   `{"mode":"releases","data":{"repository":{}}}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			raw := [][]byte{[]byte(line)}
			if name == "mixed modes" {
				raw = append(raw, []byte(`{"mode":"tags","data":{"repository":{}}}`))
			}
			if _, err := New(Config{}).Parse(p, raw, nil); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestSource_Parse_incrementalKeepsPrevOutsideThePages(t *testing.T) {
	flask := releaselake.Product{Key: "flask", Kind: "github", Ref: "pallets/flask"}
	row := func(tag string, pre bool) releaselake.Release {
		return releaselake.Release{Product: "flask", Tag: tag, Version: tag, Name: tag, Prerelease: pre,
			PublishedAt: date("2020-01-01T00:00:00Z"), FirstSeenAt: date("2020-01-02T00:00:00Z")}
	}
	prev := []releaselake.Release{row("3.0.0rc1", true), row("2.0.0", false), row("1.0.0", false), row("0.9.0", false)}
	raw := as("releases", false, releasesLine("pallets/flask", 1,
		rel(9, "3.1.0", "-", "2024-03-01T10:00:00Z", false, false),        // new
		rel(8, "3.0.0rc1", "-", "2024-02-01T10:00:00Z", false, true),      // became a draft: leaves
		rel(7, "2.0.0", "Flask 2", "2024-01-01T10:00:00Z", false, false))) // retitled
	got, err := New(Config{}).Parse(flask, raw, prev)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, r := range got.Releases {
		tags = append(tags, r.Tag+"/"+r.Name)
	}
	if want := "[3.1.0/3.1.0 2.0.0/Flask 2 1.0.0/1.0.0 0.9.0/0.9.0]"; fmt.Sprint(tags) != want {
		t.Fatalf("rows %v, want %s", tags, want)
	}
	// The same lines marked complete: only what they hold.
	got, _ = New(Config{}).Parse(flask, as("releases", true, raw...), prev)
	if len(got.Releases) != 2 {
		t.Fatalf("complete listing kept prev rows: %+v", got.Releases)
	}
}
