package webpage

import (
	"fmt"
	"strings"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

const kindName = "page"

// The catalog keys of a page product besides page: itself.
const (
	OptionVersionPattern = "version_pattern" // finds each version; group "version" or 1 is the version
	OptionDatePattern    = "date_pattern"    // group 1 is the date after a version
	OptionDateLayout     = "date_layout"     // Go time layout of the date [DefaultLayout]
)

// Kind registers the vendor-page source: "page: <URL>" with a version_pattern
// and a date_pattern.
var Kind = releaselake.SourceKind{
	Name:  kindName,
	Label: "vendor page",
	Options: []releaselake.Option{releaselake.RegexpOption(OptionVersionPattern),
		releaselake.RegexpOption(OptionDatePattern), releaselake.StringOption(OptionDateLayout)},
	Check: checkEntry,
	New: func(c releaselake.SourceConfig) (releaselake.Source, error) {
		return New(&httpfetch.Client{HTTP: c.HTTP}), nil
	},
}

func checkEntry(p releaselake.Product) error {
	if p.Options.Regexp(OptionVersionPattern) == nil {
		return fmt.Errorf("page needs a version_pattern")
	}
	dp := p.Options.Regexp(OptionDatePattern)
	if dp == nil {
		return fmt.Errorf("page needs a date_pattern")
	}
	if dp.NumSubexp() < 1 {
		return fmt.Errorf("date_pattern needs a capture group for the date")
	}
	// A layout is Go's reference time written the page's way; one without a
	// year is a layout written some other way ("YYYY-MM-DD").
	if l := p.Options.String(OptionDateLayout); l != "" && !strings.Contains(l, "06") {
		return fmt.Errorf("date_layout %q is not a Go time layout: write the date 2006-01-02 (Mon Jan 2) the way the page does, e.g. \"January 2, 2006\"", l)
	}
	return nil
}
