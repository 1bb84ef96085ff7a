// Package catalog holds minimum-standard requirement catalogs as executable data and evaluates a
// release's evidence against them.
//
// A catalog is one YAML file under data/ (the CRA, ETSI EN 303 645, BSI TR-03148, BSI
// TR-03183-2), validated at load against data/catalog.schema.json and then by Go checks the schema
// cannot express: ids are unique, cross-references and conditions resolve, evaluators exist.
// Summaries are Siegel's own words; the reference of each requirement points to the clause that
// governs, which is what an assessor reads.
//
// Evaluation takes plain values (Evidence) that the caller fills from its store; this package
// does no I/O beyond reading its embedded files.
package catalog

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed data/*.yaml data/*.schema.json
var dataFS embed.FS

// CRA classes of a product (Regulation (EU) 2024/2847 Art. 7 and 8, Annexes III and IV), spelt
// as the store and the API spell them.
const (
	ClassDefault     = "default"
	ClassImportantI  = "important-i"
	ClassImportantII = "important-ii"
	ClassCritical    = "critical"
)

// Product categories a requirement can apply to. AnyCategory matches every product; the others
// are ids of the controlled list (data/categories.yaml).
const (
	AnyCategory           = "any"
	CategoryRouter        = "router"
	CategorySmartConsumer = "smart-consumer-device"
)

// Levels of a requirement.
const (
	Mandatory   = "mandatory"
	Recommended = "recommended"
)

// How a requirement is evaluated.
const (
	// Automatic: the evaluators decide; an attestation stands in only when evidence is missing.
	Automatic = "automatic"
	// Partial: the evaluators can fail the requirement but not pass it on their own; a passing
	// check still needs an attestation for the part no tool can see.
	Partial = "partial"
	// AttestationOnly: a signed statement by an allowed role decides.
	AttestationOnly = "attestation"
)

// Standard is one catalog: a regulation or standard, the version modelled and its conditions.
type Standard struct {
	ID          string
	Title       string
	Version     string
	Description string
	File        string
	Conditions  []Condition
}

// Condition is a condition of a conditional requirement (ETSI EN 303 645 Table B.1, for one).
// When Fact is set, the condition holds when the product's declared fact of that name equals
// Holds; an undeclared fact leaves the condition open.
type Condition struct {
	ID    string
	Text  string
	Fact  string
	Holds bool
}

// Requirement is one requirement of a catalog.
type Requirement struct {
	ID         string // "<catalog>/<clause>", such as "etsi-en-303-645/5.1-1"
	Standard   string
	Reference  string // the clause, as the standard numbers it
	Title      string
	Summary    string // Siegel's own words
	Level      string // Mandatory or Recommended
	Conditions []string
	Categories []string
	CRAClasses []string
	Evidence   []string // kinds of evidence that bear on it
	Automation string
	Evaluators []string
	Params     map[string]string
	Attesters  []string // roles whose attestation counts
	// Document, when set, says what document an attestation of the requirement must carry (its
	// content, kept with the attestation); an attestation without it does not count.
	Document string
	// Unverified marks a reference that could not be checked against the published text of the
	// standard: an assessor must check it before quoting it.
	Unverified bool
	// Related lists the requirements this one corresponds to in other catalogs, both the ones
	// its own file names and the ones that name it, sorted.
	Related []string
}

// Conditional reports whether the requirement applies only under conditions.
func (r *Requirement) Conditional() bool { return len(r.Conditions) > 0 }

// Status is the requirement's status in the notation of ETSI EN 303 645 Annex B: "M", "R",
// "M C (1)", "R C (9, 12)".
func (r *Requirement) Status() string {
	s := "R"
	if r.Level == Mandatory {
		s = "M"
	}
	if r.Conditional() {
		s += " C (" + strings.Join(r.Conditions, ", ") + ")"
	}
	return s
}

// Catalog is a loaded, validated set of catalogs.
type Catalog struct {
	Standards    []Standard
	Requirements []*Requirement // sorted by id
	byID         map[string]*Requirement
	conditions   map[string]Condition // "<catalog>/<condition id>"
	categories   []Category
}

// Requirement returns the requirement with the id, or nil.
func (c *Catalog) Requirement(id string) *Requirement { return c.byID[id] }

// Of returns the requirements of one catalog, sorted by id.
func (c *Catalog) Of(standard string) []*Requirement {
	var out []*Requirement
	for _, r := range c.Requirements {
		if r.Standard == standard {
			out = append(out, r)
		}
	}
	return out
}

// Condition returns a condition of a catalog.
func (c *Catalog) Condition(standard, id string) (Condition, bool) {
	cond, ok := c.conditions[standard+"/"+id]
	return cond, ok
}

// Load reads and validates the catalogs embedded in Siegel.
func Load() (*Catalog, error) {
	schema, err := dataFS.ReadFile("data/catalog.schema.json")
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(dataFS, "data")
	if err != nil {
		return nil, err
	}
	return LoadFS(sub, schema)
}

// Schema returns the embedded JSON schema every catalog file is validated against.
func Schema() []byte {
	b, _ := dataFS.ReadFile("data/catalog.schema.json")
	return b
}

// LoadFS reads and validates every *.yaml file at the root of fsys against schema (JSON Schema
// 2020-12) and the cross-file rules. Errors are *Error values (joined when several files fail),
// naming the file and the field.
func LoadFS(fsys fs.FS, schema []byte) (*Catalog, error) {
	v, err := newValidator(schema)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	names = slices.DeleteFunc(names, func(n string) bool { return path.Base(n) == categoriesFile })
	if len(names) == 0 {
		return nil, fmt.Errorf("no catalog files (*.yaml)")
	}
	slices.Sort(names)
	cats, cf, own, err := loadCategories(fsys)
	if err != nil {
		return nil, err
	}
	var files []*file
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f, err := v.parse(path.Base(name), data)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	c, err := link(files)
	if err != nil {
		return nil, err
	}
	if err := c.linkCategories(cats, cf, files, own); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse validates one catalog file against schema and returns it as a catalog of its own. Its
// cross-references to other catalogs are not resolved (they name files it does not have).
func Parse(name string, data, schema []byte) (*Catalog, error) {
	v, err := newValidator(schema)
	if err != nil {
		return nil, err
	}
	f, err := v.parse(name, data)
	if err != nil {
		return nil, err
	}
	c, err := build([]*file{f}, false)
	if err != nil {
		return nil, err
	}
	cats, cf, _, err := loadCategories(dataFS)
	if err != nil {
		return nil, err
	}
	// The file's own catalog is the only one known here: the list's links to others are not checked.
	if err := c.linkCategories(cats, cf, []*file{f}, false); err != nil {
		return nil, err
	}
	return c, nil
}

func link(files []*file) (*Catalog, error) { return build(files, true) }

// build turns validated files into a catalog, checking what the schema cannot: unique ids,
// ids prefixed with their catalog, conditions and evaluators that exist, and (when resolve is
// set) cross-references that resolve.
func build(files []*file, resolve bool) (*Catalog, error) {
	c := &Catalog{byID: map[string]*Requirement{}, conditions: map[string]Condition{}}
	where := map[string]string{} // requirement id -> file
	seenCatalog := map[string]string{}
	for _, f := range files {
		d := f.doc
		if prev, ok := seenCatalog[d.Catalog]; ok {
			return nil, &Error{File: f.name, Field: "/catalog", Line: f.line("/catalog"), Msg: fmt.Sprintf("catalog %q is also defined in %s", d.Catalog, prev)}
		}
		seenCatalog[d.Catalog] = f.name
		st := Standard{ID: d.Catalog, Title: d.Title, Version: d.Version, Description: d.Description, File: f.name}
		for i, cd := range d.Conditions {
			key := d.Catalog + "/" + cd.ID
			if _, dup := c.conditions[key]; dup {
				field := fmt.Sprintf("/conditions/%d/id", i)
				return nil, &Error{File: f.name, Field: field, Line: f.line(field), Msg: fmt.Sprintf("condition %q is defined twice", cd.ID)}
			}
			cond := Condition{ID: cd.ID, Text: cd.Text, Fact: cd.Fact, Holds: cd.Holds == nil || *cd.Holds}
			c.conditions[key] = cond
			st.Conditions = append(st.Conditions, cond)
		}
		c.Standards = append(c.Standards, st)
		for i, rd := range d.Requirements {
			at := func(field string) *Error {
				p := fmt.Sprintf("/requirements/%d%s", i, field)
				return &Error{File: f.name, Field: p, Line: f.line(p)}
			}
			if !strings.HasPrefix(rd.ID, d.Catalog+"/") {
				e := at("/id")
				e.Msg = fmt.Sprintf("requirement id %q must start with the catalog name %q", rd.ID, d.Catalog+"/")
				return nil, e
			}
			if prev, dup := where[rd.ID]; dup {
				e := at("/id")
				e.Msg = fmt.Sprintf("requirement id %q is also defined in %s", rd.ID, prev)
				return nil, e
			}
			where[rd.ID] = f.name
			for j, cid := range rd.Conditions {
				if _, ok := c.conditions[d.Catalog+"/"+cid]; !ok {
					e := at(fmt.Sprintf("/conditions/%d", j))
					e.Msg = fmt.Sprintf("condition %q is not defined under conditions", cid)
					return nil, e
				}
			}
			for j, name := range rd.Evaluators {
				ev, ok := evaluators[name]
				if !ok {
					e := at(fmt.Sprintf("/evaluators/%d", j))
					e.Msg = fmt.Sprintf("no evaluator named %q (known: %s)", name, strings.Join(EvaluatorNames(), ", "))
					return nil, e
				}
				for _, p := range ev.params {
					if rd.Params[p] == "" {
						e := at("/params")
						e.Msg = fmt.Sprintf("evaluator %q needs the parameter %q", name, p)
						return nil, e
					}
				}
			}
			r := &Requirement{
				ID: rd.ID, Standard: d.Catalog, Reference: rd.Reference, Title: rd.Title, Summary: strings.TrimSpace(rd.Summary),
				Level: rd.Status, Conditions: rd.Conditions, Evidence: rd.Evidence, Automation: rd.Automation,
				Evaluators: rd.Evaluators, Params: rd.Params, Related: slices.Clone(rd.Related),
				Categories: d.Applies.Categories, CRAClasses: d.Applies.CRAClasses, Attesters: d.Attesters,
				Document: strings.TrimSpace(rd.Document), Unverified: rd.Unverified,
			}
			if rd.Applies != nil {
				if rd.Applies.Categories != nil {
					r.Categories = rd.Applies.Categories
				}
				if rd.Applies.CRAClasses != nil {
					r.CRAClasses = rd.Applies.CRAClasses
				}
			}
			if len(r.CRAClasses) == 0 {
				r.CRAClasses = []string{ClassDefault, ClassImportantI, ClassImportantII, ClassCritical}
			}
			if rd.Attesters != nil {
				r.Attesters = rd.Attesters
			}
			if len(r.Attesters) == 0 {
				r.Attesters = []string{"manufacturer-admin", "psirt", "auditor"}
			}
			c.byID[r.ID] = r
			c.Requirements = append(c.Requirements, r)
		}
	}
	if resolve {
		// Every cross-reference must resolve; the catalog then holds each link both ways, so a
		// file need name a correspondence only once.
		for _, f := range files {
			for i, rd := range f.doc.Requirements {
				for j, to := range rd.Related {
					if to == rd.ID {
						p := fmt.Sprintf("/requirements/%d/related/%d", i, j)
						return nil, &Error{File: f.name, Field: p, Line: f.line(p), Msg: "a requirement cannot relate to itself"}
					}
					target, ok := c.byID[to]
					if !ok {
						p := fmt.Sprintf("/requirements/%d/related/%d", i, j)
						return nil, &Error{File: f.name, Field: p, Line: f.line(p), Msg: fmt.Sprintf("cross-reference %q does not resolve to any requirement", to)}
					}
					if !slices.Contains(target.Related, rd.ID) {
						target.Related = append(target.Related, rd.ID)
					}
				}
			}
		}
	}
	for _, r := range c.Requirements {
		slices.Sort(r.Related)
		r.Related = slices.Compact(r.Related)
	}
	slices.SortFunc(c.Requirements, func(a, b *Requirement) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(c.Standards, func(a, b Standard) int { return strings.Compare(a.ID, b.ID) })
	return c, nil
}

// Facts returns the names of the product facts that settle the catalogs' conditions, sorted.
func (c *Catalog) Facts() []string {
	var out []string
	for _, cond := range c.conditions {
		if cond.Fact != "" && !slices.Contains(out, cond.Fact) {
			out = append(out, cond.Fact)
		}
	}
	slices.Sort(out)
	return out
}
