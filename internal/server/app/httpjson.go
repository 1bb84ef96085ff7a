package app

import "github.com/siegel-oss/siegel/internal/server/httpjson"

// The JSON conventions of every endpoint (httpjson), under the names the handlers use.
var (
	writeJSON  = httpjson.Write
	writeError = httpjson.Error
)
