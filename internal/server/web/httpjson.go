package web

import "github.com/siegel-oss/siegel/internal/server/httpjson"

// The JSON conventions (httpjson) under the names the handlers use: a few page routes answer
// in JSON (the label register, the inventory export).
var (
	writeJSON  = httpjson.Write
	writeError = httpjson.Error
	decodeJSON = httpjson.Decode
	pathID     = httpjson.PathID
)
