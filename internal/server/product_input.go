package server

import (
	"errors"
	"strings"
)

// newProduct is what creating a product takes, checked the same way for the API and the web
// form: a name, a category of the list (or none), and a CRA class ("default" when empty).
type newProduct struct {
	Name, Category, CRAClass string
}

// check trims and completes the input and says what is wrong with it, in words for the user.
func (p *newProduct) check() error {
	p.Name, p.Category, p.CRAClass = strings.TrimSpace(p.Name), strings.TrimSpace(p.Category), strings.TrimSpace(p.CRAClass)
	if err := checkName("name", p.Name); err != nil {
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
