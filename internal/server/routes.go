package server

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/api"
)

// routeTable is every endpoint: the server's own (health, readiness, metrics) and the API's.
func (s *Server) routeTable() []api.Route {
	return append([]api.Route{
		{Method: "GET", Path: "/healthz", Handler: s.healthz},
		{Method: "GET", Path: "/readyz", Handler: s.readyz},
		{Method: "GET", Path: "/metrics", Handler: s.metricsEndpoint},
	}, s.jsonAPI.Routes()...)
}

// routes registers every endpoint of the table.
func (s *Server) routes() {
	for _, rt := range s.routeTable() {
		s.mux.HandleFunc(rt.Method+" "+rt.Path, rt.Handler)
	}
	s.jsonAPI.DocumentRoutes(s.mux)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() || s.Store.Ping(r.Context()) != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) { s.healthz(w, r) }
