package extract

func javascriptExtractors() []Extractor { return []Extractor{lockNPM{}, lockYarn{}, lockPnpm{}} }
