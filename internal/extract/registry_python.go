package extract

func pythonExtractors() []Extractor {
	return []Extractor{pyRequirements{}, lockPoetry{}, lockPipfile{}, lockUV{}}
}
