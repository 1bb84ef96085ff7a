package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

func (s *API) dbStatus(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	st, err := s.DBState(r)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// dbUpdate queues an update of the vulnerability database now.
func (s *API) dbUpdate(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if p.Token.Role != "admin" {
		writeError(w, http.StatusForbidden, "only an admin token may start an update")
		return
	}
	if s.Monitor == nil {
		writeError(w, http.StatusServiceUnavailable, "this server runs no monitor")
		return
	}
	if err := s.Monitor.RequestUpdate(r.Context()); err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "queued"})
}

type channelJSON struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Target    string    `json:"target"`
	Events    []string  `json:"events"`
	Product   int64     `json:"product,omitempty"` // the one product followed; absent: every product
	CreatedAt time.Time `json:"createdAt"`
}

func toChannel(c store.Channel) channelJSON {
	ev := c.Events
	if ev == nil {
		ev = []string{}
	}
	return channelJSON{ID: c.ID, Kind: c.Kind, Target: c.Target, Events: ev, Product: c.Product, CreatedAt: c.CreatedAt}
}

func (s *API) listChannels(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	cs, err := s.Store.Channels(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]channelJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, toChannel(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *API) createChannel(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if p.Token.Role != "admin" && p.Token.Role != "psirt" {
		writeError(w, http.StatusForbidden, "this token may not change notification channels")
		return
	}
	var in struct {
		Kind    string   `json:"kind"`
		Target  string   `json:"target"`
		Secret  string   `json:"secret"`
		Events  []string `json:"events"`
		Product int64    `json:"product"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.CheckChannelTarget(in.Kind, in.Target); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	c, err := s.Store.AddChannel(r.Context(), store.Channel{Organization: p.Token.Organization, Kind: in.Kind, Target: in.Target, Secret: in.Secret, Events: in.Events, Product: in.Product})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, toChannel(*c))
}

func (s *API) deleteChannel(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if p.Token.Role != "admin" && p.Token.Role != "psirt" {
		writeError(w, http.StatusForbidden, "this token may not change notification channels")
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	if err := s.Store.RemoveChannel(r.Context(), p.Token.Organization, id); err != nil {
		s.Fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// testChannel queues a test event to a channel.
func (s *API) testChannel(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if p.Token.Role != "admin" && p.Token.Role != "psirt" {
		writeError(w, http.StatusForbidden, "this token may not test notification channels")
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	if err := s.QueueTest(r, p.Token.Organization, p.Token.OrgName, id); err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "queued"})
}

// NotificationJSON is a notification as answered.
type NotificationJSON struct {
	ID          int64           `json:"id"`
	Channel     int64           `json:"channel"`
	Kind        string          `json:"kind"`
	State       string          `json:"state"`
	Attempts    int             `json:"attempts"`
	LastError   string          `json:"lastError,omitempty"`
	CreatedAt   time.Time       `json:"createdAt"`
	DeliveredAt time.Time       `json:"deliveredAt,omitzero"`
	Event       json.RawMessage `json:"event"`
}

func (s *API) listNotifications(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	ns, err := s.Store.Notifications(r.Context(), p.Token.Organization, 200)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	app.RedactDeliveries(ns, p.Token.Role)
	out := make([]NotificationJSON, 0, len(ns))
	for _, n := range ns {
		out = append(out, NotificationJSON{ID: n.ID, Channel: n.Channel.ID, Kind: n.Kind, State: n.State, Attempts: n.Attempts,
			LastError: n.LastError, CreatedAt: n.CreatedAt, DeliveredAt: n.DeliveredAt, Event: n.Payload})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *API) listAudit(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if p.Token.Role != "admin" && p.Token.Role != "auditor" {
		writeError(w, http.StatusForbidden, "only admin and auditor tokens read the audit trail")
		return
	}
	ev, err := s.Store.AuditEvents(r.Context(), p.Token.Organization, 500)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	type entry struct {
		Actor   string    `json:"actor"`
		Action  string    `json:"action"`
		Subject string    `json:"subject"`
		Detail  string    `json:"detail,omitempty"`
		At      time.Time `json:"at"`
	}
	out := make([]entry, 0, len(ev))
	for _, e := range ev {
		out = append(out, entry{e.Actor, e.Action, e.Subject, e.Detail, e.At})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}
