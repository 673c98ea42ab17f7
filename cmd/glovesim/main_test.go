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

func TestParseModel_Retrofit(t *testing.T) {
	m, err := parseModel("r:sif=1e-4,retrofit=syn+derived,retrofit-alpha=2")
	if err != nil {
		t.Fatal(err)
	}
	if m.retrofit == nil || m.retrofit.String() != "syn,derived" || m.alpha != 2 {
		t.Errorf("got retrofit %v alpha %g", m.retrofit, m.alpha)
	}
	if m, _ := parseModel("plain:sif=1e-4"); m.retrofit != nil || m.alpha != 1 {
		t.Errorf("plain model: retrofit %v, alpha %g; want none and the default 1", m.retrofit, m.alpha)
	}
	for _, bad := range []string{"r:retrofit=antonyms", "r:retrofit=syn,retrofit-alpha=x", "r:retrofit=syn,retrofit-alpha=0", "r:retrofit=syn,retrofit-alpha=-1"} {
		if _, err := parseModel(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
