package app

import (
	"fmt"

	"github.com/siegel-oss/siegel/internal/store"
)

// CheckSupportPeriod applies CRA Art. 13(8) to a release about to be recorded: at least five
// years from placing on the market, or the expected use time with what it rests on; never an end
// before placing.
func (s *Deps) CheckSupportPeriod(r store.Release, category string) error {
	v, err := SupportVerdict(r, s.Now(), category)
	if err != nil {
		return err
	}
	if !v.OK {
		return fmt.Errorf("%s (CRA %s)", v.Reason, v.Rule)
	}
	return nil
}
