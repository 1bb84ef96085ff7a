package app

import (
	"fmt"
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
)

// archiveLimits bound a source archive upload: at most MaxUnpack unpacked, and at most
// input.DefaultMaxRatio times the archive's size (bombs are refused while they are read).
func (s *Deps) archiveLimits() input.ArchiveLimits {
	return input.ArchiveLimits{MaxBytes: s.MaxUnpack, MaxFiles: 100_000, MaxRatio: input.DefaultMaxRatio, RatioFloor: input.DefaultRatioFloor}
}

// SBOMExpansion is how many times its size an SBOM document takes in memory while it is decoded
// and stored (measured with bench/hostile: 25 and 49 MiB CycloneDX documents peaked at 5.4 times
// their size above the idle server; rounded up).
const SBOMExpansion = 6

// checkSBOMBudget refuses an SBOM document whose decoding would take more memory than one upload
// may unpack to (MaxUnpack), before it is decoded.
func (s *Deps) checkSBOMBudget(name string, n int) error {
	if limit := s.MaxUnpack / SBOMExpansion; int64(n) > limit {
		return fmt.Errorf("%s: an SBOM of %d bytes takes about %d bytes of memory to read, more than an upload may use (%d bytes); split it, or ask the administrator to raise --max-unpack", name, n, int64(n)*SBOMExpansion, s.MaxUnpack)
	}
	return nil
}

// AcquireUpload takes one of the upload slots, or answers 503 with Retry-After and returns false
// when all are taken: uploads hold their body and what it unpacks to in memory, so their number
// bounds the server's memory. On true the caller must call release. It also gives the request
// the upload time limits.
func (s *Deps) AcquireUpload(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	select {
	case s.Uploads <- struct{}{}:
	default:
		w.Header().Set("Retry-After", "30")
		msg := fmt.Sprintf("the server is busy with %d other uploads; try again in 30 seconds", cap(s.Uploads))
		if isAPI(r) {
			writeError(w, http.StatusServiceUnavailable, msg)
		} else {
			http.Error(w, msg, http.StatusServiceUnavailable)
		}
		return nil, false
	}
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(s.UploadTimeout)
	// Errors mean the writer cannot set deadlines (a test recorder): the server's limits stay.
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
	return func() { <-s.Uploads }, true
}

func isAPI(r *http.Request) bool {
	return len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/"
}
