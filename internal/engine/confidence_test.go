package engine_test

import (
	"slices"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
)

func TestEngine_SearchEvidence(t *testing.T) {
	eng := newHybrid(t, t.TempDir(), newTermIndex())
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		mode     engine.Mode
		question string
		top      string
		want     engine.Confidence
		missing  []string
	}{
		{"answered", engine.Hybrid, "Who dismissed the FBI director Comey?", "comey.txt", engine.High, nil},
		{"answered by bm25 alone", engine.BM25, "Who dismissed the FBI director Comey?", "comey.txt", engine.High, nil},
		{"absent topic", engine.Hybrid, "Who won the 2022 World Cup football final in Qatar?", "sport.txt", engine.Low, []string{"2022", "world", "cup", "qatar"}},
		{"absent topic, vectors alone", engine.Vector, "Who won the 2022 World Cup football final in Qatar?", "sport.txt", engine.Low, []string{"2022", "world", "cup", "qatar"}},
		{"most of the words", engine.Hybrid, "fruit breakfast households prices", "fruit.txt", engine.Medium, []string{"prices"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := eng.Search(ctx, "news", engine.Query{Text: tt.question, K: 3, Mode: tt.mode})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Results) == 0 || resp.Results[0].DocID != tt.top {
				t.Fatalf("results %+v, want %s first", resp.Results, tt.top)
			}
			top := resp.Results[0]
			if top.Evidence == nil {
				t.Fatal("no evidence")
			}
			if top.Confidence != tt.want {
				t.Errorf("confidence %q, want %q (evidence %+v)", top.Confidence, tt.want, *top.Evidence)
			}
			if !slices.Equal(top.Evidence.Missing, tt.missing) {
				t.Errorf("missing %q, want %q", top.Evidence.Missing, tt.missing)
			}
			ev := top.Evidence
			if tt.mode != engine.Vector && (ev.BM25Rank != 1 || ev.BM25Score <= 0) {
				t.Errorf("bm25 evidence %+v", *ev)
			}
			if tt.mode == engine.BM25 && ev.VectorRank != 0 || tt.mode != engine.BM25 && ev.VectorRank < 1 {
				t.Errorf("vector rank %d in %s mode", ev.VectorRank, tt.mode)
			}
			note := engine.LowConfidenceNote(top.Confidence, top.Evidence)
			if (note != "") != (tt.want == engine.Low) {
				t.Errorf("note %q for confidence %s", note, top.Confidence)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		ev   engine.Evidence
		want engine.Confidence
	}{
		{engine.Evidence{Coverage: 1, BM25Rank: 1, VectorRank: 7}, engine.High},
		{engine.Evidence{Coverage: 1, VectorRank: 2}, engine.High},
		{engine.Evidence{Coverage: 0.9, BM25Rank: 9, VectorRank: 12}, engine.Medium},
		{engine.Evidence{Coverage: 0.6, BM25Rank: 1, VectorRank: 1}, engine.Medium},
		{engine.Evidence{Coverage: 0.4, BM25Rank: 1, VectorRank: 1}, engine.Low},
		{engine.Evidence{Coverage: 0.5, BM25Rank: 1, VectorRank: 1}, engine.Low},
		{engine.Evidence{Coverage: 0.9, BM25Rank: 1, VectorRank: 1, MissingNames: true}, engine.Low},
	}
	for _, tt := range tests {
		if got := engine.Judge(tt.ev); got != tt.want {
			t.Errorf("Judge(%+v) = %s, want %s", tt.ev, got, tt.want)
		}
	}
}
