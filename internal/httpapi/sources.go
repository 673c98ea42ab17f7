package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// SourcesReporter tells what a collection was indexed from and what was
// done with each file, as [engine.Engine.Sources] does. GET /v1/files
// answers with it when the Engine implements it.
type SourcesReporter interface {
	Sources(ctx context.Context, collection string) (vectorstore.Sources, error)
}

var _ SourcesReporter = (*engine.Engine)(nil)

// FilesResponse is the answer of GET /v1/files: the folders and files the
// collection was indexed from (`semsearch index PATH`, `watch PATH`) and
// each file with its status in the last run that looked at it.
type FilesResponse struct {
	Collection string                   `json:"collection"`
	Roots      []vectorstore.SourceRoot `json:"roots"`
	Files      []vectorstore.FileReport `json:"files"`
	// Note says why there is nothing to list, when there is nothing.
	Note string `json:"note,omitempty"`
}

// listFiles serves GET /v1/files.
func (s *Server) listFiles(w http.ResponseWriter, r *http.Request) error {
	p, err := newParams(r)
	if err != nil {
		return err
	}
	name, err := p.str("collection")
	if err != nil {
		return err
	}
	if err := p.done(); err != nil {
		return err
	}
	col, err := s.collectionName(name)
	if err != nil {
		return err
	}
	resp := FilesResponse{Collection: col, Roots: []vectorstore.SourceRoot{}, Files: []vectorstore.FileReport{}}
	rep, ok := s.eng.(SourcesReporter)
	var src vectorstore.Sources
	if ok {
		src, err = rep.Sources(r.Context(), col)
	}
	switch {
	case !ok || errors.Is(err, engine.ErrNoSources):
		resp.Note = engine.ErrNoSources.Error()
	case err != nil:
		return err
	case len(src.Roots) == 0 && len(src.Files) == 0:
		resp.Note = "no sources recorded: the collection was indexed through the API, from stdin, or before semsearch recorded them; `semsearch index PATH` on the server's machine records PATH"
	default:
		// Lists stay lists (not null) when one of them is empty.
		resp.Roots = append(resp.Roots, src.Roots...)
		resp.Files = append(resp.Files, src.Files...)
	}
	s.writeJSON(w, r, http.StatusOK, resp)
	return nil
}
