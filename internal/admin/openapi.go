package admin

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes /api/v1; a test checks it lists every route
// mountAPI registers, with the permission each needs.
//
//go:embed openapi.json
var openAPIDocument []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDocument)
}
