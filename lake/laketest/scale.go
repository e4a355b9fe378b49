package laketest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/releaselake/releaselake"
)

// ScaleRows returns n release rows shaped like a large catalog (issue 9's
// scale figures): products products whose sizes are skewed (most have tens of
// releases, a few thousands), tags in the styles real projects use (v1.2.3,
// 1.2.3, release-1.2.3, name@1.2.3, 3.13.0rc2, v2.0.0-rc.1), GitHub-like URLs
// and publication times in microseconds over fifteen years. The same
// arguments give the same rows. products must be at least 1.
func ScaleRows(n, products int) []releaselake.Release {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(products)))
	// Zipf-like weights: product k gets a share proportional to 1/(k+10).
	weights := make([]float64, products)
	var total float64
	for k := range weights {
		weights[k] = 1 / float64(k+10)
		total += weights[k]
	}
	counts := make([]int, products)
	left := n
	for k := range counts {
		c := int(float64(n) * weights[k] / total)
		c = min(max(c, 1), left)
		counts[k] = c
		left -= c
	}
	for k := 0; left > 0; k = (k + 1) % products {
		counts[k]++
		left--
	}

	sources := []struct{ source, date string }{
		{releaselake.SourceGitHubRelease, releaselake.DateReleasePublished},
		{releaselake.SourceGitHubRelease, releaselake.DateReleasePublished},
		{releaselake.SourceGitHubTag, releaselake.DateTagger},
		{releaselake.SourceGitHubTag, releaselake.DateCommit},
		{releaselake.SourcePyPI, releaselake.DateUpload},
		{releaselake.SourceNPM, releaselake.DateUpload},
		{releaselake.SourceMaven, releaselake.DateUpload},
	}
	styles := []string{"v%s", "%s", "release-%s", "%[2]s@%[1]s", "rel/release-%s"}
	suffixes := []string{"-rc.1", "-rc.2", "rc1", "b2", "-beta.3", ".dev0", "-M1", "-alpha", "-canary.7"}
	epoch := time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int64(15 * 365 * 24 * time.Hour / time.Microsecond)
	firstRun := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

	rows := make([]releaselake.Release, 0, n)
	for k, c := range counts {
		key := fmt.Sprintf("%s-%d", []string{"spark", "react", "kafka", "django", "numpy", "vue", "flask", "node"}[k%8], k)
		src := sources[k%len(sources)]
		style := styles[k%len(styles)]
		owner := fmt.Sprintf("org%d", k%997)
		repo := owner + "/" + key
		major, minor, patch := rng.IntN(3), 0, 0
		for i := range c {
			switch {
			case rng.IntN(40) == 0:
				major, minor, patch = major+1, 0, 0
			case rng.IntN(8) == 0:
				minor, patch = minor+1, 0
			default:
				patch++
			}
			version := fmt.Sprintf("%d.%d.%d", major, minor, patch)
			pre := rng.IntN(6) == 0
			if pre {
				version += suffixes[rng.IntN(len(suffixes))]
			}
			tag := fmt.Sprintf(style, version, key)
			published := epoch.Add(time.Duration(rng.Int64N(span)) * time.Microsecond)
			seen := firstRun
			if i%5 == 0 {
				seen = firstRun.Add(time.Duration(rng.IntN(300)) * 24 * time.Hour)
			}
			rows = append(rows, releaselake.Release{
				Product: key, Tag: tag, Version: version,
				Name:   fmt.Sprintf("%s %s", key, version),
				URL:    fmt.Sprintf("https://github.com/%s/releases/tag/%s", repo, tag),
				Source: src.source, Repo: repo, DateSource: src.date,
				PublishedAt: published, FirstSeenAt: seen,
				Prerelease: pre, Yanked: rng.IntN(500) == 0,
			})
		}
	}
	return rows
}
