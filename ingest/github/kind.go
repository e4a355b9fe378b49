package github

import (
	"fmt"
	"strings"

	"github.com/releaselake/releaselake"
)

// The catalog keys of a github product besides github: itself.
const (
	OptionTags       = "tags"        // use tags even if the repository publishes releases
	OptionTagPattern = "tag_pattern" // which tags count; group "version" or 1 is the version
)

// Kind registers the GitHub source: "github: owner/name", crawled with
// GITHUB_TOKEN at GITHUB_GRAPHQL_URL.
var Kind = releaselake.SourceKind{
	Name:    releaselake.KindGitHub,
	Label:   "GitHub",
	Options: []releaselake.Option{releaselake.BoolOption(OptionTags), releaselake.RegexpOption(OptionTagPattern)},
	Check:   check,
	Settings: []releaselake.Setting{
		{Env: "GITHUB_GRAPHQL_URL", Flag: "github-url", Default: DefaultURL, Usage: "GitHub GraphQL endpoint"},
		{Env: "GITHUB_TOKEN", Secret: true},
	},
	New: func(c releaselake.SourceConfig) (releaselake.Source, error) {
		return New(Config{URL: c.Settings["GITHUB_GRAPHQL_URL"], Token: c.Settings["GITHUB_TOKEN"], HTTPClient: c.HTTP, Log: c.Log}), nil
	},
}

func check(p releaselake.Product) error {
	if strings.Count(p.Ref, "/") != 1 {
		return fmt.Errorf("github must be owner/name, got %q", p.Ref)
	}
	if re := p.Options.Regexp(OptionTagPattern); re != nil && re.NumSubexp() < 1 {
		return fmt.Errorf("tag_pattern needs a capture group for the version")
	}
	return nil
}

// Unconfigured says that a Source without a token cannot fetch.
func (s *Source) Unconfigured() (why, fix string) {
	if s.cfg.Token != "" {
		return "", ""
	}
	return "GITHUB_TOKEN is not set", "Set GITHUB_TOKEN to a GitHub token (a fine-grained token with no permissions is enough for public repositories) and restart."
}
