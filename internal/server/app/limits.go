package app

import (
	"fmt"

	"github.com/siegel-oss/siegel/internal/input"
)

// archiveLimits bound a source archive upload: at most MaxUnpack unpacked, and at most
// input.DefaultMaxRatio times the archive's size (bombs are refused while they are read).
func (s *Deps) archiveLimits() input.ArchiveLimits {
	return input.ArchiveLimits{MaxBytes: s.MaxUnpack, MaxFiles: 100_000, MaxRatio: input.DefaultMaxRatio, RatioFloor: input.DefaultRatioFloor}
}

// SbomExpansion is how many times its size an SBOM document takes in memory while it is decoded
// and stored (measured with bench/hostile: 25 and 49 MiB CycloneDX documents peaked at 5.4 times
// their size above the idle server; rounded up).
const SbomExpansion = 6

// checkSBOMBudget refuses an SBOM document whose decoding would take more memory than one upload
// may unpack to (MaxUnpack), before it is decoded.
func (s *Deps) checkSBOMBudget(name string, n int) error {
	if limit := s.MaxUnpack / SbomExpansion; int64(n) > limit {
		return fmt.Errorf("%s: an SBOM of %d bytes takes about %d bytes of memory to read, more than an upload may use (%d bytes); split it, or ask the administrator to raise --max-unpack", name, n, int64(n)*SbomExpansion, s.MaxUnpack)
	}
	return nil
}
