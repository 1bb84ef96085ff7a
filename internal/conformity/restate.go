package conformity

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/store"
)

// A label's statement states facts of its release and product: version and support end, name,
// category and CRA class. When one of them is corrected, a label that stays valid on the
// corrected facts must not go on stating the old ones (a buyer reads the support end off the
// label): the issuer signs a new statement, the next in the label's sequence, with the same
// status and the corrected facts, and says in the label's history what was corrected. When the
// corrected facts change the status (a support period cut below what the catalogs accept), the
// status change's statement carries them.

// Corrections lists the facts a label's statement st states otherwise than the release and
// product now say, in words ("support end 2031-12 → 2034-06"); none when it is up to date.
func Corrections(st label.Statement, prod *store.Product, rel *store.Release) []string {
	var out []string
	for _, f := range []struct{ what, stated, now string }{
		{"version", st.Release.Version, rel.Version},
		{"support end", st.Release.SupportEnd, rel.SupportEnd},
		{"product name", st.Product.Name, prod.Name},
		{"category", st.Product.Category, prod.Category},
		{"CRA class", st.Product.CRAClass, prod.CRAClass},
	} {
		if f.stated != f.now {
			out = append(out, fmt.Sprintf("%s %s → %s", f.what, f.stated, f.now))
		}
	}
	return out
}

// restateIfCorrected signs a new statement of l when its current one states corrected facts,
// and reports whether it did.
func (s *Service) restateIfCorrected(ctx context.Context, l *store.Label, prod *store.Product, rel *store.Release, verdicts []catalog.Verdict) (bool, error) {
	key, err := s.Key(ctx)
	if err != nil {
		return false, err
	}
	st, err := label.Verify(l.Statement, key.Public().(ed25519.PublicKey))
	if err != nil {
		return false, fmt.Errorf("label %s: the stored statement does not verify: %w", l.ID, err)
	}
	cs := Corrections(st, prod, rel)
	if len(cs) == 0 {
		return false, nil
	}
	sign, err := s.resigner(ctx, prod, rel, verdicts)
	if err != nil {
		return false, err
	}
	return s.Store.RestateLabel(ctx, l.ID, "restated after a correction: "+strings.Join(cs, "; "), "siegel:label-check", sign)
}

// RefreshRelease re-decides the labels of a release at once, after a correction of the release
// or its product, so that none states facts that were corrected (RefreshAll, which the monitor
// runs on a schedule, would find them later).
func (s *Service) RefreshRelease(ctx context.Context, org, release int64) error {
	ls, err := s.Store.Labels(ctx, org)
	if err != nil {
		return err
	}
	var errs []error
	for i := range ls {
		if ls[i].Release != release || ls[i].Status == store.LabelRevoked || ls[i].Status == store.LabelExpired {
			continue
		}
		if _, err := s.Refresh(ctx, &ls[i]); err != nil {
			errs = append(errs, fmt.Errorf("label %s: %w", ls[i].ID, err))
		}
	}
	return errors.Join(errs...)
}
