package vulndb

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
)

// UnusableField is a field of an imported record that could not be read (a time that is not
// RFC 3339, a string where a list belongs...). The record is kept without it: only the fields
// matching needs (id, affected packages, their ranges and versions) cost a record when unreadable.
type UnusableField struct {
	Pointer string `json:"pointer"` // JSON pointer of the field in the record, such as "/modified"
	Err     string `json:"error"`
}

// neededTop and neededAffected are the fields without which a record cannot be matched.
var (
	neededTop      = []string{"id", "affected"}
	neededAffected = []string{"package", "ranges", "versions"}
)

// decodeLenient decodes a record field by field, after the strict decoding failed on a value of
// the wrong type. A field matching does not need is left at its zero value and listed in
// r.Unusable; an unreadable needed field fails the record with the field's position.
func (r *Record) decodeLenient(name string, data []byte) error {
	*r = Record{}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return input.JSONError(name, data, err)
	}
	fields := map[string]any{
		"schema_version": &r.SchemaVersion, "id": &r.ID, "modified": &r.Modified, "published": &r.Published,
		"withdrawn": &r.Withdrawn, "aliases": &r.Aliases, "related": &r.Related, "upstream": &r.Upstream,
		"summary": &r.Summary, "details": &r.Details, "severity": &r.Severity, "references": &r.References,
		"database_specific": &r.DatabaseSpecific,
	}
	if err := decodeFields(name, "", top, fields, neededTop, &r.Unusable); err != nil {
		return err
	}
	raw, ok := top["affected"]
	if !ok || string(raw) == "null" {
		return nil
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return &input.Error{File: name, Pointer: "/affected", Rule: "OSV schema", Err: errors.New("affected is not a list")}
	}
	r.Affected = make([]Affected, len(entries))
	for i, e := range entries {
		a := &r.Affected[i]
		var m map[string]json.RawMessage
		at := fmt.Sprintf("/affected/%d", i)
		if err := json.Unmarshal(e, &m); err != nil {
			return &input.Error{File: name, Pointer: at, Rule: "OSV schema", Err: errors.New("affected entry is not an object")}
		}
		fields := map[string]any{
			"package": &a.Package, "severity": &a.Severity, "ranges": &a.Ranges, "versions": &a.Versions,
			"ecosystem_specific": &a.EcosystemSpecific, "database_specific": &a.DatabaseSpecific,
		}
		if err := decodeFields(name, at, m, fields, neededAffected, &r.Unusable); err != nil {
			return err
		}
	}
	return nil
}

// decodeFields decodes each known member of obj into its destination in fields. Members are
// visited in name order, so the unusable list is the same on every import.
func decodeFields(name, at string, obj map[string]json.RawMessage, fields map[string]any, needed []string, unusable *[]UnusableField) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if _, ok := fields[k]; ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		dst := fields[k]
		err := json.Unmarshal(obj[k], dst)
		if err == nil {
			continue
		}
		reflect.ValueOf(dst).Elem().SetZero()
		msg := fieldError(err)
		if slices.Contains(needed, k) {
			return &input.Error{File: name, Pointer: at + "/" + k, Rule: "OSV schema", Err: errors.New(msg)}
		}
		*unusable = append(*unusable, UnusableField{Pointer: at + "/" + k, Err: msg})
	}
	return nil
}

// fieldError says in the schema's terms why a field could not be read.
func fieldError(err error) string {
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &pe):
		return fmt.Sprintf("%q is not an RFC 3339 time", pe.Value)
	case errors.As(err, &te):
		want := "a " + te.Type.Kind().String()
		switch te.Type.Kind() {
		case reflect.Slice, reflect.Array:
			want = "a list"
		case reflect.Map, reflect.Struct:
			want = "an object"
		}
		return fmt.Sprintf("a JSON %s where the OSV schema wants %s", te.Value, want)
	}
	return err.Error()
}
