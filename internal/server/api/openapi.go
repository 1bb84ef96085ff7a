// Package api is the server's JSON API under /api/v1: its handlers (API, whose Routes the server
// registers), their JSON types, the bearer-token endpoints' checks, and the public documents
// beside it (the CSAF provider's files, security.txt, the ledger, the labels' statements), with
// the OpenAPI 3.1 document that describes every endpoint, which the server serves at
// /api/v1/openapi.json and its tests check against the route table both ways.
package api

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI is the API's OpenAPI document; the caller must not change it.
func OpenAPI() []byte { return openAPI }

// ServeOpenAPI answers the OpenAPI document.
func ServeOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}
