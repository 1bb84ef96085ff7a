package catalog

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// categoriesFile is the file of the controlled list of product categories, next to the catalogs.
const categoriesFile = "categories.yaml"

// Category is a product category of the controlled list: what the product is, and the catalogs
// that apply to it because of it (beyond those that apply to every product).
type Category struct {
	ID       string
	Title    string
	Catalogs []string // the catalogs the category brings in, which a label declares against by default
	Annex    string   // the CRA Annex III entry the category usually falls under, "" for none
}

type categoriesDoc struct {
	Categories []struct {
		ID       string   `yaml:"id"`
		Title    string   `yaml:"title"`
		Catalogs []string `yaml:"catalogs"`
		Annex    string   `yaml:"annex"`
	} `yaml:"categories"`
}

// CategoriesSchema returns the embedded JSON schema of the category list.
func CategoriesSchema() []byte {
	b, _ := dataFS.ReadFile("data/categories.schema.json")
	return b
}

// loadCategories reads the category list from fsys, or the embedded one when fsys has none, and
// validates it against its schema: ids unique. own reports whether the list came from fsys:
// the embedded list may name catalogs fsys does not have.
func loadCategories(fsys fs.FS) (cats []Category, f *file, own bool, err error) {
	name := categoriesFile
	data, err := fs.ReadFile(fsys, name)
	own = err == nil
	if !own {
		if data, err = dataFS.ReadFile("data/" + name); err != nil {
			return nil, nil, false, err
		}
	}
	cats, f, err = parseCategories(name, data)
	return cats, f, own, err
}

func parseCategories(name string, data []byte) ([]Category, *file, error) {
	v, err := newValidator(CategoriesSchema())
	if err != nil {
		return nil, nil, err
	}
	f := &file{name: name, lines: map[string]int{}}
	var doc categoriesDoc
	if err := v.decode(name, data, f.lines, &doc); err != nil {
		return nil, nil, err
	}
	var out []Category
	for i, c := range doc.Categories {
		if slices.ContainsFunc(out, func(x Category) bool { return x.ID == c.ID }) {
			p := fmt.Sprintf("/categories/%d/id", i)
			return nil, nil, &Error{File: name, Field: p, Line: f.line(p), Msg: fmt.Sprintf("category %q is listed twice", c.ID)}
		}
		out = append(out, Category{ID: c.ID, Title: c.Title, Catalogs: c.Catalogs, Annex: c.Annex})
	}
	return out, f, nil
}

// Categories returns the controlled list of product categories, in the list's order.
func (c *Catalog) Categories() []Category { return c.categories }

// Category returns the category with the id; ok is false for an id not on the list ("" included).
func (c *Catalog) Category(id string) (Category, bool) {
	i := slices.IndexFunc(c.categories, func(x Category) bool { return x.ID == id })
	if i < 0 {
		return Category{}, false
	}
	return c.categories[i], true
}

// CategoryIDs returns the ids of the categories, in the list's order.
func (c *Catalog) CategoryIDs() []string {
	ids := make([]string, len(c.categories))
	for i, x := range c.categories {
		ids[i] = x.ID
	}
	return ids
}

// CheckCategory returns nil when id is a category of the list, and otherwise an error naming
// the valid ones, for the user who typed it.
func (c *Catalog) CheckCategory(id string) error {
	if _, ok := c.Category(id); ok {
		return nil
	}
	if id == "" {
		return fmt.Errorf("the product has no category; choose one of %s", strings.Join(c.CategoryIDs(), ", "))
	}
	return fmt.Errorf("unknown product category %q; choose one of %s", id, strings.Join(c.CategoryIDs(), ", "))
}

// linkCategories checks the category list against the catalogs and gives each requirement its
// categories: those its file (or the requirement itself) names, else the categories that bring
// its catalog in. Unless strict, links to catalogs that are not loaded are left out of the
// evaluation (the list is kept whole).
func (c *Catalog) linkCategories(cats []Category, cf *file, files []*file, strict bool) error {
	c.categories = cats
	known := map[string]bool{}
	for _, st := range c.Standards {
		known[st.ID] = true
	}
	if !strict {
		cats = slices.Clone(cats)
		for i := range cats {
			cats[i].Catalogs = slices.DeleteFunc(slices.Clone(cats[i].Catalogs), func(id string) bool { return !known[id] })
		}
	}
	for i, cat := range cats {
		for j, id := range cat.Catalogs {
			if !known[id] {
				p := fmt.Sprintf("/categories/%d/catalogs/%d", i, j)
				return &Error{File: cf.name, Field: p, Line: cf.line(p), Msg: fmt.Sprintf("no catalog %q", id)}
			}
		}
	}
	bringIn := map[string][]string{} // catalog -> categories
	for _, cat := range cats {
		for _, id := range cat.Catalogs {
			bringIn[id] = append(bringIn[id], cat.ID)
		}
	}
	for _, f := range files {
		check := func(list []string, field string) error {
			for j, id := range list {
				if _, ok := c.Category(id); !ok && id != AnyCategory {
					p := fmt.Sprintf("%s/%d", field, j)
					return &Error{File: f.name, Field: p, Line: f.line(p), Msg: fmt.Sprintf("no product category %q (known: any, %s)", id, strings.Join(c.CategoryIDs(), ", "))}
				}
			}
			return nil
		}
		if err := check(f.doc.Applies.Categories, "/applies/categories"); err != nil {
			return err
		}
		for i, rd := range f.doc.Requirements {
			if rd.Applies != nil {
				if err := check(rd.Applies.Categories, fmt.Sprintf("/requirements/%d/applies/categories", i)); err != nil {
					return err
				}
			}
		}
		if len(f.doc.Applies.Categories) == 0 && len(bringIn[f.doc.Catalog]) == 0 {
			return &Error{File: f.name, Field: "/applies", Line: f.line("/applies"),
				Msg: fmt.Sprintf("catalog %q applies to no product: name categories under applies, or list it under a category in %s", f.doc.Catalog, categoriesFile)}
		}
	}
	for _, r := range c.Requirements {
		if len(r.Categories) == 0 {
			r.Categories = slices.Clone(bringIn[r.Standard])
		}
	}
	return nil
}
