package article

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	est := time.FixedZone("", -5*3600)
	tests := []struct {
		in     string
		want   time.Time
		wantOK bool
	}{
		{"2017-05-12", date(2017, 5, 12), true},
		{"2017-05-12T10:30:00Z", time.Date(2017, 5, 12, 10, 30, 0, 0, time.UTC), true},
		{"2017-05-12T10:30:00-05:00", time.Date(2017, 5, 12, 10, 30, 0, 0, est), true},
		{"2017-05-12 10:30:00", time.Date(2017, 5, 12, 10, 30, 0, 0, time.UTC), true},
		{"2017/05/12", date(2017, 5, 12), true},
		{"Fri, 12 May 2017 10:30:00 +0000", time.Date(2017, 5, 12, 10, 30, 0, 0, time.UTC), true},
		{"May 12, 2017", date(2017, 5, 12), true},
		{"May 12 2017", date(2017, 5, 12), true},
		{"12 May 2017", date(2017, 5, 12), true},
		{"Friday, May 12th, 2017", date(2017, 5, 12), true},
		{"Sept. 3, 2016", date(2016, 9, 3), true},
		{"Jan. 2, 2006", date(2006, 1, 2), true},
		{"january 2, 2006", date(2006, 1, 2), true},
		{"May 12, 2017 3:04 pm", time.Date(2017, 5, 12, 15, 4, 0, 0, time.UTC), true},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"May 12", time.Time{}, false},
		{"12/05/2017", time.Time{}, false},
		{"2017", time.Time{}, false},
		{"May 9, 2017: Comey fired", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseDate(tt.in)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("parseDate(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseDateLine(t *testing.T) {
	tests := []struct {
		in     string
		want   time.Time
		wantOK bool
	}{
		{"May 12, 2017", date(2017, 5, 12), true},
		{"Published: May 12, 2017", date(2017, 5, 12), true},
		{"Updated on 12 May 2017, 10:30 a.m. EDT", date(2017, 5, 12), true},
		{"Posted May 12, 2017 at 9:15 PM", time.Date(2017, 5, 12, 21, 15, 0, 0, time.UTC), true},
		{"12 May 2017 14:05 (GMT)", date(2017, 5, 12), true},
		{"Published in May 2017 by the agency", time.Time{}, false},
		{"Date: unknown", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseDateLine(tt.in)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("parseDateLine(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseUnixTime(t *testing.T) {
	tests := []struct {
		in     string
		want   time.Time
		wantOK bool
	}{
		{"1494547200", date(2017, 5, 12), true},
		{"1494547200000", date(2017, 5, 12), true},
		{"-5", time.Time{}, false},
		{"1.5", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseUnixTime(tt.in)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("parseUnixTime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
