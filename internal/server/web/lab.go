package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// releaseLabView is the lab section of the release page: the runs kept, the runs queued,
// running or failed, and whether this server can run one itself (it has a lab network).
type releaseLabView struct {
	Allow []string // the server's lab ranges; empty: it runs no lab tests
	Runs  []store.LabRun
	Jobs  []app.JobStatus
	// Target, WAN and Ports are the form's values after a refused request.
	Target, WAN, Ports string
}

func (s *Site) labWebRoutes() {
	s.mux.HandleFunc("POST /releases/{id}/lab-runs/jobs", s.web(s.labRunForm, true))
}

// fillReleaseLab adds the lab section to the release page; a failure leaves it out and is
// logged.
func (s *Site) fillReleaseLab(r *http.Request, d *releasePageView) {
	runs, err := s.Store.LabRuns(r.Context(), d.Release.ID)
	if err != nil {
		s.Log.Warn("release page: lab runs", "release", d.Release.ID, "err", err)
		return
	}
	all, err := s.Store.Jobs(r.Context(), monitor.KindLab, 200)
	if err != nil {
		s.Log.Warn("release page: lab jobs", "release", d.Release.ID, "err", err)
		return
	}
	v := &releaseLabView{Allow: s.LabAllow, Runs: runs[:min(len(runs), 5)]}
	for _, j := range all {
		var p app.LabJob
		if json.Unmarshal(j.Payload, &p) != nil || p.Release != d.Release.ID || j.State == "done" {
			continue
		}
		js := app.JobStatus{ID: j.ID, Kind: j.Kind, State: j.State, Attempts: j.Attempts, Error: j.LastError, CreatedAt: j.CreatedAt,
			FinishedAt: j.FinishedAt, Release: p.Release, Target: p.Target}
		if j.State == "running" {
			js.Progress = j.Progress
		}
		if j.State == "queued" || j.State == "running" {
			d.Refresh = max(d.Refresh, 5)
		}
		v.Jobs = append(v.Jobs, js)
	}
	d.ReleaseLab = v
}

// labRunForm starts a lab run from the release page (fields target, wan, ports) and sends the
// browser to the job's page; a refused request shows the release page with the reason.
func (s *Site) labRunForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	if !d.CanWrite {
		http.Error(w, "you may not start lab runs for this release", http.StatusForbidden)
		return
	}
	q := app.LabRequest{Target: r.PostFormValue("target"), WANTargets: strings.Fields(strings.ReplaceAll(r.PostFormValue("wan"), ",", " "))}
	ports := strings.TrimSpace(r.PostFormValue("ports"))
	var err error
	for _, f := range strings.Fields(strings.ReplaceAll(ports, ",", " ")) {
		p, perr := strconv.Atoi(f)
		if perr != nil {
			err = app.LabRequestError{Err: errors.New("TCP ports: " + f + " is not a port number; list numbers separated by commas, or leave the field empty for the 1,000 most common")}
			break
		}
		q.TCPPorts = append(q.TCPPorts, p)
	}
	if err == nil {
		err = s.CheckLabRequest(r.Context(), &q)
	}
	var id int64
	if err == nil {
		id, err = s.QueueLab(r.Context(), d.Release, d.Product, q)
	}
	if err == nil {
		http.Redirect(w, r, "/jobs/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return
	}
	var bad app.LabRequestError
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, app.ErrNoLab):
		status = http.StatusConflict
	case errors.Is(err, app.ErrLabBusy):
		status = http.StatusServiceUnavailable
	case !errors.As(err, &bad):
		s.Fail(w, r, err)
		return
	}
	v, ok := s.releasePageOf(r.Context(), w, r, d)
	if !ok {
		return
	}
	s.fillReleaseFirmware(r, v)
	s.fillReleaseLab(r, v)
	if v.ReleaseLab != nil {
		v.ReleaseLab.Target, v.ReleaseLab.WAN, v.ReleaseLab.Ports = q.Target, r.PostFormValue("wan"), ports
	}
	v.Refresh = 0
	v.Error = "The lab run was not started: " + err.Error()
	s.render(w, status, "release", v)
}
