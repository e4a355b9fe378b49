package githubtest

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// How releases are derived from a repository's fixture tags (only for repositories whose
// products.csv row says github_releases=yes):
//
//   - A tag is a release when it looks like a version: after an optional package prefix
//     ("mobx@", "@scope/pkg@") or product prefix ("mybatis-"), it is v?N.N[.N[.N]] followed by
//     an optional suffix. Not releases: names with a "/" ("tags/0.8.1"), branch markers
//     ("3.x"), -SNAPSHOT and "candidate" builds, v0.0.0-<sha> placeholders, words ("show").
//   - Go-module twins are not releases: a v0.N.P… tag is a twin when the repository has a tag
//     on the line it mirrors (v0.3NN.P ↔ v3.NN.*, v0.NN.P ↔ v2.NN.*) within 30 days of it
//     (prometheus since 2.35).
//   - IsPrerelease is set when the suffix says alpha/beta/rc/pre/preview/canary/next/dev/
//     milestone, PEP 440 aN/bN, or Spring's MN (N of one or two digits); build numbers
//     ("+b85", ".b812", "+security-01") and ".RELEASE" are not pre-releases.
//   - Forgotten flags: in each repository the 1st, 11th, 21st… release-candidate tag (rc/RC/cr,
//     in fixture order) keeps IsPrerelease false and has Mislabeled set.
//   - CreatedAt is the tagged commit's date, PublishedAt = UpdatedAt = the tag's Date + 1h,
//     Name = the tag name, DatabaseID a hash of repository and tag (stable across runs).
//   - Two releases in three (by that hash) have release notes, Markdown as GitHub's
//     generated notes read (ReleaseNotes, or WithNotes'); the others have none (description null).

var (
	pkgPrefix     = regexp.MustCompile(`^(?:@[\w.-]+/)?[\w.-]+@`)
	productPrefix = regexp.MustCompile(`^[A-Za-z][A-Za-z_-]*-`)
	versionCore   = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$`)
	notRelease    = regexp.MustCompile(`(?i)^\.x$|snapshot|candidate`)
	prerelease    = regexp.MustCompile(`(?i)^[-._]?((alpha|beta|rc|cr|pre|preview|canary|next|dev|milestone|nightly|insiders)(\d|[-._+]|$)|[abm]\d{1,2}([-._+]|$))`)
	candidate     = regexp.MustCompile(`(?i)^[-._]?(rc|cr)(\d|[-._]|$)`)
	moduleTwin    = regexp.MustCompile(`^v0\.(\d+)\.`)
)

// splitVersion returns a tag's version suffix (after the numeric core) and whether the tag
// looks like a version at all.
func splitVersion(tag string) (suffix string, ok bool) {
	if strings.Contains(tag, "/") && !strings.HasPrefix(tag, "@") {
		return "", false
	}
	rest := tag
	if m := pkgPrefix.FindString(rest); m != "" {
		rest = rest[len(m):]
	} else if m := productPrefix.FindString(rest); m != "" {
		rest = rest[len(m):]
	}
	if strings.Contains(rest, "/") {
		return "", false
	}
	m := versionCore.FindStringSubmatch(rest)
	if m == nil {
		return "", false
	}
	suffix = m[5]
	if suffix != "" && !strings.ContainsAny(suffix[:1], "-.+_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		return "", false
	}
	if notRelease.MatchString(suffix) {
		return "", false
	}
	if m[1] == "0" && m[2] == "0" && m[3] == "0" && suffix != "" {
		return "", false // v0.0.0-<sha> placeholders
	}
	return suffix, true
}

// LooksPrerelease tells whether a tag's version suffix marks a pre-release, by the rule above.
func LooksPrerelease(tag string) bool {
	suffix, ok := splitVersion(tag)
	return ok && !strings.HasPrefix(suffix, "+") && prerelease.MatchString(suffix)
}

func isCandidate(tag string) bool {
	suffix, ok := splitVersion(tag)
	return ok && candidate.MatchString(suffix)
}

// twinLine is the "vM.m." prefix of the tag line a v0.N.P module twin would mirror.
func twinLine(tag string) (string, bool) {
	m := moduleTwin.FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return "", false
	}
	if n >= 100 {
		return "v" + strconv.Itoa(n/100) + "." + strconv.Itoa(n%100) + ".", true
	}
	return "v2." + strconv.Itoa(n) + ".", true
}

func isModuleTwin(r *Repo, t Tag) bool {
	line, ok := twinLine(t.Name)
	if !ok {
		return false
	}
	const near = 30 * 24 * time.Hour
	for _, o := range r.Tags {
		if strings.HasPrefix(o.Name, line) && o.Date.Sub(t.Date).Abs() <= near {
			return true
		}
	}
	return false
}

// deriveReleases applies the rule above to r's tags. IDs are made unique by the caller.
func deriveReleases(r *Repo, notes func(nameWithOwner, tag string) string) []Release {
	var out []Release
	candidates := 0
	for _, t := range r.Tags {
		if _, ok := splitVersion(t.Name); !ok || isModuleTwin(r, t) {
			continue
		}
		rel := Release{
			DatabaseID:   releaseDatabaseID(r.NameWithOwner(), t.Name),
			TagName:      t.Name,
			Name:         t.Name,
			CreatedAt:    r.commitDate(t),
			PublishedAt:  t.Date.Add(time.Hour),
			IsPrerelease: LooksPrerelease(t.Name),
		}
		rel.UpdatedAt = rel.PublishedAt
		if rel.DatabaseID%3 != 0 {
			rel.Description = notes(r.NameWithOwner(), t.Name)
		}
		if isCandidate(t.Name) {
			if candidates%10 == 0 {
				rel.IsPrerelease, rel.Mislabeled = false, true
			}
			candidates++
		}
		out = append(out, rel)
	}
	return out
}

// ReleaseNotes is the description of a derived release that has one, unless
// WithNotes says otherwise: a pull request link and a line of markup that a
// renderer must escape (the tests' probe; made-up numbers, so not for people).
func ReleaseNotes(nameWithOwner, tag string) string {
	return "## What's Changed\n\n* Release " + tag + " by @maintainer in https://github.com/" + nameWithOwner +
		"/pull/" + strconv.Itoa(int(hash32("pr", nameWithOwner, tag)%5000)+1) + "\n* Escape `<b>` & <script>alert(1)</script>\n\n" +
		"**Full Changelog**: https://github.com/" + nameWithOwner + "/commits/" + tag + "\n"
}

func releaseDatabaseID(nameWithOwner, tag string) int64 {
	return int64(hash32("release", strings.ToLower(nameWithOwner), tag)%1_000_000_000) + 100_000_000
}
