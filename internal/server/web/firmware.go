package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/firmware"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// releaseFirmwareView is the firmware section of the release page: the analyses kept and the
// analyses queued, running or failed.
type releaseFirmwareView struct {
	Analyses []store.FirmwareAnalysis
	Jobs     []app.JobStatus
}

// fillReleaseFirmware adds the firmware section to the release page; a failure leaves it out
// and is logged (the rest of the page still helps).
func (s *Site) fillReleaseFirmware(r *http.Request, d *releasePageView) {
	items, jobs, err := s.ReleaseFirmware(r, d.Release.ID)
	if err != nil {
		s.Log.Warn("release page: firmware analyses", "release", d.Release.ID, "err", err)
		return
	}
	d.ReleaseFirmware = &releaseFirmwareView{Analyses: items, Jobs: jobs}
	for _, j := range jobs {
		if j.State == "queued" || j.State == "running" {
			d.Refresh = max(d.Refresh, 5)
		}
	}
}

// firmwareUploadForm takes an image from the release page's form (multipart, field "image")
// and queues its analysis: the image streams to the firmware directory part by part, never
// whole into memory, and the browser is sent to the job's page.
func (s *Site) firmwareUploadForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	if !d.CanWrite {
		http.Error(w, "you may not upload firmware for this release", http.StatusForbidden)
		return
	}
	fail := func(status int, msg string) {
		v, ok := s.releasePageOf(r.Context(), w, r, d)
		if !ok {
			return
		}
		s.fillReleaseFirmware(r, v)
		v.Refresh = 0
		v.Error = msg
		s.render(w, status, "release", v)
	}
	if full, err := s.FirmwareQueueFull(r.Context()); err != nil {
		s.Fail(w, r, err)
		return
	} else if full {
		w.Header().Set("Retry-After", "60")
		fail(http.StatusServiceUnavailable, app.ErrFirmwareBusy.Error())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxImage()+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		fail(http.StatusBadRequest, "Choose a firmware image to upload.")
		return
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			fail(http.StatusBadRequest, "Choose a firmware image to upload.")
			return
		}
		if part.FormName() != "image" {
			part.Close()
			continue
		}
		name := app.CmpOrDefault(part.FileName(), "firmware.bin")
		id, _, err := s.QueueFirmware(r.Context(), d.Release, d.Product, name, part)
		part.Close()
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, app.ErrImageTooLarge) || errors.As(err, &mbe):
			fail(http.StatusRequestEntityTooLarge, s.ImageTooLarge()+".")
		case errors.Is(err, app.ErrEmptyImage):
			fail(http.StatusBadRequest, "The firmware image is empty; choose the image file itself.")
		case err != nil:
			s.Log.Error("firmware upload", "release", d.Release.ID, "err", err)
			fail(http.StatusInternalServerError, app.InternalErrorText(app.RequestIDOf(w)))
		default:
			http.Redirect(w, r, "/jobs/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		}
		return
	}
}

// jobPageView is a background job's page (job.html).
type jobPageView struct {
	Layout
	Status   *app.JobStatus
	Release  *store.Release
	Product  *store.Product
	Analysis int64 // the firmware analysis a finished job stored
}

// jobPage shows a firmware analysis job's state and progress; it reloads itself while the job is queued or
// running, and links to what the job produced once it is done.
func (s *Site) jobPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	var js *app.JobStatus
	var p *app.FirmwareJob
	if !s.loadByID(w, r, func(id int64) (err error) {
		js, p, err = s.JobStatus(r, id, caller.OfUser(u).CanRead)
		return err
	}) {
		return
	}
	v := &jobPageView{Status: js}
	var err error
	if v.Release, err = s.Store.Release(r.Context(), js.Release); err == nil {
		v.Product, err = s.Store.Product(r.Context(), v.Release.Product)
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if strings.HasPrefix(js.Analysis, "/api/v1/firmware/") {
		v.Analysis, _ = strconv.ParseInt(strings.TrimPrefix(js.Analysis, "/api/v1/firmware/"), 10, 64)
	}
	title := "Lab run against " + js.Target
	if p != nil {
		title = "Firmware analysis of " + p.Image
	}
	v.Layout = Layout{Title: title, User: u}
	if js.State == "queued" || js.State == "running" {
		v.Refresh = 2
	}
	s.render(w, http.StatusOK, "job", v)
}

// firmwarePageView is the page of one firmware analysis (firmware.html): the analysis and the
// release it belongs to.
type firmwarePageView struct {
	Layout
	Product  *store.Product
	Release  *store.Release
	Firmware *firmwareAnalysisView
}

// firmwareAnalysisView is an analysis as its page shows it.
type firmwareAnalysisView struct {
	*app.FirmwareReport
	// Rules are the weaknesses grouped by rule, in the order of the report.
	Rules []weaknessGroup
}

// weaknessGroup is the weaknesses of one rule.
type weaknessGroup struct {
	Rule       string
	Title      string
	Weaknesses []firmware.Weakness
}

// ruleTitles name the firmware analysis's rules for people.
var ruleTitles = map[string]string{
	"weak-credentials": "Default and weak credentials",
	"telnet":           "Remote shells started at boot (telnet and the like)",
	"private-key":      "Embedded private keys",
	"permissions":      "Unsafe file permissions",
	"hardening":        "Binary hardening",
}

// firmwarePage shows one analysis: the image, what it was unpacked to, its weaknesses by rule
// (with the requirement clauses each breaks) and its components.
func (s *Site) firmwarePage(w http.ResponseWriter, r *http.Request, u *store.User) {
	var fa *app.FirmwareReport
	var rel *store.Release
	var prod *store.Product
	if !s.loadByID(w, r, func(id int64) (err error) {
		fa, rel, prod, err = s.FirmwareAnalysis(r, id, caller.OfUser(u).CanRead)
		return err
	}) {
		return
	}
	v := &firmwareAnalysisView{FirmwareReport: fa}
	index := map[string]int{}
	for _, wk := range fa.Report.Weaknesses {
		i, ok := index[wk.Rule]
		if !ok {
			i = len(v.Rules)
			index[wk.Rule] = i
			v.Rules = append(v.Rules, weaknessGroup{Rule: wk.Rule, Title: app.CmpOrDefault(ruleTitles[wk.Rule], wk.Rule)})
		}
		v.Rules[i].Weaknesses = append(v.Rules[i].Weaknesses, wk)
	}
	s.render(w, http.StatusOK, "firmware", &firmwarePageView{Layout: Layout{Title: "Firmware " + fa.ImageName, User: u}, Product: prod, Release: rel, Firmware: v})
}

// FirmwareLink is where a verdict's evidence from the firmware analysis is shown: the
// analysis's page, at the rule of the weaknesses that decided it ("" without firmware evidence).
func (v *conformityView) FirmwareLink(links []catalog.Link) string {
	if v.Firmware == nil {
		return ""
	}
	page, found := "/firmware/"+strconv.FormatInt(v.Firmware.ID, 10), false
	for _, l := range links {
		switch l.Kind {
		case "weakness":
			rule, _, _ := strings.Cut(l.Ref, ":")
			return page + "#rule-" + rule
		case "firmware":
			found = l.Ref == "sha256:"+v.Firmware.SHA256
		}
	}
	if found {
		return page
	}
	return ""
}

// loadByID parses a page's {id} and loads what it names with load: a bad id or ErrNotFound is a
// 404 page, another error a 500; it reports whether the page can go on.
func (s *Site) loadByID(w http.ResponseWriter, r *http.Request, load func(id int64) error) bool {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		err = store.ErrNotFound
	} else {
		err = load(id)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return false
	case err != nil:
		s.Fail(w, r, err)
		return false
	}
	return true
}
