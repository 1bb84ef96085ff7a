package extract

func otherLanguageExtractors() []Extractor { return nil }
