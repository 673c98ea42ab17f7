package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Request limits and defaults.
const (
	defaultK = engine.DefaultK
	// defaultMinScore keeps every result (cosine similarity is >= -1).
	defaultMinScore = -1
	// maxRequestValues bounds the JSON values of a search-shaped request
	// (filter ids, Dify conditions, ...): decoding millions of tiny values
	// costs a hundred times their bytes.
	maxRequestValues = 100_000
)

// readBody reads the whole request body and checks that it is valid UTF-8.
// A body over the size limit fails with *http.MaxBytesError.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, badRequest("empty_body", "the request body is empty: send JSON")
	}
	// The limit middleware refused a Content-Length over the body limit,
	// so the buffer can be made the body's size at once.
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r.Body)
	data := buf.Bytes()
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, err
	}
	if err != nil {
		return nil, badRequest("unreadable_body", "could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, badRequest("empty_body", "the request body is empty: send JSON")
	}
	if !utf8.Valid(data) {
		return nil, badRequest("invalid_utf8", "the request body is not valid UTF-8 (first bad byte at offset %d)", invalidUTF8At(data))
	}
	return data, nil
}

// invalidUTF8At returns the offset of the first invalid UTF-8 sequence.
func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// checkValues refuses a body of more than maxRequestValues JSON values
// (counted as the commas outside strings) before it is decoded.
func checkValues(data []byte) error {
	n, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && c == ',':
			if n++; n >= maxRequestValues {
				return &apiError{kind: errTooLarge, code: "too_many_values", msg: fmt.Sprintf(
					"the request body holds more than %d JSON values; send fewer filter ids or conditions", maxRequestValues)}
			}
		}
	}
	return nil
}

// decodeJSON reads the body as exactly one JSON value into v, rejecting
// fields v does not have.
func decodeJSON(r *http.Request, v any) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	if err := checkValues(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("malformed_json", "the request body holds more than one JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a 400 that says what is wrong.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badRequest("malformed_json", "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed_json", "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &typ) && typ.Field == "":
		return badRequest("invalid_request", "the request body must be a JSON object, not %s", typ.Value)
	case errors.As(err, &typ) && strings.HasPrefix(typ.Value, "number ") && isInteger(typ.Type.Kind()):
		// A number the integer field cannot hold: say which rule it broke.
		num := strings.TrimPrefix(typ.Value, "number ")
		if strings.ContainsAny(num, ".eE") {
			return badRequest("invalid_request", "field %q must be a whole number written without a fraction or exponent (e.g. 5), not %s", typ.Field, num)
		}
		lo, hi := intRange(typ.Type)
		return badRequest("invalid_request", "field %q must be an integer between %s and %s, not %s", typ.Field, lo, hi, num)
	case errors.As(err, &typ):
		return badRequest("invalid_request", "field %q must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return badRequest("unknown_field", "unknown field %s (see /openapi.json)", field)
	}
	return badRequest("malformed_json", "malformed JSON: %v", err)
}

// isInteger says whether a Go kind holds integers only.
func isInteger(k reflect.Kind) bool {
	return reflect.Int <= k && k <= reflect.Uint64
}

// intRange returns the least and greatest values of an integer type.
func intRange(t reflect.Type) (lo, hi string) {
	bits := t.Bits()
	if t.Kind() >= reflect.Uint {
		return "0", strconv.FormatUint(1<<bits-1, 10)
	}
	return strconv.FormatInt(-1<<(bits-1), 10), strconv.FormatInt(1<<(bits-1)-1, 10)
}

// jsonKind names a Go kind as the JSON type a client sends.
func jsonKind(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "true or false"
	}
	return kind
}

// Filter is the "filter" of search and context requests.
type Filter struct {
	// DocIDs keeps passages of these documents only.
	DocIDs []string `json:"doc_ids,omitempty"`
	// DocPrefix keeps documents whose id or source starts with it, such as
	// a folder ("sport/").
	DocPrefix string `json:"doc_prefix,omitempty"`
	// Meta keeps documents whose field equals the value: "title",
	// "source", "author", "url" or a custom metadata key.
	Meta map[string]string `json:"meta,omitempty"`
	// After and Before bound the publication date: a date (2017-05-01) or
	// an RFC 3339 time. After is inclusive, Before exclusive.
	After  string `json:"after,omitempty"`
	Before string `json:"before,omitempty"`
}

// filter converts f for the engine, which decides what is valid.
func (f *Filter) filter() (vectorstore.Filter, error) {
	if f == nil {
		return vectorstore.Filter{}, nil
	}
	out, err := engine.FilterSpec{DocIDs: f.DocIDs, DocPrefix: f.DocPrefix, Meta: f.Meta, After: f.After, Before: f.Before}.Filter()
	if fe := (*engine.FieldError)(nil); errors.As(err, &fe) {
		return out, badRequest("invalid_filter", "%s", fe.Named(filterFields))
	}
	return out, err
}

// filterFields are the request model's filter fields as the API names them.
var filterFields = map[string]string{"doc_ids": "filter.doc_ids", "doc_prefix": "filter.doc_prefix", "meta": "filter.meta", "after": "filter.after", "before": "filter.before"}

// SearchRequest is the part of search and context requests that selects
// passages.
type SearchRequest struct {
	Query      string   `json:"query"`
	K          *int     `json:"k,omitempty"`
	Collection string   `json:"collection,omitempty"`
	MinScore   *float64 `json:"min_score,omitempty"`
	Filter     *Filter  `json:"filter,omitempty"`
	// Mode is "hybrid" (default), "vector" or "bm25".
	Mode string `json:"mode,omitempty"`
	// Explain adds each result's vector and BM25 scores and ranks.
	Explain bool `json:"explain,omitempty"`
	// MMR in (0, 1) diversifies results by maximal marginal relevance.
	MMR *float64 `json:"mmr,omitempty"`
	// MaxPerDoc caps the passages from one document.
	MaxPerDoc *int `json:"max_per_doc,omitempty"`
	// KeepDuplicates returns passages with the same text as a better one
	// as results of their own, instead of listing them in its duplicates.
	KeepDuplicates bool `json:"keep_duplicates,omitempty"`
}

// engineQuery translates q for the engine; the engine's request model
// ([engine.CheckQuery]) decides what is valid, and its field becomes the
// error's code (invalid_query, invalid_k, ...).
func (s *Server) engineQuery(q *SearchRequest) (string, engine.Query, error) {
	var eq engine.Query
	col, err := s.collectionName(q.Collection)
	if err != nil {
		return "", eq, err
	}
	k := defaultK
	if q.K != nil {
		k = *q.K
	}
	minScore := float64(defaultMinScore)
	if q.MinScore != nil {
		minScore = *q.MinScore
	}
	if minScore < -1 || math.IsNaN(minScore) || math.IsInf(minScore, 0) {
		return "", eq, badRequest("invalid_min_score", "min_score must be a number >= -1 (the cosine similarity of passage and query, in vector and hybrid mode), got %g", minScore)
	}
	mode, err := engine.ParseMode(q.Mode)
	if err != nil {
		return "", eq, badRequest("invalid_mode", "mode %q: want hybrid, vector or bm25", q.Mode)
	}
	eq = engine.Query{Text: strings.TrimSpace(q.Query), K: k, MinScore: float32(minScore), Mode: mode, Explain: q.Explain, KeepDuplicates: q.KeepDuplicates}
	if q.MMR != nil {
		eq.MMR = *q.MMR
	}
	if q.MaxPerDoc != nil {
		eq.MaxPerDoc = *q.MaxPerDoc
	}
	if eq.Filter, err = q.Filter.filter(); err != nil {
		return "", eq, err
	}
	if fe := (*engine.FieldError)(nil); errors.As(engine.CheckQuery(eq), &fe) {
		code := "invalid_" + fe.Field
		if fe.Field == "" {
			code = "invalid_filter"
		}
		return "", eq, badRequest(code, "%s", fe.Named(nil))
	}
	return col, eq, nil
}

// collectionName returns the collection a request names, or the default.
func (s *Server) collectionName(name string) (string, error) {
	if name == "" {
		return s.collection, nil
	}
	if s.validCollection != nil && !s.validCollection(name) {
		return "", badRequest("invalid_collection", "collection %q: use 1-64 letters, digits, '_', '.', '-', starting with a letter or digit", name)
	}
	return name, nil
}

// params reads URL query parameters, each at most once.
type params struct {
	v    url.Values
	used map[string]bool
}

func newParams(r *http.Request) (*params, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("invalid_parameter", "malformed query string: %v", err)
	}
	for k, vals := range v {
		if !utf8.ValidString(k) {
			return nil, badRequest("invalid_utf8", "a query parameter name is not valid UTF-8")
		}
		for _, val := range vals {
			if !utf8.ValidString(val) {
				return nil, badRequest("invalid_utf8", "query parameter %q is not valid UTF-8", k)
			}
		}
	}
	return &params{v: v, used: map[string]bool{}}, nil
}

// str returns the single value of name, or "".
func (p *params) str(name string) (string, error) {
	p.used[name] = true
	vals := p.v[name]
	if len(vals) > 1 {
		return "", badRequest("invalid_parameter", "query parameter %q is given %d times; give it once", name, len(vals))
	}
	if len(vals) == 0 {
		return "", nil
	}
	return vals[0], nil
}

// all returns every value of a repeatable parameter.
func (p *params) all(name string) []string {
	p.used[name] = true
	return p.v[name]
}

// integer returns the value of name as an int, or def when absent.
func (p *params) integer(name string, def int) (int, error) {
	s, err := p.str(name)
	if err != nil || s == "" {
		return def, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badRequest("invalid_parameter", "query parameter %s=%q: want an integer", name, s)
	}
	return n, nil
}

// float returns the value of name as a float, or nil when absent.
func (p *params) float(name string) (*float64, error) {
	s, err := p.str(name)
	if err != nil || s == "" {
		return nil, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, badRequest("invalid_parameter", "query parameter %s=%q: want a number", name, s)
	}
	return &f, nil
}

// prefixed returns the parameters named prefix+key, keyed by key.
func (p *params) prefixed(prefix string) (map[string]string, error) {
	var out map[string]string
	for k := range p.v {
		key, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		v, err := p.str(k)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]string{}
		}
		out[key] = v
	}
	return out, nil
}

// done fails on parameters nobody asked for, as unknown JSON fields do.
func (p *params) done() error {
	for k := range p.v {
		if !p.used[k] {
			return badRequest("unknown_parameter", "unknown query parameter %q (see /openapi.json)", k)
		}
	}
	return nil
}

// tookMS converts a duration to fractional milliseconds.
func tookMS(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// pathID returns the unescaped {id} of a document route.
func pathID(r *http.Request) (string, error) {
	raw := mux.Vars(r)["id"]
	id, err := url.PathUnescape(raw)
	if err != nil || id == "" {
		return "", badRequest("invalid_id", "document id %q is not a valid escaped path", raw)
	}
	if err := engine.CheckID(id); err != nil {
		return "", badRequest("invalid_id", "document %v", err)
	}
	return id, nil
}
