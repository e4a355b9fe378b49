package page

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
)

// Spark is a product's cadence as a bar chart the page draws in inline SVG:
// one bar per month, oldest first, the tallest month SparkHeight high.
type Spark struct {
	Bars  []Bar
	Total int    // releases in the months drawn
	Label string // what it shows, in words, for screen readers and on hover
	Width int
}

// Rects is the SVG of the bars, made here from integers only: through the
// template, a page's 1,200 bars were most of its rendering time.
func (s *Spark) Rects() template.HTML {
	var b strings.Builder
	for _, r := range s.Bars {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="2" height="%d"/>`, r.X, r.Y, r.H)
	}
	return template.HTML(b.String())
}

// Bar is one month of a Spark, in SVG user units.
type Bar struct{ X, Y, H int }

// SparkHeight is a sparkline's height; each month is sparkStep wide.
const (
	SparkHeight = 16
	sparkStep   = 3
)

// sparkline draws counts (releases per month, oldest first). A month without
// releases is a 1-unit stub on the baseline, so the months stay countable.
func sparkline(counts []int) *Spark {
	s := &Spark{Width: len(counts) * sparkStep}
	top := 0
	for _, n := range counts {
		s.Total += n
		top = max(top, n)
	}
	for i, n := range counts {
		h := 1
		if n > 0 {
			h = max(2, n*SparkHeight/top) // top > 0 here
		}
		s.Bars = append(s.Bars, Bar{X: i * sparkStep, Y: SparkHeight - h, H: h})
	}
	s.Label = fmt.Sprintf("%s in the last %d months", plural(s.Total, "stable release"), len(counts))
	return s
}

// ago says how long before now t was, in words: "just now", "5 minutes ago",
// "yesterday", "3 days ago", "2 months ago", "4 years ago".
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in the future" // a clock ahead of ours: say so rather than guess
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 48*time.Hour:
		return "yesterday"
	case d < 31*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	case d < 365*24*time.Hour:
		return plural(int(d/(30*24*time.Hour)), "month") + " ago"
	}
	return plural(int(d/(365*24*time.Hour)), "year") + " ago"
}

// plural is "1 day", "3 days".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
