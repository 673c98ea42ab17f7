package httpapi

import (
	_ "embed"
	"net/http"
)

// openapiSpec is the OpenAPI 3 description of the API. TestOpenAPI_routes
// keeps it and the router in step.
//
//go:embed openapi.json
var openapiSpec []byte

// openapi serves GET /openapi.json.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	_, err := w.Write(openapiSpec)
	if err != nil {
		s.log.DebugContext(r.Context(), "write response", "route", routeOf(r), "error", err)
	}
	return nil
}
