package article

import (
	"testing"
	"time"
)

func TestIsNoiseLine(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		// noise
		{"Advertisement", true},
		{"  ADVERTISEMENT  ", true},
		{"- Advertisement -", true},
		{"Story continues below advertisement", true},
		{"Continue reading the main story", true},
		{"Discuss This Article", true},
		{"Leave a comment", true},
		{"12 Comments", true},
		{"Share this article", true},
		{"Share on Facebook", true},
		{"Share:", true},
		{"Facebook Twitter Email", true},
		{"Facebook | Twitter | WhatsApp", true},
		{"Print", true},
		{"Subscribe", true},
		{"Subscribe to our newsletter", true},
		{"Sign up for the daily briefing", true},
		{"Read more: Trump fires Comey", true},
		{"READ MORE", true},
		{"See also", true},
		{"Related", true},
		{"Related articles", true},
		{"Related: How it came about", true},
		{"You may also like", true},
		{"Most read", true},
		{"Other reports by Ligue1talk", true},
		{"More stories from DW", true},
		{"Follow us on Twitter", true},
		{"Follow @dwnews", true},
		{"Click here to subscribe", true},
		{"Click here", true},
		{"Skip to main content", true},
		{"Back to top", true},
		{"3 min read", true},
		{"© 2017 Deutsche Welle", true},
		{"Copyright 2017 The Associated Press. All rights reserved.", true},
		{"(c) 2021 Example Ltd", true},
		{"All rights reserved.", true},
		{"Image: Getty Images/A. Harrer", true},
		{"Image: picture-alliance/AP Photo", true},
		{"Photo credit: Reuters", true},
		{"Image copyright AFP", true},
		{"Media playback is unsupported on your device", true},
		// near misses: real text stays
		{"", false},
		{"----------", false},
		{"Advertisement revenue fell sharply last year.", false},
		{"The Advertisement Standards Authority ruled against the firm", false},
		{"He said the advertisement was misleading.", false},
		{"Share prices rose after the vote.", false},
		{"Shareholders approved the deal", false},
		{"Subscribers complained about the price rise.", false},
		{"Subscribe to the view that markets self-correct and you will be disappointed.", false},
		{"Sign up for the draft was mandatory", false},
		{"Register now or lose your vote, officials warned.", false},
		{"Read more carefully, the statute says otherwise.", false},
		{"Read more about the ruling in the court's summary.", false},
		{"Related to this, the ministry announced new rules.", false},
		{"Follow the money, he said.", false},
		{"Comments made by the minister caused outrage.", false},
		{"Copyright law is changing in the EU.", false},
		{"Copyright infringement", false},
		{"Photo: the old bridge at dusk", false},
		{"Picture this: a world where AP reporters vote", false},
		{"Email was the main channel for the leak.", false},
		{"Print newspapers are in decline.", false},
		{"Facebook", false},
		{"Twitter and Facebook were both blocked in the country.", false},
		{"Most read books of the year are thrillers.", false},
		{"Click here and there, the interface is confusing.", false},
		{"Trending down for the third quarter", false},
		{"More from the hearing", false},
		{"May 9, 2017: Comey fired", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			if got := isNoiseLine(tt.line); got != tt.want {
				t.Errorf("isNoiseLine(%q) = %v, want %v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseHeaderLine(t *testing.T) {
	tests := []struct {
		line       string
		allowBare  bool
		wantOK     bool
		wantAuthor string
		wantDate   time.Time
	}{
		{"By Jane Doe", false, true, "Jane Doe", time.Time{}},
		{"by JANE DOE", false, true, "JANE DOE", time.Time{}},
		{"Written by Jane Q. Doe", false, true, "Jane Q. Doe", time.Time{}},
		{"By Jane Doe and John Roe, Reuters", false, true, "Jane Doe and John Roe, Reuters", time.Time{}},
		{"By Jane Doe | May 12, 2017", false, true, "Jane Doe", date(2017, 5, 12)},
		{"By Jane Doe - 12 May 2017 - 3 min read", false, true, "Jane Doe", date(2017, 5, 12)},
		{"Published: Friday 12 May 2017 10:30 BST", false, true, "", date(2017, 5, 12)},
		{"May 12, 2017", false, true, "", date(2017, 5, 12)},
		{"2017-05-12T10:30:00Z", false, true, "", time.Date(2017, 5, 12, 10, 30, 0, 0, time.UTC)},
		{"Kristopher Drake", true, true, "Kristopher Drake", time.Time{}},
		{"Jean-Luc de la Tour", true, true, "Jean-Luc de la Tour", time.Time{}},
		{"Kristopher Drake", false, false, "", time.Time{}},
		{"Executive Summary", true, false, "", time.Time{}},
		{"The White House", true, false, "", time.Time{}},
		{"Kristopher Drake reports", true, false, "", time.Time{}},
		{"Three Word Name Here Too", true, false, "", time.Time{}},
		{"By contrast, the economy grew.", false, false, "", time.Time{}},
		{"By Monday, the deal was done.", false, false, "", time.Time{}},
		{"By Monday the talks collapsed", false, false, "", time.Time{}},
		{"By 2020 emissions had fallen", false, false, "", time.Time{}},
		{"May 9, 2017: Comey fired", false, false, "", time.Time{}},
		{"Tuesday, 1 March", false, false, "", time.Time{}},
		{"By Jane Doe | Opinion", false, false, "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			author, d, ok := parseHeaderLine(tt.line, tt.allowBare)
			if ok != tt.wantOK || author != tt.wantAuthor || !d.Equal(tt.wantDate) {
				t.Errorf("parseHeaderLine(%q, %v) = %q, %v, %v; want %q, %v, %v",
					tt.line, tt.allowBare, author, d, ok, tt.wantAuthor, tt.wantDate, tt.wantOK)
			}
		})
	}
}
