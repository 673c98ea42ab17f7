package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// TestOpenAPI_routes fails when the router has a route (method and path)
// that openapi.json does not describe, or the reverse.
func TestOpenAPI_routes(t *testing.T) {
	s, _ := newTestServer(t, withFrontdoors) // as serve runs it: with /mcp and the search page

	// "{id:.+}" in a mux template is "{id}" in OpenAPI.
	pattern := regexp.MustCompile(`\{([^}:]+):[^}]*\}`)
	var routes []string
	err := s.router.Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := r.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := r.GetMethods()
		if err != nil {
			t.Errorf("route %s has no methods", tmpl)
			return nil
		}
		for _, m := range methods {
			routes = append(routes, m+" "+pattern.ReplaceAllString(tmpl, "{$1}"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var spec struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiSpec, &spec); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.") {
		t.Errorf("openapi.json is version %q, want 3.x", spec.OpenAPI)
	}
	var described []string
	for path, ops := range spec.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete", "head", "options":
				described = append(described, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(routes)
	slices.Sort(described)
	for _, r := range routes {
		if !slices.Contains(described, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range described {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.json describes %s, which the router lacks", d)
		}
	}
	t.Logf("%d routes:\n%s", len(routes), strings.Join(routes, "\n"))

	w := do(s, request{method: "GET", target: "/openapi.json"})
	if w.Code != http.StatusOK || w.Body.String() != string(openapiSpec) {
		t.Errorf("GET /openapi.json: %d", w.Code)
	}
}

// TestOpenAPI_refs checks that every $ref in openapi.json resolves.
func TestOpenAPI_refs(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openapiSpec, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				var node any = doc
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := node.(map[string]any)
					node = m[part]
				}
				if node == nil {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
}
