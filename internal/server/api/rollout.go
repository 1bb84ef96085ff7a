package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/rollout"
	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/server/device"
	"github.com/siegel-oss/siegel/internal/store"
)

// rolloutRoutes are the endpoints of devices, update repositories and rollouts: those
// operators call here, those devices call from package device.
func (s *API) rolloutRoutes() []Route {
	var out []Route
	for _, d := range s.Devices().Routes() {
		out = append(out, Route{d.Method, d.Path, d.Handler})
	}
	return append(out, []Route{
		{"GET", "/api/v1/products/{id}/devices", s.Bearer(s.listDevices)},
		{"POST", "/api/v1/products/{id}/devices", s.Bearer(s.enrollDevices)},
		{"POST", "/api/v1/products/{id}/updates", s.Bearer(s.publishUpdate)},
		{"GET", "/api/v1/products/{id}/rollouts", s.Bearer(s.listRollouts)},
		{"POST", "/api/v1/products/{id}/rollouts", s.Bearer(s.createRollout)},
		{"GET", "/api/v1/rollouts/{id}", s.Bearer(s.getRollout)},
		{"POST", "/api/v1/rollouts/{id}/pause", s.Bearer(s.controlRollout("pause"))},
		{"POST", "/api/v1/rollouts/{id}/resume", s.Bearer(s.controlRollout("resume"))},
		{"POST", "/api/v1/rollouts/{id}/abort", s.Bearer(s.controlRollout("abort"))},
	}...)
}

// writableProduct resolves {id} to a product the caller may change: one it cannot read answers
// 404 as s.product does, one it may only read 403.
func (s *API) writableProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Product, bool) {
	prod, ok := s.product(w, r, p)
	if !ok {
		return nil, false
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not change the product's updates")
		return nil, false
	}
	return prod, true
}

func (s *API) readableProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Product, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, false
	}
	prod, err := s.Store.Product(r.Context(), id)
	if err == nil && !p.CanRead(prod.Organization) {
		err = store.ErrNotFound
	}
	if err != nil {
		s.Fail(w, r, err)
		return nil, false
	}
	return prod, true
}

// DeviceJSON is an enrolled device as answered.
type DeviceJSON struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	HardwareClass string    `json:"hardwareClass"`
	Region        string    `json:"region"`
	Version       string    `json:"version"`
	LastSeen      time.Time `json:"lastSeen,omitzero"`
	Token         string    `json:"token,omitempty"`
}

func (s *API) listDevices(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.readableProduct(w, r, p)
	if !ok {
		return
	}
	ds, err := s.Store.Devices(r.Context(), prod.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]DeviceJSON, len(ds))
	for i, d := range ds {
		out[i] = DeviceJSON{ID: d.ID, Name: d.Name, HardwareClass: d.HardwareClass, Region: d.Region, Version: d.Version, LastSeen: d.LastSeen}
	}
	writeJSON(w, http.StatusOK, out)
}

// enrollDevices enrolls devices; each one's token is in the answer, once.
func (s *API) enrollDevices(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.writableProduct(w, r, p)
	if !ok {
		return
	}
	var in struct {
		Devices []DeviceJSON `json:"devices"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if len(in.Devices) == 0 || len(in.Devices) > 10_000 {
		writeError(w, http.StatusBadRequest, "enroll 1 to 10,000 devices at a time")
		return
	}
	nds := make([]store.NewDevice, len(in.Devices))
	for i, d := range in.Devices {
		nds[i] = store.NewDevice{Name: d.Name, HardwareClass: d.HardwareClass, Region: d.Region, Version: d.Version}
	}
	ds, toks, err := s.Store.AddDevices(r.Context(), prod.Organization, prod.ID, nds)
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]DeviceJSON, len(ds))
	for i, d := range ds {
		out[i] = DeviceJSON{ID: d.ID, Name: d.Name, HardwareClass: d.HardwareClass, Region: d.Region, Version: d.Version, Token: toks[i]}
	}
	writeJSON(w, http.StatusCreated, out)
}

// PublishJSON is a published update as answered.
type PublishJSON struct {
	Name          string `json:"name"`
	Version       string `json:"version"`
	HardwareClass string `json:"hardwareClass"`
	ContentType   string `json:"contentType,omitempty"`
	Content       string `json:"content,omitempty"` // base64
	Reference     string `json:"reference,omitempty"`
	Length        int64  `json:"length,omitempty"`
}

func (s *API) publishUpdate(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.writableProduct(w, r, p)
	if !ok {
		return
	}
	var in PublishJSON
	if !decodeJSON(w, r, &in) {
		return
	}
	var content []byte
	if in.Reference == "" {
		var err error
		if content, err = base64.StdEncoding.DecodeString(in.Content); err != nil || len(content) == 0 {
			writeError(w, http.StatusBadRequest, "give the artifact as base64 content, or a reference with its digest and length")
			return
		}
	}
	pub, err := s.Delivery().Publish(r.Context(), prod.Organization, prod.ID, repo.Artifact{Name: in.Name, Version: in.Version, HardwareClass: in.HardwareClass,
		ContentType: in.ContentType, Reference: in.Reference, Length: in.Length}, content)
	if err != nil {
		s.rolloutFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, pub)
}

func (s *API) listRollouts(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.readableProduct(w, r, p)
	if !ok {
		return
	}
	rs, err := s.Store.Rollouts(r.Context(), prod.Organization, prod.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]app.RolloutJSON, 0, len(rs))
	for _, ro := range rs {
		out = append(out, app.RolloutSummary(&ro))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *API) createRollout(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.writableProduct(w, r, p)
	if !ok {
		return
	}
	var in delivery.PlanInput
	if !decodeJSON(w, r, &in) {
		return
	}
	ro, plan, err := s.Delivery().Plan(r.Context(), prod.Organization, prod.ID, in, fmt.Sprintf("token:%d:%s", p.Token.ID, p.Token.Name))
	var ee *rollout.ExposureError
	if errors.As(err, &ee) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": err.Error(), "code": http.StatusUnprocessableEntity, "plan": plan})
		return
	}
	if err != nil {
		s.rolloutFail(w, r, err)
		return
	}
	st, err := s.Delivery().Status(r.Context(), prod.Organization, ro.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, st)
}

func (s *API) getRollout(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	st, err := s.Delivery().Status(r.Context(), p.Token.Organization, id)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *API) controlRollout(action string) func(http.ResponseWriter, *http.Request, caller.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p caller.Principal) {
		id, ok := pathID(w, r, "id")
		if !ok {
			return
		}
		if !p.CanWrite(p.Token.Organization) {
			writeError(w, http.StatusForbidden, "this token may not control rollouts")
			return
		}
		var in struct {
			Reason string `json:"reason"`
		}
		if !decodeJSON(w, r, &in) {
			return
		}
		if err := s.Delivery().Control(r.Context(), p.Token.Organization, id, action, in.Reason, fmt.Sprintf("token:%d:%s", p.Token.ID, p.Token.Name)); err != nil {
			s.rolloutFail(w, r, err)
			return
		}
		st, err := s.Delivery().Status(r.Context(), p.Token.Organization, id)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	}
}

// rolloutFail answers an error of the rollout service.
func (s *API) rolloutFail(w http.ResponseWriter, r *http.Request, err error) {
	device.RolloutError(w, r, err, s.Fail)
}
