package httpapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
)

// FilesRequest is the body of POST /v1/files: files as read from disk, which
// the server parses with the loaders a local `semsearch index` uses, so that
// both store the same articles (text, front matter, line map of an HTML
// page, format and content hash).
type FilesRequest struct {
	Files []File `json:"files"`
}

// File is one file of a [FilesRequest].
type File struct {
	// Name is the file's path as the client named it: the articles' source,
	// shown in citations.
	Name string `json:"name"`
	// ID is the file's article id (JSON objects without an id get ID#N).
	ID string `json:"id"`
	// Format is text, markdown, html, json or jsonl; "" detects it from
	// Name, then from the content.
	Format string `json:"format,omitempty"`
	// Text holds the content when it is valid UTF-8; Base64 (standard
	// encoding) when it is not. One of them is given.
	Text   *string `json:"text,omitempty"`
	Base64 string  `json:"base64,omitempty"`
	// IDs, when given, replace the ids of the articles the file holds, in
	// order (one per article; "" leaves that article out): the client's
	// renames (--id-prefix, ids two files share).
	IDs []string `json:"ids,omitempty"`
	// Title, when set, replaces the title of the file's only article.
	Title string `json:"title,omitempty"`
}

// addFiles serves POST /v1/files.
func (s *Server) addFiles(w http.ResponseWriter, r *http.Request) error {
	col, err := s.collectionParam(r)
	if err != nil {
		return err
	}
	var req FilesRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Files) == 0 {
		return badRequest("invalid_document", "the request holds no files")
	}
	var arts []article.Article
	var warnings, rejected []string
	for i, f := range req.Files {
		got, warn, err := parseFile(i, f)
		if err != nil {
			rejected = append(rejected, err.Error())
			continue
		}
		warnings = append(warnings, warn...)
		arts = append(arts, got...)
		if len(arts) > s.maxArticles {
			return &apiError{kind: errTooLarge, code: "too_many_articles", msg: fmt.Sprintf(
				"the files hold more than %d articles (the server's --max-articles); send fewer files at once", s.maxArticles)}
		}
	}
	if len(rejected) > 0 {
		return rejectedError(rejected)
	}
	if len(arts) == 0 {
		return badRequest("invalid_document", "the files hold no articles (%s)", strings.Join(warnings, "; "))
	}
	return s.index(w, r, col, arts, warnings)
}

// parseFile parses file i of a request as `semsearch index` parses a file
// it reads, and applies the client's ids and title. Its warnings are the
// loaders' problems (repairs, and why a file gave no article).
func parseFile(i int, f File) ([]article.Article, []string, error) {
	name := strings.TrimSpace(f.Name)
	if name == "" {
		return nil, nil, fmt.Errorf("file %d has no name", i)
	}
	if err := engine.CheckID(f.ID); err != nil {
		return nil, nil, fmt.Errorf("file %s: %v", name, err)
	}
	var data []byte
	switch {
	case f.Text != nil && f.Base64 != "":
		return nil, nil, fmt.Errorf("file %s: give text or base64, not both", name)
	case f.Text != nil:
		data = []byte(*f.Text)
	default:
		var err error
		if data, err = base64.StdEncoding.DecodeString(f.Base64); err != nil {
			return nil, nil, fmt.Errorf("file %s: base64: %v", name, err)
		}
	}
	arts, probs, err := article.Parse(name, f.ID, data, f.Format)
	if err != nil {
		return nil, nil, fmt.Errorf("file %s: %v", name, err)
	}
	var warnings []string
	for _, p := range probs {
		warnings = append(warnings, p.String())
	}
	if f.IDs != nil {
		if len(f.IDs) != len(arts) {
			return nil, nil, fmt.Errorf("file %s holds %d articles, and %d ids were given", name, len(arts), len(f.IDs))
		}
		kept := arts[:0]
		for j, id := range f.IDs {
			if id == "" {
				continue
			}
			arts[j].ID = id
			kept = append(kept, arts[j])
		}
		arts = kept
	}
	if f.Title != "" && len(arts) == 1 {
		arts[0].Title = f.Title
	}
	for _, a := range arts {
		if err := engine.CheckID(a.ID); err != nil {
			return nil, nil, fmt.Errorf("file %s: %v", name, err)
		}
	}
	return arts, warnings, nil
}
