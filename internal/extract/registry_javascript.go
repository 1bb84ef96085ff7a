package extract

func javascriptExtractors() []Extractor { return nil }
