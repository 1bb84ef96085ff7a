package ledger

// Statement types of corrections: what was entered about a product, a release or its SBOMs was
// changed or removed, with the old and new values and the reason in the statement.
const (
	ProductCorrected = "product-corrected"
	ReleaseCorrected = "release-corrected"
	SBOMWithdrawn    = "sbom-withdrawn"
)
