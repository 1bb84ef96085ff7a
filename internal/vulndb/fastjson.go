package vulndb

import (
	"encoding/json"

	gojson "github.com/goccy/go-json"
)

// unmarshalRecord decodes a stored record (written by Siegel itself, so well-formed) with the
// faster goccy/go-json decoder, falling back to encoding/json if it fails or panics.
func unmarshalRecord(data []byte, r *Record) (err error) {
	defer func() {
		if recover() != nil {
			*r = Record{}
			err = json.Unmarshal(data, r)
		}
	}()
	if gojson.Unmarshal(data, r) != nil {
		*r = Record{}
		return json.Unmarshal(data, r)
	}
	return nil
}
