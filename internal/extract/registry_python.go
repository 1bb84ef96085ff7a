package extract

func pythonExtractors() []Extractor { return nil }
