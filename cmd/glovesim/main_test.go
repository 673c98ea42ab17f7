package main

import (
	"log/slog"
	"strings"
	"testing"
)

func TestParseModel(t *testing.T) {
	tests := []struct {
		spec    string
		name    string
		zeroTop int
		sif     float64
		common  bool
		wantErr bool
	}{
		{"base:zero-top=300", "base", 300, 0, false, false},
		{"sif:sif=1e-4,remove-common", "sif", 0, 1e-4, true, false},
		{"plain", "plain", 0, 0, false, false},
		{":zero-top=3", "", 0, 0, false, true},
		{"x:zero-top=many", "", 0, 0, false, true},
		{"x:sif=2", "", 0, 0, false, true},
		{"x:colour=blue", "", 0, 0, false, true},
	}
	for _, tt := range tests {
		m, err := parseModel(tt.spec)
		name, o := m.name, m.opt
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: error %v, want error %v", tt.spec, err, tt.wantErr)
			continue
		}
		if err == nil && (name != tt.name || o.ZeroTop != tt.zeroTop || o.SIF != tt.sif || o.RemoveCommon != tt.common || !o.ZeroPunct) {
			t.Errorf("%q: got %s %+v", tt.spec, name, o)
		}
	}
}

// TestRemovedOptions: the options of retired experiments fail saying so.
func TestRemovedOptions(t *testing.T) {
	for _, spec := range []string{"r:sif=1e-4,retrofit=syn", "r:retrofit-alpha=2", "t:remove-top=1"} {
		_, err := parseModel(spec)
		if err == nil || !strings.Contains(err.Error(), "was removed in 2026-12") || !strings.Contains(err.Error(), "docs/research/paraphrase.md") {
			t.Errorf("%q: %v, want it to say the option was removed", spec, err)
		}
	}
	err := run(t.Context(), []string{"-in", "v.txt", "-lexicon", "wn.tgz"}, slog.New(slog.DiscardHandler))
	if err == nil || !strings.HasPrefix(err.Error(), "-lexicon was removed in 2026-12") {
		t.Errorf("-lexicon: %v, want it to say it was removed", err)
	}
}
