package releaselake

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// VersionFromText returns the version a title (or any text) carries by pattern: the
// group named "version", else group 1, as for a tag_pattern. A vendor that names
// releases by month ("Power BI November 2024 Feature Summary") is read with the
// groups named "year" and "month" (a number or an English month name), which
// give the calendar version YYYY.MM. The result must look like a version.
func VersionFromText(text string, pattern *regexp.Regexp) (string, bool) {
	yi, mi := pattern.SubexpIndex("year"), pattern.SubexpIndex("month")
	if yi < 0 || mi < 0 {
		return VersionFromTag(text, pattern)
	}
	m := pattern.FindStringSubmatch(text)
	if m == nil {
		return "", false
	}
	year, err := strconv.Atoi(m[yi])
	month := monthNumber(m[mi])
	if err != nil || year < 1000 || year > 9999 || month == 0 {
		return "", false
	}
	return fmt.Sprintf("%d.%02d", year, month), true
}

// monthNumber reads "11", "Nov" or "November" (any case); 0 if it is none.
func monthNumber(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 1 && n <= 12 {
			return n
		}
		return 0
	}
	for m := time.January; m <= time.December; m++ {
		name := m.String()
		if strings.EqualFold(s, name) || (len(s) == 3 && strings.EqualFold(s, name[:3])) {
			return int(m)
		}
	}
	return 0
}
