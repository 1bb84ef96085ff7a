package extract

func osExtractors() []Extractor { return nil }
