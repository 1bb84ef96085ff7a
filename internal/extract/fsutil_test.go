package extract

import "io/fs"

var (
	fs_Stat     = fs.Stat
	fs_ReadFile = fs.ReadFile
)

// Cases added by the files of other ecosystems.
var (
	otherGoldenCases []struct {
		file string
		ex   Extractor
	}
	otherFuzzSeeds []string
)
