package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
)

// postFirmware takes a firmware image of the release as the request body and queues its
// analysis: 202 with the job, whose progress and result GET /api/v1/jobs/{id} answers.
func (s *API) postFirmware(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not upload firmware")
		return
	}
	if r.ContentLength > s.MaxImage() {
		writeError(w, http.StatusRequestEntityTooLarge, s.ImageTooLarge())
		return
	}
	if full, err := s.FirmwareQueueFull(r.Context()); err != nil {
		s.Fail(w, r, err)
		return
	} else if full {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusServiceUnavailable, app.ErrFirmwareBusy.Error())
		return
	}
	name := app.CmpOrDefault(r.URL.Query().Get("name"), "firmware.bin")
	id, job, err := s.QueueFirmware(r.Context(), rel, prod, name, r.Body)
	switch {
	case errors.Is(err, app.ErrImageTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, s.ImageTooLarge())
		return
	case errors.Is(err, app.ErrEmptyImage):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		if errors.Is(err, io.ErrUnexpectedEOF) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("the firmware image ended before the %d bytes its Content-Length announced; send it again", r.ContentLength))
			return
		}
		s.Fail(w, r, err)
		return
	}
	status := "/api/v1/jobs/" + strconv.FormatInt(id, 10)
	w.Header().Set("Location", status)
	writeJSON(w, http.StatusAccepted, map[string]any{"job": id, "state": "queued", "status": status, "image": job.Image, "size": job.Size, "sha256": job.SHA256})
}
