package ledger

// Statement types of corrections: what was entered about a product, a release or its SBOMs was
// changed or removed (a release entered by mistake), with the old and new values and the reason in the statement.
const (
	ProductCorrected = "product-corrected"
	ReleaseCorrected = "release-corrected"
	SBOMWithdrawn    = "sbom-withdrawn"
	ReleaseWithdrawn = "release-withdrawn"
)
