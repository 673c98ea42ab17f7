package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

func TestMetadata(t *testing.T) {
	tests := []struct {
		name string
		hit  vectorstore.Hit
		want string
	}{
		{"bare", vectorstore.Hit{DocID: "a", Source: "a.txt", Passage: vectorstore.Passage{LineStart: 1, LineEnd: 1, End: 5}},
			`{"chunk":0,"citation":"a.txt, line 1","doc_id":"a","end":5,"line_end":1,"line_start":1,"source":"a.txt","start":0}`},
		{"full, standard keys win over custom ones", vectorstore.Hit{DocID: "b", Title: "T", Source: "s", Author: "W", URL: "https://x/b",
			Published: time.Date(2017, 5, 10, 0, 0, 0, 0, time.UTC), Meta: map[string]string{"topic": "news", "doc_id": "spoof"},
			Passage: vectorstore.Passage{Chunk: 2, Start: 10, End: 20, LineStart: 3, LineEnd: 4}},
			`{"author":"W","chunk":2,"citation":"\"T\", s, lines 3-4","doc_id":"b","end":20,"line_end":4,"line_start":3,"published":"2017-05-10T00:00:00Z","source":"s","start":10,"title":"T","topic":"news","url":"https://x/b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(Metadata(tt.hit))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
