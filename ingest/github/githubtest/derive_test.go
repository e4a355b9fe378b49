package githubtest

import (
	"strings"
	"testing"
)

func TestLooksPrerelease(t *testing.T) {
	for tag, want := range map[string]bool{
		"v3.0.0-alpha.0": true, "v0.12.0b1": true, "v1.0.0.RC1": true, "v0.5.0.M1": true,
		"v1.1.0_RC1": true, "2.0.0rc1": true, "25.01.0-dev": true, "v6.11.0-pre": true,
		"v2.0.0.RELEASE": false, "v0.3.1+b85": false, "v0.6.0.b812": false, "v8.0.0.1": false,
		"mobx@6.13.6": false, "mybatis-3.5.19": false, "3.x": false, "show": false,
	} {
		if got := LooksPrerelease(tag); got != want {
			t.Errorf("LooksPrerelease(%q) = %v, want %v", tag, got, want)
		}
	}
}

func TestServer_derivedReleases(t *testing.T) {
	srv := NewServer(t)
	kafka, _ := srv.Repo("apache/kafka")
	if len(kafka.Tags) != 253 || len(kafka.Releases) != 0 {
		t.Errorf("kafka: %d tags, %d releases", len(kafka.Tags), len(kafka.Releases))
	}
	prom, _ := srv.Repo("prometheus/prometheus")
	mislabeled := 0
	for _, r := range prom.Releases {
		if strings.HasPrefix(r.TagName, "v0.") || r.TagName == "all-tests-pass" || strings.HasPrefix(r.TagName, "tags/") {
			t.Errorf("prometheus: %s is not a release", r.TagName)
		}
		if r.Mislabeled {
			mislabeled++
			if r.IsPrerelease || !LooksPrerelease(r.TagName) {
				t.Errorf("prometheus: mislabeled %+v", r)
			}
		} else if r.IsPrerelease != LooksPrerelease(r.TagName) {
			t.Errorf("prometheus: %s isPrerelease %v", r.TagName, r.IsPrerelease)
		}
		if !r.PublishedAt.After(r.CreatedAt) {
			t.Errorf("prometheus %s: published %v before created %v", r.TagName, r.PublishedAt, r.CreatedAt)
		}
	}
	if len(prom.Releases) != 398 || mislabeled != 14 {
		t.Errorf("prometheus: %d releases, %d mislabeled; want 398 and 14", len(prom.Releases), mislabeled)
	}
	again := NewServer(t)
	prom2, _ := again.Repo("prometheus/prometheus")
	for i := range prom.Releases {
		if prom.Releases[i] != prom2.Releases[i] {
			t.Fatalf("derivation not stable: %+v vs %+v", prom.Releases[i], prom2.Releases[i])
		}
	}
}
