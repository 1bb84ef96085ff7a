package portfolio

import (
	"time"

	"github.com/siegel-oss/siegel/internal/health"
)

// HealthFacts judges components by the health data d (internal/health) at now. The inventory
// is version-agnostic, so a component is judged as a package: deprecated, retracted or
// unmaintained where the registry says so of the package; its memory safety by its type and
// name. End of life needs a version's release cycle: it is judged per occurrence, on each
// release, and shows here as the package's verdict only when the data gives one without a version.
func HealthFacts(d *health.Data, now time.Time) FactsFunc {
	if d == nil {
		d = &health.Data{}
	}
	return func(base string) Facts {
		r := d.Check(health.Component{PURL: base}, health.Options{Now: now})
		k := r.Worst()
		return Facts{Health: string(k), Unhealthy: k.Unhealthy(), MemorySafety: string(r.Memory)}
	}
}
