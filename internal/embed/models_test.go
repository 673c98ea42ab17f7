package embed_test

import (
	"context"
	"slices"
	"testing"
)

func TestModels(t *testing.T) {
	f := newFakeOllama(t, 4, "glove-100d", "nomic-embed-text:v1.5")
	c := newClient(t, f, nil)
	got, err := c.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"glove-100d", "nomic-embed-text:v1.5"}; !slices.Equal(got, want) {
		t.Errorf("Models = %q, want %q", got, want)
	}
	f.Close()
	if _, err := c.Models(context.Background()); err == nil {
		t.Error("Models of a stopped server: no error")
	}
}
