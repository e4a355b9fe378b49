package synth

import (
	"fmt"
	"math/rand/v2"
)

// ver is a version being walked: major.minor.patch, and a prerelease kind and
// number ("" for a release).
type ver struct {
	maj, min, pat int
	pre           string
	preN          int
}

// style is a way of tagging versions, after real repositories (see
// ../shared/fixtures/products.csv).
type style struct {
	name     string
	weight   int
	releases bool    // publishes GitHub Releases (releases mode), else only tags
	tagsFlag bool    // the catalog says tags: true
	pattern  string  // catalog tag_pattern; {name} is the repository name
	annot    float64 // share of annotated tags
	preKinds []string
	preMax   int     // most prereleases before a version
	preShare float64 // share of minor and major versions with prereleases
	prePatch bool    // patch versions get prereleases too (canaries)
	preNoise bool    // prereleases are tags the pattern leaves out (vote candidates)
	tag      func(name string, v ver) string
	sibling  func(name string, v ver) string // a monorepo sibling's tag (not a row); nil: none
}

func semverTag(prefix string) func(string, ver) string {
	return func(_ string, v ver) string {
		if v.pre != "" {
			return fmt.Sprintf("%s%d.%d.%d-%s.%d", prefix, v.maj, v.min, v.pat, v.pre, v.preN)
		}
		return fmt.Sprintf("%s%d.%d.%d", prefix, v.maj, v.min, v.pat)
	}
}

// pep440Tag writes 1.2.3rc1, 1.2b2, 1.2 (two parts for the .0 of a minor).
func pep440Tag(prefix string, twoPart bool) func(string, ver) string {
	return func(_ string, v ver) string {
		s := fmt.Sprintf("%s%d.%d.%d", prefix, v.maj, v.min, v.pat)
		if twoPart && v.pat == 0 {
			s = fmt.Sprintf("%s%d.%d", prefix, v.maj, v.min)
		}
		if v.pre != "" {
			s += fmt.Sprintf("%s%d", v.pre, v.preN)
		}
		return s
	}
}

var styles = []*style{
	{name: "v-semver", weight: 30, releases: true, preKinds: []string{"alpha", "beta", "rc"}, preMax: 6, preShare: 0.4,
		tag: semverTag("v")},
	{name: "v-semver-tags", weight: 8, annot: 0.1, preKinds: []string{"beta", "rc"}, preMax: 3, preShare: 0.2,
		tag: semverTag("v")},
	{name: "bare-pep440", weight: 10, releases: true, preKinds: []string{"a", "b", "rc"}, preMax: 4, preShare: 0.3,
		tag: pep440Tag("", true)},
	{name: "bare-pep440-tags", weight: 6, annot: 0.5, preKinds: []string{"a", "b", "rc"}, preMax: 4, preShare: 0.3,
		tag: pep440Tag("", true)},
	{name: "v-pep440-tags", weight: 4, tagsFlag: true, annot: 0.9, preKinds: []string{"a", "b", "rc"}, preMax: 6, preShare: 0.6,
		tag: pep440Tag("v", false)},
	{name: "canary", weight: 3, releases: true, preKinds: []string{"canary"}, preMax: 40, preShare: 0.7, prePatch: true,
		tag: semverTag("v")},
	{name: "project-prefixed", weight: 6, releases: true, preKinds: []string{"beta"}, preMax: 2, preShare: 0.2,
		pattern: `^{name}-(\d+\.\d+\.\d+(?:[-.][0-9A-Za-z.]+)?)$`,
		tag: func(name string, v ver) string {
			if v.pre != "" {
				return fmt.Sprintf("%s-%d.%d.%d-%s%d", name, v.maj, v.min, v.pat, v.pre, v.preN)
			}
			return fmt.Sprintf("%s-%d.%d.%d", name, v.maj, v.min, v.pat)
		}},
	{name: "rel-release", weight: 5, tagsFlag: true, annot: 0.7, preKinds: []string{"rc"}, preMax: 3, preShare: 0.5,
		tag: func(_ string, v ver) string {
			if v.pre != "" {
				return fmt.Sprintf("release-%d.%d.%d-%s%d", v.maj, v.min, v.pat, v.pre, v.preN)
			}
			return fmt.Sprintf("rel/release-%d.%d.%d", v.maj, v.min, v.pat)
		}},
	{name: "monorepo", weight: 6, releases: true, preKinds: []string{"next"}, preMax: 3, preShare: 0.3,
		pattern: `^{name}@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)$`,
		tag: func(name string, v ver) string {
			if v.pre != "" {
				return fmt.Sprintf("%s@%d.%d.%d-%s.%d", name, v.maj, v.min, v.pat, v.pre, v.preN)
			}
			return fmt.Sprintf("%s@%d.%d.%d", name, v.maj, v.min, v.pat)
		},
		sibling: func(name string, v ver) string { return fmt.Sprintf("%s-plugin@%d.%d.%d", name, v.maj, v.pat, v.min) }},
	{name: "vote-candidates", weight: 5, tagsFlag: true, annot: 1, preKinds: []string{"rc"}, preMax: 3, preShare: 0.8, preNoise: true,
		pattern: `^(\d+\.\d+\.\d+)$`,
		tag: func(_ string, v ver) string {
			if v.pre != "" {
				return fmt.Sprintf("%d.%d.%d-%s%d", v.maj, v.min, v.pat, v.pre, v.preN-1)
			}
			return fmt.Sprintf("%d.%d.%d", v.maj, v.min, v.pat)
		}},
	{name: "milestones", weight: 5, releases: true, preKinds: []string{"M", "RC"}, preMax: 5, preShare: 0.5,
		tag: func(_ string, v ver) string {
			s := fmt.Sprintf("v%d.%d.%d", v.maj, v.min, v.pat)
			switch {
			case v.pre != "":
				return fmt.Sprintf("%s-%s%d", s, v.pre, v.preN)
			case v.maj < 3:
				return s + ".RELEASE"
			}
			return s
		}},
	{name: "underscored", weight: 2, preKinds: []string{"rc"}, preMax: 2, preShare: 0.3,
		tag: func(name string, v ver) string {
			if v.pre != "" {
				return fmt.Sprintf("%s_v%d_%d_%d_%s%d", name, v.maj, v.min, v.pat, v.pre, v.preN)
			}
			return fmt.Sprintf("%s_v%d_%d_%d", name, v.maj, v.min, v.pat)
		}},
}

func pickStyle(rng *rand.Rand) *style {
	total := 0
	for _, s := range styles {
		total += s.weight
	}
	n := rng.IntN(total)
	for _, s := range styles {
		if n < s.weight {
			return s
		}
		n -= s.weight
	}
	panic("unreachable")
}

// noiseTags are tags real repositories carry that are not versions.
var noiseTags = []string{"nightly", "latest", "show", "checkout", "all-tests-pass", "stable", "before-refactor", "legacy"}

// Styles names the tag styles products are made in.
func Styles() []string {
	var out []string
	for _, s := range styles {
		out = append(out, s.name)
	}
	return out
}
