package article

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleDir holds the two sample articles shared by the project, relative to
// this package's directory.
var sampleDir = filepath.Join("..", "..", "..", "shared", "data", "sample")

func TestLoad_SampleArticles(t *testing.T) {
	if _, err := os.Stat(sampleDir); err != nil {
		t.Skipf("sample articles not available at %s (the shared data directory is outside the repository): %v", sampleDir, err)
	}
	res, err := Load(t.Context(), []string{sampleDir}, nil, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 {
		t.Errorf("problems: %v", res.Problems)
	}
	byID := map[string]Article{}
	for _, a := range res.Articles {
		checkArticle(t, a)
		byID[a.ID] = a
	}

	tests := []struct {
		id         string
		wantTitle  string
		wantAuthor string
		wantDate   string
		isSkipped  func(line string) bool
		wantSkips  int // number of skipped lines
	}{
		{
			id:         "russia-oval-office-photos.txt",
			wantTitle:  "Russian government releases photos of Oval Office meeting",
			wantAuthor: "Kristopher Drake",
			wantDate:   "2017-05-12",
			isSkipped: func(l string) bool {
				switch l {
				case "Kristopher Drake", "May 12, 2017", "Other reports by Ligue1talk", "Discuss This Article":
					return true
				}
				return false
			},
			wantSkips: 4,
		},
		{
			// The scraped page: its first line is a long standfirst used as
			// the title; the noise is an "Advertisement" line and the photo
			// credits of the timeline ("Image: Reuters/J. Roberts"), while
			// the timeline's own "May 9, 2017: Comey fired" lines stay.
			id:        "lavrov-quip-comey-firing.txt",
			wantTitle: "Russia's foreign minister managed a quip about the dismissal…", // the first line is a sentence, not a title
			isSkipped: func(l string) bool {
				return l == "Advertisement" || strings.HasPrefix(l, "Image: ")
			},
			wantSkips: 11,
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			a, ok := byID[tt.id]
			if !ok {
				t.Fatalf("article %s not loaded; got %v", tt.id, articleIDs(res.Articles))
			}
			if a.Format != "text" || a.Source != filepath.Join(sampleDir, tt.id) {
				t.Errorf("Format %q Source %q", a.Format, a.Source)
			}
			raw, err := os.ReadFile(a.Source)
			if err != nil {
				t.Fatal(err)
			}
			if a.Text != string(raw) {
				t.Error("Text differs from the file")
			}
			if a.Title != tt.wantTitle {
				t.Errorf("Title = %q, want %q", a.Title, tt.wantTitle)
			}
			if a.Author != tt.wantAuthor {
				t.Errorf("Author = %q, want %q", a.Author, tt.wantAuthor)
			}
			gotDate := ""
			if !a.Published.IsZero() {
				gotDate = a.Published.Format("2006-01-02")
			}
			if gotDate != tt.wantDate {
				t.Errorf("Published = %q, want %q", gotDate, tt.wantDate)
			}
			checkSkipPartition(t, a, tt.isSkipped)
			if got := skippedLines(a); len(got) != tt.wantSkips {
				t.Errorf("skipped %d lines, want %d: %q", len(got), tt.wantSkips, got)
			}
		})
	}
}
