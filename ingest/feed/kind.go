package feed

import (
	"fmt"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

const kindName = "feed"

// The catalog keys of a feed product besides feed: itself. A feed reads only
// version_pattern; it accepts the page's date keys to say why they do not apply.
const (
	OptionVersionPattern = "version_pattern" // group "version" or 1 (or "year" and "month") is the version
	OptionDatePattern    = "date_pattern"
	OptionDateLayout     = "date_layout"
)

// Kind registers the feed source: "feed: <RSS or Atom URL>" with a version_pattern.
var Kind = releaselake.SourceKind{
	Name:  kindName,
	Label: "feed",
	Options: []releaselake.Option{releaselake.RegexpOption(OptionVersionPattern),
		releaselake.RegexpOption(OptionDatePattern), releaselake.StringOption(OptionDateLayout)},
	Check: func(p releaselake.Product) error {
		if p.Options.Regexp(OptionVersionPattern) == nil {
			return fmt.Errorf("feed needs a version_pattern")
		}
		if p.Options.Regexp(OptionDatePattern) != nil || p.Options.String(OptionDateLayout) != "" {
			return fmt.Errorf("date_pattern and date_layout apply to page products only: a feed entry has its own date")
		}
		return nil
	},
	New: func(c releaselake.SourceConfig) (releaselake.Source, error) {
		return New(&httpfetch.Client{HTTP: c.HTTP}), nil
	},
}
