package bm25

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"
)

// Bleve document ids. A passage is "p" + docID + "\x00" + chunk and a
// document record is "d" + docID, so the two never collide and a passage id
// parses back even when docID itself contains a NUL byte.
func passageID(docID string, chunk int) string {
	return "p" + docID + "\x00" + strconv.Itoa(chunk)
}

func recordID(docID string) string { return "d" + docID }

// parsePassageID splits a bleve passage id into document id and chunk.
func parsePassageID(id string) (docID string, chunk int, err error) {
	i := strings.LastIndexByte(id, 0)
	if !strings.HasPrefix(id, "p") || i < 1 {
		return "", 0, fmt.Errorf("malformed passage id %q", id)
	}
	chunk, err = strconv.Atoi(id[i+1:])
	if err != nil {
		return "", 0, fmt.Errorf("malformed passage id %q: %w", id, err)
	}
	return id[1:i], chunk, nil
}

// record is what the index keeps about one document besides its passages:
// the hash given to Replace and the number of analysed tokens in its
// passages, which Replace and Delete subtract from the corpus statistics.
type record struct {
	Hash   string `json:"hash"`
	Tokens int64  `json:"tokens"`
}

// stats are the corpus statistics BM25 needs beyond what bleve keeps: the
// number of analysed tokens over all passages (the passage count comes from
// bleve). They live in a bleve internal key that every batch rewrites, so
// they always match the snapshot they are read from.
type stats struct {
	Tokens int64 `json:"tokens"`
}

// readStats returns the statistics of snapshot r.
func readStats(r index.IndexReader) (stats, error) {
	var s stats
	raw, err := r.GetInternal([]byte(keyStats))
	if err != nil || raw == nil {
		return s, err
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("corpus statistics: %w", err)
	}
	return s, nil
}

// current returns docID's record (ok is false when there is none) and the
// bleve ids of its passages in snapshot r.
func current(ctx context.Context, r index.IndexReader, docID string) (rec record, ok bool, passageIDs []string, err error) {
	rec, ok, err = readRecord(r, recordID(docID))
	if err != nil {
		return rec, false, nil, err
	}
	tfr, err := r.TermFieldReader(ctx, []byte(docID), fieldDoc, false, false, false)
	if err != nil {
		return rec, false, nil, err
	}
	defer tfr.Close()
	var tfd index.TermFieldDoc
	for {
		next, err := tfr.Next(tfd.Reset())
		if err != nil {
			return rec, false, nil, err
		}
		if next == nil {
			return rec, ok, passageIDs, nil
		}
		id, err := r.ExternalID(next.ID)
		if err != nil {
			return rec, false, nil, err
		}
		passageIDs = append(passageIDs, id)
	}
}

// readRecord loads the record stored under bleve id id.
func readRecord(r index.IndexReader, id string) (rec record, ok bool, err error) {
	d, err := r.Document(id)
	if err != nil || d == nil {
		return rec, false, err
	}
	var raw []byte
	d.VisitFields(func(f index.Field) {
		if f.Name() == fieldRec {
			raw = f.Value()
		}
	})
	if raw == nil {
		return rec, false, fmt.Errorf("document record %q has no %s field", id, fieldRec)
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, false, fmt.Errorf("document record %q: %w", id, err)
	}
	return rec, true, nil
}

// recordDocument builds the bleve document holding docID's record.
func recordDocument(docID string, rec record) (*document.Document, error) {
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	d := document.NewDocument(recordID(docID))
	d.AddField(document.NewTextFieldCustom(fieldKind, nil, []byte(kindRecord), index.IndexField, nil))
	d.AddField(document.NewTextFieldCustom(fieldRec, nil, raw, index.StoreField, nil))
	return d, nil
}
