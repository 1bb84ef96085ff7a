package extract

import "slices"

// Default returns every extractor Siegel has, in a fixed order.
func Default() []Extractor {
	return slices.Concat(
		goExtractors(),
		javascriptExtractors(),
		pythonExtractors(),
		otherLanguageExtractors(),
		osExtractors(),
	)
}
