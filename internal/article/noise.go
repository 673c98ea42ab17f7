package article

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Noise detection works on whole lines and is deliberately conservative: a
// line is noise only if, once trimmed of decoration and lower-cased, it is
// entirely one of the phrases below (the tail of a phrase is bounded), and it
// is short. A line that ends with a period and has more than three words reads
// as a sentence and is never noise. Text inside a longer line is never
// touched, so "Advertisement revenue fell." stays content.

// maxNoiseRunes bounds the length of a noise line.
const maxNoiseRunes = 120

// noiseDecoration is trimmed from both ends of a line before matching, so that
// "- Advertisement -", "» Read more" and "Share:" match.
const noiseDecoration = " \t\u00a0-–—|•·*_=~<>«»‹›→←►▶▸▪●◆■□:;!…"

// noiseRE is the set of phrases a normalized noise line consists of.
var noiseRE = regexp.MustCompile(`^(?:` + strings.Join([]string{
	// advertising
	`advertisements?|advertising|advert|ads?|sponsored(?: (?:content|links?|stories|story|posts?|by .{1,40}))?`,
	`paid (?:content|post|partner content|for by .{1,40})|promoted(?: (?:content|stories|links))?`,
	`(?:story|article|text) continues (?:below|after)(?: (?:this|the))? (?:advertisement|ad|ads)`,
	`(?:skip|close|hide) (?:advertisement|ad|ads)|advertisement (?:- )?(?:scroll|continue reading).{0,30}`,
	`continue reading(?: (?:the main story|below|the (?:full )?(?:article|story)|here))?|scroll (?:down )?to continue(?: reading)?`,
	// comments
	`discuss this (?:article|story|post)|join the (?:discussion|conversation|debate)`,
	`(?:leave|post|add|write) a (?:comment|reply|response)|(?:show|view|hide|load|read|see) (?:all )?(?:\d+ )?comments?`,
	`\d+ comments?|comments?(?: \(\d+\))?|no comments(?: yet)?|be the first to comment`,
	// sharing
	`share(?: this)?(?: (?:article|story|page|post|link))?(?: (?:on|via|with) (?:facebook|twitter|x|linkedin|whatsapp|email|e-mail|reddit|pinterest|messenger|telegram|bluesky|threads))?`,
	`(?:tweet|e-?mail|print|whatsapp|copy link|copy url)(?: this(?: (?:article|story|page|post))?)?`,
	`(?:email|e-mail|send) (?:this|to a friend)(?: (?:article|story|page))?`,
	// newsletters and subscriptions
	`(?:subscribe|sign up|sign-up|signup|register)(?: (?:now|today|here|free|for free))?`,
	`(?:subscribe|sign up|sign-up|signup|register)(?: (?:now|today|here))? (?:to|for) .{0,30}(?:newsletters?|podcasts?|channel|updates|alerts|briefings?|digest|emails?|feeds?|youtube|magazine|our .{1,20})`,
	`(?:get|receive) (?:our|the) (?:\S+ )?newsletters?(?: .{1,30})?|newsletters?(?: sign[- ]?up)?`,
	// more to read
	`(?:read|see) (?:more|also|next)(?: (?:at|on|about|from|here) .{1,60})?|(?:read|see) (?:more|also|next)\s*:.{0,100}|also read\s*:.{0,100}`,
	`(?:read|view|see) (?:the )?full (?:story|article|report)(?: here)?|more (?:on|about) this (?:story|topic)`,
	`(?:other|more|latest) (?:reports|stories|articles|news|posts|coverage) (?:by|from|on|about) .{1,40}`,
	`related(?: (?:articles?|stories|story|content|coverage|links|topics|news|posts|reading))?(?:\s*:.{0,100})?`,
	`recommended(?: (?:for you|stories|reading|articles|videos))?|you (?:may|might) also (?:like|enjoy|be interested in)(?:\s*:.{0,100})?`,
	`most (?:read|popular|viewed|shared|commented)|trending(?: (?:now|stories|topics))?|top stories|editor'?s picks`,
	`(?:previous|next) (?:article|story|post|page)(?:\s*:.{0,100})?`,
	// social
	`follow (?:us|@\S+)(?: (?:on|at) .{1,40})?|(?:like|find|join) us on .{1,30}|connect with us(?: on .{1,30})?`,
	`(?:click|tap) here(?: (?:to|for) .{1,60})?`,
	// page furniture
	`skip to (?:main )?(?:content|navigation|navigation menu)|back to top|(?:loading|please wait)(?:\.\.\.)?`,
	`\d+ min(?:ute)?s? read|media playback is (?:unsupported|not supported) on your device`,
	`(?:accept|manage|reject) (?:all )?cookies|print this (?:article|page|story)|(?:enlarge|expand) (?:this )?image`,
}, "|") + `)$`)

// copyrightRE matches a copyright notice at the start of a normalized line.
var copyrightRE = regexp.MustCompile(`^(?:©|\(c\) ?\d{4}|copyright (?:©|\(c\)|\d{4}))`)

// creditRE matches a photo credit: "Image: Getty Images/A. Harrer",
// "Photo credit: Reuters", "Image copyright AFP".
var creditRE = regexp.MustCompile(`^(?:images?|photos?|pictures?|photographs?|pics?|fotos?|video)(?:\s*:\s*| (?:credits?|copyright|courtesy)\s*:?\s*)(.{1,80})$`)

// agencyRE names photo agencies; a credit line must name one or contain "/"
// or "©", so that a caption such as "Photo: the new bridge at night" stays.
var agencyRE = regexp.MustCompile(`\b(?:getty|reuters|ap|afp|epa|dpa|pa|picture[ -]alliance|shutterstock|istock|alamy|imago|xinhua|anadolu|bloomberg|associated press|sputnik|tass|ria novosti|courtesy|handout|file photo)\b`)

// shareWords are the labels of share buttons; a line made only of two or more
// of them ("Facebook Twitter Email") is noise.
var shareWords = map[string]bool{
	"facebook": true, "twitter": true, "x": true, "email": true, "e-mail": true,
	"print": true, "whatsapp": true, "linkedin": true, "pinterest": true, "reddit": true,
	"messenger": true, "telegram": true, "share": true, "tweet": true, "copy": true,
	"link": true, "sms": true, "bluesky": true, "threads": true, "flipboard": true,
}

// isNoiseLine reports whether line (without its line terminator) is page
// furniture rather than article text: an advertisement marker, a share,
// subscribe, comment, "read more", "related" or "follow us" prompt, a
// copyright notice or a photo credit.
func isNoiseLine(line string) bool {
	t := strings.TrimSpace(line)
	if t == "" || utf8.RuneCountInString(t) > maxNoiseRunes+30 {
		return false
	}
	sentence := strings.HasSuffix(t, ".") && !strings.HasSuffix(t, "...") && len(strings.Fields(t)) > 3
	norm := strings.Join(strings.Fields(strings.ToLower(strings.Trim(t, noiseDecoration))), " ")
	if norm == "" {
		return false // a rule of dashes or stars is a separator, not noise
	}
	if copyrightRE.MatchString(norm) || (strings.Contains(norm, "all rights reserved") && len(strings.Fields(norm)) <= 20) {
		return true
	}
	if sentence || utf8.RuneCountInString(norm) > maxNoiseRunes {
		return false
	}
	if m := creditRE.FindStringSubmatch(norm); m != nil {
		rest := m[1]
		if strings.ContainsAny(rest, "/©") || agencyRE.MatchString(rest) {
			return true
		}
	}
	if noiseRE.MatchString(strings.TrimRight(norm, ".")) {
		return true
	}
	return isShareBar(norm)
}

// isShareBar reports whether norm consists of two or more share button labels.
func isShareBar(norm string) bool {
	words := strings.FieldsFunc(norm, func(r rune) bool {
		return unicode.IsSpace(r) || r == '|' || r == '/' || r == ',' || r == '•' || r == '·'
	})
	if len(words) < 2 {
		return false
	}
	for _, w := range words {
		if !shareWords[w] {
			return false
		}
	}
	return true
}
