package api

import "github.com/siegel-oss/siegel/internal/server/app"

// API is the JSON API's handlers, on the dependencies they share with the pages.
type API struct {
	*app.Deps
}

// New returns the API on d; Routes lists its endpoints, DocumentRoutes registers the rest.
func New(d *app.Deps) *API { return &API{Deps: d} }
