package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// NewProduct is what creating a product takes, checked the same way for the API and the web
// form: a name, a category of the list (or none), and a CRA class ("default" when empty).
type NewProduct struct {
	Name, Category, CRAClass string
}

// check trims and completes the input and says what is wrong with it, in words for the user.
func (p *NewProduct) check() error {
	p.Name, p.Category, p.CRAClass = strings.TrimSpace(p.Name), strings.TrimSpace(p.Category), strings.TrimSpace(p.CRAClass)
	if err := CheckName("name", p.Name); err != nil {
		return err
	}
	if err := checkNewCategory(p.Category); err != nil {
		return err
	}
	if p.CRAClass == "" {
		p.CRAClass = "default"
	}
	switch p.CRAClass {
	case "default", "important-i", "important-ii", "critical":
		return nil
	}
	return errors.New("craClass must be default, important-i, important-ii or critical")
}

// AddProduct checks and creates a product of org: the API and the portfolio's form answer its
// errors alike (caller.Mistake).
func (s *Deps) AddProduct(ctx context.Context, org int64, np NewProduct) (*store.Product, error) {
	if err := np.check(); err != nil {
		return nil, caller.Invalid(err)
	}
	p, err := s.Store.CreateProduct(ctx, org, np.Name, np.Category, np.CRAClass)
	if errors.Is(err, store.ErrConflict) {
		return nil, caller.Conflicting(fmt.Errorf("the organization has a product named %q already: choose another name, or correct that product", np.Name))
	}
	return p, err
}
