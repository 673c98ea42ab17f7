package article

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// machineLayouts are timestamp layouts tried as is, most specific first.
// Layouts without a zone yield UTC.
var machineLayouts = []string{
	time.RFC3339Nano,
	time.RFC3339,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -0700 MST",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02",
	"2006-1-2",
	"2006/1/2",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	time.RFC850,
	time.ANSIC,
	time.UnixDate,
	time.RubyDate,
	time.RFC822Z,
	time.RFC822,
}

// humanLayouts are layouts for dates as news pages print them, after
// normalizeHumanDate has removed weekdays, commas, ordinal suffixes and
// abbreviation dots.
var humanLayouts = []string{
	"January 2 2006",
	"Jan 2 2006",
	"2 January 2006",
	"2 Jan 2006",
	"January 2 2006 15:04",
	"Jan 2 2006 15:04",
	"2 January 2006 15:04",
	"2 Jan 2006 15:04",
	"January 2 2006 3:04 PM",
	"Jan 2 2006 3:04 PM",
	"2 January 2006 3:04 PM",
	"2 Jan 2006 3:04 PM",
}

var (
	weekdayPrefixRE = regexp.MustCompile(`(?i)^(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\.?,?\s+`)
	ordinalRE       = regexp.MustCompile(`(?i)\b(\d{1,2})(st|nd|rd|th)\b`)
	abbrevDotRE     = regexp.MustCompile(`([A-Za-z])\.`)
	septRE          = regexp.MustCompile(`(?i)\bsept\b`)
	ampmRE          = regexp.MustCompile(`(?i)\s*\b([ap])\.?m\.?$`)
	// dateLinePrefixRE strips the label of a dateline such as "Published: ".
	dateLinePrefixRE = regexp.MustCompile(`(?i)^(first published|last updated|last modified|published|updated|posted|date|dated)(\s+(on|at))?\s*:?\s*`)
	// timeSuffixRE strips a trailing clock time (with am/pm, zone name or
	// parenthesised zone) from a dateline, e.g. ", 10:30 a.m. EDT".
	timeSuffixRE = regexp.MustCompile(`(?i)[\s,]+(at\s+)?\d{1,2}([:.]\d{2}){1,2}(\s*[ap]\.?m\.?)?(\s+[a-z]{2,5}([+-]\d{1,2}(:?\d{2})?)?)?(\s*\([^)]{1,30}\))?$`)
)

// parseDate parses s as a date or timestamp in the common formats: RFC 3339
// and ISO 8601 variants, RFC 1123/822/850, Unix date, and human dates such as
// "May 12, 2017", "12 May 2017", "Friday, May 12th, 2017" or "Jan. 2 2006
// 3:04 pm". Times without a zone are taken as UTC. It reports false when s is
// none of these or the year is outside 1000-9999.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	// Every layout has digits: most lines of an article have none, and
	// trying the layouts on them was a tenth of loading a folder.
	if s == "" || len(s) > 80 || !strings.ContainsAny(s, "0123456789") {
		return time.Time{}, false
	}
	for _, layout := range machineLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, validYear(t)
		}
	}
	h := normalizeHumanDate(s)
	for _, layout := range humanLayouts {
		if t, err := time.Parse(layout, h); err == nil {
			return t, validYear(t)
		}
	}
	return time.Time{}, false
}

// parseUnixTime interprets a JSON number as Unix seconds or milliseconds when
// it falls between 1970 and 2200.
func parseUnixTime(num string) (time.Time, bool) {
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	const maxSeconds = 7258118400 // 2200-01-01
	switch {
	case n < maxSeconds:
		return time.Unix(n, 0).UTC(), true
	case n < maxSeconds*1000:
		return time.UnixMilli(n).UTC(), true
	}
	return time.Time{}, false
}

func validYear(t time.Time) bool {
	return t.Year() >= 1000 && t.Year() <= 9999
}

// normalizeHumanDate rewrites "Friday, May 12th, 2017, 3:04 p.m." to
// "May 12 2017 3:04 PM" so that humanLayouts can parse it.
func normalizeHumanDate(s string) string {
	s = weekdayPrefixRE.ReplaceAllString(s, "")
	s = ordinalRE.ReplaceAllString(s, "$1")
	if m := ampmRE.FindStringSubmatch(s); m != nil {
		s = s[:len(s)-len(m[0])] + " " + strings.ToUpper(m[1]) + "M"
	}
	s = abbrevDotRE.ReplaceAllString(s, "$1")
	s = septRE.ReplaceAllString(s, "Sep")
	s = strings.ReplaceAll(s, ",", " ")
	s = strings.ReplaceAll(s, " at ", " ")
	return strings.Join(strings.Fields(s), " ")
}

// parseDateLine reports whether a whole line of a news page is a dateline:
// an optional label ("Published:", "Updated on"), a date, and an optional
// clock time. Lines longer than 80 bytes are never datelines.
func parseDateLine(line string) (time.Time, bool) {
	line = strings.TrimSpace(line)
	if line == "" || len(line) > 80 {
		return time.Time{}, false
	}
	s := dateLinePrefixRE.ReplaceAllString(line, "")
	if t, ok := parseDate(s); ok {
		return t, true
	}
	if loc := timeSuffixRE.FindStringIndex(s); loc != nil && loc[0] > 0 {
		if t, ok := parseDate(s[:loc[0]]); ok {
			return t, true
		}
	}
	return time.Time{}, false
}
