package extract

func goExtractors() []Extractor { return nil }
