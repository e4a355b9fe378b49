package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// The changes a webhook delivers. A removed release, or one re-dated or
// edited, is not announced: receivers are people and chat rooms, told of
// what they can now install.
const (
	ChangeNew    = "new"    // the release appeared in this version
	ChangeGA     = "ga"     // a prerelease became a release (prerelease true -> false)
	ChangeYanked = "yanked" // the release was yanked upstream (PyPI, npm deprecation…)
)

// MaxReleases bounds the releases of one POST; past it the body says how
// many more there were ("omitted").
const MaxReleases = 100

// Release is one release of a delivery, as the JSON body spells it.
type Release struct {
	Product     string    `json:"product"`
	Version     string    `json:"version"`
	Tag         string    `json:"tag"`
	URL         string    `json:"url"`
	PublishedAt time.Time `json:"publishedAt"`
	Prerelease  bool      `json:"prerelease"`
	Change      string    `json:"change"` // ChangeNew, ChangeGA or ChangeYanked
}

// Body is the JSON body of a delivery: one lake version's matching releases.
type Body struct {
	Version     int64     `json:"version"`
	CommittedAt time.Time `json:"committedAt"`
	Releases    []Release `json:"releases"` // sorted by product, then tag; at most MaxReleases
	Omitted     int       `json:"omitted"`  // matching releases left out past MaxReleases
}

// change returns what c means to a receiver ("" for nothing it is told of).
func change(c releaselake.Change) string {
	switch {
	case c.Added():
		return ChangeNew
	case c.Removed():
		return ""
	case c.Before.Prerelease && !c.After.Prerelease:
		return ChangeGA
	case !c.Before.Yanked && c.After.Yanked:
		return ChangeYanked
	}
	return ""
}

// bodyOf returns the body of set for t; ok false if nothing in it matches.
func bodyOf(t Target, set releaselake.ChangeSet) (Body, bool) {
	b := Body{Version: set.Version, CommittedAt: set.CommittedAt, Releases: []Release{}}
	for _, c := range set.Changes {
		kind := change(c)
		if kind == "" || !t.Matches(c.After) {
			continue
		}
		if len(b.Releases) == MaxReleases {
			b.Omitted++
			continue
		}
		r := c.After
		b.Releases = append(b.Releases, Release{Product: r.Product, Version: r.Version, Tag: r.Tag, URL: r.URL,
			PublishedAt: r.PublishedAt, Prerelease: r.Prerelease, Change: kind})
	}
	return b, len(b.Releases) > 0
}

// encode returns the request body of b in t's format.
func encode(t Target, b Body) ([]byte, error) {
	if t.Format == FormatSlack {
		return json.Marshal(slackMessage(b))
	}
	return json.Marshal(b)
}

// Slack's block kit limits (api.slack.com/reference/block-kit): at most 50
// blocks a message, a section's text at most 3,000 characters, a header's
// plain text at most 150. The top-level text, the notification's, is kept
// to a section's length too.
const (
	SlackMaxBlocks  = 50
	SlackMaxText    = 3000
	SlackMaxHeader  = 150
	slackReleaseCap = SlackMaxBlocks - 2 // a header, then releases, then the "and N more" context
	// A release's line is at most a label, escaped (x5), and a URL: well
	// within a section's 3,000 characters.
	slackMaxLabel = 200
	slackMaxURL   = 1000
)

// SlackMessage is an incoming-webhook message: text (the notification and
// the fallback) and blocks.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is a header, section or context block.
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`     // header, section
	Elements []SlackText `json:"elements,omitempty"` // context
}

// SlackText is a text object: plain_text or mrkdwn.
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func slackMessage(b Body) SlackMessage {
	total := len(b.Releases) + b.Omitted
	noun := "releases"
	if total == 1 {
		noun = "release"
	}
	m := SlackMessage{Blocks: []SlackBlock{{Type: "header",
		Text: &SlackText{Type: "plain_text", Text: fmt.Sprintf("%d %s (lake version %d)", total, noun, b.Version)}}}}
	var names []string
	for i, r := range b.Releases {
		if i == slackReleaseCap-1 && total > slackReleaseCap {
			break
		}
		// Cut before escaping, so no cut lands inside an escape or a link.
		label := truncate(r.Product+" "+r.Version, slackMaxLabel)
		names = append(names, label)
		line := "*" + slackEscape(label) + "*"
		if r.URL != "" && len(r.URL) <= slackMaxURL {
			line = "*<" + slackURL(r.URL) + "|" + slackEscape(label) + ">*"
		}
		line += " " + map[string]string{ChangeNew: "new", ChangeGA: "is GA", ChangeYanked: "was yanked"}[r.Change]
		if r.Prerelease {
			line += " (prerelease)"
		}
		if !r.PublishedAt.IsZero() {
			line += " · published " + r.PublishedAt.Format("2006-01-02")
		}
		m.Blocks = append(m.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: line}})
	}
	if more := total - len(names); more > 0 {
		m.Blocks = append(m.Blocks, SlackBlock{Type: "context",
			Elements: []SlackText{{Type: "mrkdwn", Text: fmt.Sprintf("and %d more", more)}}})
	}
	m.Text = textList(fmt.Sprintf("%d %s: ", total, noun), names, total)
	return m
}

// textList is prefix and names joined by commas, cut to SlackMaxText with
// "and N more" honest about what was cut.
func textList(prefix string, names []string, total int) string {
	s := prefix
	for i, n := range names {
		sep := ", "
		if i == 0 {
			sep = ""
		}
		tail := fmt.Sprintf(" and %d more", total-i)
		if len(s)+len(sep)+len(n)+len(tail)+20 > SlackMaxText {
			return s + tail
		}
		s += sep + n
	}
	if more := total - len(names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// slackEscape escapes the three characters Slack's mrkdwn gives a meaning.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackURL keeps a link's URL from ending the <url|label> syntax early.
func slackURL(u string) string {
	return strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(u)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
