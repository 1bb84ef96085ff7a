package catalog

// Conformity assessment procedures of the CRA (Art. 32 and Annex VIII).
const (
	ModuleA      = "module-a"                       // internal control (Annex VIII Part I)
	ModuleBC     = "module-b+c"                     // EU-type examination followed by conformity to type based on internal production control (Parts II and III)
	ModuleH      = "module-h"                       // conformity based on full quality assurance (Part IV)
	EUCertScheme = "eu-cybersecurity-certification" // a European cybersecurity certification scheme under Regulation (EU) 2019/881
)

// RouteOption is one procedure a manufacturer may follow, with the provision that allows it and
// the condition under which it may.
type RouteOption struct {
	Procedure string
	Basis     string
	When      string // "" when unconditional
}

// Route is the conformity assessment route of a CRA class.
type Route struct {
	Class   string
	Known   bool // false for a class the CRA does not have
	Options []RouteOption
	Reasons []string
}

// ConformityRoute returns the procedures open to a product of the CRA class (Regulation (EU)
// 2024/2847 Art. 32), with the reasons. The classes are Art. 7 (important products, Annex III
// classes I and II) and Art. 8 (critical products, Annex IV); everything else is default.
func ConformityRoute(class string) Route {
	r := Route{Class: class, Known: true}
	switch class {
	case ClassDefault:
		r.Options = []RouteOption{
			{Procedure: ModuleA, Basis: "Art. 32(1)(a)"},
			{Procedure: ModuleBC, Basis: "Art. 32(1)(b)"},
			{Procedure: ModuleH, Basis: "Art. 32(1)(c)"},
			{Procedure: EUCertScheme, Basis: "Art. 32(1)(d)", When: "a scheme applicable under Art. 27(9) exists"},
		}
		r.Reasons = []string{
			"a product outside Annexes III and IV may be self-assessed by the manufacturer (internal control, module A)",
			"third-party procedures (B+C, H) or a European cybersecurity certificate remain open if the manufacturer prefers them",
		}
	case ClassImportantI:
		r.Options = []RouteOption{
			{Procedure: ModuleA, Basis: "Art. 32(2)", When: "harmonised standards, common specifications or a European cybersecurity certification scheme (assurance level at least substantial) covering all essential requirements were applied in full"},
			{Procedure: ModuleBC, Basis: "Art. 32(2)(a)"},
			{Procedure: ModuleH, Basis: "Art. 32(2)(b)"},
			{Procedure: EUCertScheme, Basis: "Art. 32(1)(d), 32(2)", When: "at assurance level at least substantial"},
		}
		r.Reasons = []string{
			"important product of Annex III class I (routers, modems and switches among them, Art. 7(1))",
			"self-assessment is allowed only where harmonised standards, common specifications or certification at level substantial or higher were applied in full; applied in part or not at all, the product goes to a notified body (B+C or H)",
			"free and open-source software made available with public technical documentation may use module A (Art. 32(5))",
		}
	case ClassImportantII:
		r.Options = []RouteOption{
			{Procedure: ModuleBC, Basis: "Art. 32(3)(a)"},
			{Procedure: ModuleH, Basis: "Art. 32(3)(b)"},
			{Procedure: EUCertScheme, Basis: "Art. 32(3)(c)", When: "a scheme applicable under Art. 27(9), at assurance level at least substantial"},
		}
		r.Reasons = []string{
			"important product of Annex III class II: a notified body is always involved (B+C or H), or a European cybersecurity certificate at level substantial or higher",
			"free and open-source software made available with public technical documentation may use module A (Art. 32(5))",
		}
	case ClassCritical:
		r.Options = []RouteOption{
			{Procedure: EUCertScheme, Basis: "Art. 8(1), 32(4)", When: "a delegated act under Art. 8(1) requires a European cybersecurity certificate (assurance level at least substantial) for the product"},
			{Procedure: ModuleBC, Basis: "Art. 32(4), 32(3)(a)", When: "no European cybersecurity certificate is required under Art. 8(1)"},
			{Procedure: ModuleH, Basis: "Art. 32(4), 32(3)(b)", When: "no European cybersecurity certificate is required under Art. 8(1)"},
		}
		r.Reasons = []string{
			"critical product of Annex IV: where the Commission has required certification by delegated act (Art. 8(1)), conformity is shown by a European cybersecurity certificate at level substantial or higher",
			"until such an act applies to the product, the procedures of important class II apply (B+C or H)",
		}
	default:
		r.Known = false
		r.Reasons = []string{"unknown CRA class " + quote(class) + ": want default, important-i, important-ii or critical"}
	}
	return r
}

func quote(s string) string { return "\"" + s + "\"" }
