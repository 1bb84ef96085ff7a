package app

import (
	"errors"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/catalog"
)

// errCategory wraps a refused product category; its text names the valid ones.
var errCategory = errors.New("product category refused")

// checkNewCategory accepts a category of the controlled list, or none: a product created
// without one needs one before it can carry a label (needsCategory).
func checkNewCategory(id string) error {
	if strings.TrimSpace(id) == "" {
		return nil
	}
	return CheckCategory(id)
}

// CheckCategory accepts only a category of the controlled list.
func CheckCategory(id string) error {
	c, err := LoadCatalog()
	if err != nil {
		return fmt.Errorf("the requirement catalogs did not load, so no category can be checked: %w", err)
	}
	if err := c.CheckCategory(strings.TrimSpace(id)); err != nil {
		return fmt.Errorf("%w: %w", errCategory, err)
	}
	return nil
}

// ProductCategories is the controlled list of product categories the templates offer.
func ProductCategories() []catalog.Category {
	c, err := LoadCatalog()
	if err != nil {
		return nil
	}
	return c.Categories()
}
