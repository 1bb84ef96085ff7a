// Package server is Siegel's HTTP front door: it composes the JSON API under /api/v1 (described
// by the OpenAPI document it serves), the browser pages (package web) and the device endpoints
// (package device) on the dependencies they share (package app), and adds health, readiness,
// metrics, the access log and the connection limits, and the background work: the firmware and
// lab jobs, rollouts and the push to market-surveillance authorities. It holds no state another
// instance would need: everything lives in the store.
package server

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/httpjson"
	"github.com/siegel-oss/siegel/internal/server/web"
)

// Config is app.Config: the configuration lives with the dependencies the handlers share.
type Config = app.Config

// OIDCConfig is app.OIDCConfig: the configuration lives with the dependencies the handlers share.
type OIDCConfig = app.OIDCConfig

// Server serves the API and the pages.
type Server struct {
	*app.Deps // what the API and the pages share
	mux       *http.ServeMux
	ready     atomic.Bool
	metrics   *metrics
	site      *web.Site // the browser pages
	jsonAPI   *api.API  // the JSON API
}

// The JSON conventions of every endpoint (httpjson), under the names the handlers of this
// package use.
type apiError = httpjson.ErrorBody

var writeJSON = httpjson.Write

// New returns a server; Handler serves it.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 256 << 20
	}
	limitDefaults(&cfg)
	s := &Server{Deps: &app.Deps{Config: cfg}, mux: http.NewServeMux(), metrics: newMetrics()}
	s.Uploads = make(chan struct{}, cfg.MaxUploads)
	s.Health = &health.Cache{Dir: cfg.VulnDB}
	s.newConformity()
	if cfg.Monitor != nil {
		cfg.Monitor.Handle(monitor.KindFirmware, s.runFirmwareJob)
		if len(cfg.LabAllow) > 0 {
			cfg.Monitor.Handle(monitor.KindLab, s.runLabJob)
		}
	}
	s.jsonAPI = api.New(s.Deps)
	s.routes()
	s.site = web.NewSite(s.Deps)
	s.site.Routes(s.mux)
	s.ready.Store(true)
	return s
}

// SetReady marks the server ready or not (while it drains on shutdown).
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Handler returns the HTTP handler with its middleware.
func (s *Server) Handler() http.Handler { return s.logAccess(s.metrics.wrap(s.mux)) }
