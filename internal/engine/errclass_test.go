package engine_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
)

// TestClassify checks the one table the API, the page and MCP answer errors
// with.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err      error
		status   int
		code     string
		internal bool
	}{
		{fmt.Errorf("search: %w", engine.CheckID("a\x1b")), 400, "invalid_request", false},
		{fmt.Errorf("collection x: %w", engine.ErrNotFound), 404, "not_found", false},
		{fmt.Errorf("x: %w", engine.ErrSettingsMismatch), 409, "settings_mismatch", false},
		{fmt.Errorf("x: %w", engine.ErrIDConflict), 409, "id_conflict", false},
		{fmt.Errorf("x: %w", engine.ErrModelBroken), 502, "model_broken", false},
		{fmt.Errorf("write: %w", syscall.ENOSPC), 507, "insufficient_storage", false},
		{errors.New("weaviate: write: no space left on device"), 507, "insufficient_storage", false},
		{fmt.Errorf("x: %w", syscall.EROFS), 500, "storage_read_only", false},
		{fmt.Errorf("x: %w", engine.ErrQueryEmbedTimeout), 504, "query_embed_timeout", false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), 504, "timeout", false},
		{context.Canceled, 499, "canceled", false},
		{errors.New("open /srv/data/x.snap: permission denied"), 500, "internal", true},
	} {
		c := engine.Classify(tc.err)
		if c.Status != tc.status || c.Code != tc.code || c.Internal != tc.internal {
			t.Errorf("Classify(%v) = %+v, want %d %s internal=%t", tc.err, c, tc.status, tc.code, tc.internal)
		}
		if tc.internal && c.Text(tc.err) != "internal error" {
			t.Errorf("an internal error's text is shown: %q", c.Text(tc.err))
		}
	}
}
