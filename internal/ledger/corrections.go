package ledger

// Statement types of corrections: what was entered about a product, a release or its SBOMs was
// changed or removed (a release or a product entered by mistake), with the old and new values and the reason in the statement.
const (
	ProductCorrected = "product-corrected"
	ReleaseCorrected = "release-corrected"
	SBOMWithdrawn    = "sbom-withdrawn"
	ReleaseWithdrawn = "release-withdrawn"
	ProductWithdrawn = "product-withdrawn"
	// LabelRestated: a label's statement was signed again because what it states about the
	// release or the product (version, support end, name, category, CRA class) was corrected.
	LabelRestated = "label-restated"
	// UserRoleChanged: an administrator gave a user another role, which decides who may
	// triage, report and publish for the organization.
	UserRoleChanged = "user-role-changed"
)
