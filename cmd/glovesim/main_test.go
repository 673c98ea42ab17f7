package main

import "testing"

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
		name, o, err := parseModel(tt.spec)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: error %v, want error %v", tt.spec, err, tt.wantErr)
			continue
		}
		if err == nil && (name != tt.name || o.ZeroTop != tt.zeroTop || o.SIF != tt.sif || o.RemoveCommon != tt.common || !o.ZeroPunct) {
			t.Errorf("%q: got %s %+v", tt.spec, name, o)
		}
	}
}
