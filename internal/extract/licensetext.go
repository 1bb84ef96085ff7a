package extract

import (
	"archive/zip"
	"io"
	"path"
	"slices"
	"strings"
)

// maxLicenseFileBytes bounds a licence file read from a module zip.
const maxLicenseFileBytes = 1 << 20

// licenseRule names a licence by sentences its text must hold. The sentences are the licences'
// own operative wording, lower-cased with punctuation taken out; a text that holds the sentences
// of more than one licence, or of none, is not named.
type licenseRule struct {
	id   string
	all  []string // every one must occur
	none []string // none may occur
}

// The BSD licences share their conditions sentence; the third clause (no endorsement) makes the
// 3-clause licence, the advertising clause the 4-clause one, which no rule names.
const (
	bsdConditions  = "redistribution and use in source and binary forms with or without modification are permitted provided that the following conditions are met"
	bsdEndorse     = "to endorse or promote products derived from this software"
	bsdAdvertising = "all advertising materials"
)

var licenseRules = []licenseRule{
	{id: "Apache-2.0", all: []string{"apache license version 2 0", "terms and conditions for use reproduction and distribution"}},
	{id: "MIT", all: []string{
		"permission is hereby granted free of charge to any person obtaining a copy of this software and associated documentation files",
		"the above copyright notice and this permission notice shall be included in all copies or substantial portions of the software"}},
	{id: "BSD-3-Clause", all: []string{bsdConditions, bsdEndorse}, none: []string{bsdAdvertising}},
	{id: "BSD-2-Clause", all: []string{bsdConditions}, none: []string{bsdEndorse, bsdAdvertising}},
	{id: "ISC", all: []string{"permission to use copy modify and or distribute this software for any purpose with or without fee is hereby granted"}},
	{id: "MPL-2.0", all: []string{"mozilla public license version 2 0"}},
}

// mentions are names of licences in a text: a text that names a licence whose rule it does not
// satisfy (the Apache notice beside the MIT text, a GPL) holds more than one licence, or one the
// rules do not know, and is not named.
var mentions = map[string]string{
	"apache license": "Apache-2.0", "mozilla public license": "MPL-2.0",
	"gnu general public license": "", "gnu lesser general public license": "", "gnu affero general public license": "",
	"gnu library general public license": "", "eclipse public license": "", "common development and distribution license": "",
	"creative commons": "", "artistic license": "", "european union public licence": "",
}

// classifyLicenseText returns the SPDX id of the one licence text holds, or "".
func classifyLicenseText(text string) string {
	norm := normalizeLicenseText(text)
	var found []string
	for _, r := range licenseRules {
		if allContained(norm, r.all) && !slices.ContainsFunc(r.none, func(s string) bool { return strings.Contains(norm, s) }) {
			found = append(found, r.id)
		}
	}
	if len(found) != 1 {
		return ""
	}
	for m, id := range mentions {
		if strings.Contains(norm, m) && id != found[0] {
			return ""
		}
	}
	return found[0]
}

func allContained(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// normalizeLicenseText lower-cases text and turns every run of characters other than letters
// and digits into one space, so that line breaks, quotes and punctuation do not matter.
func normalizeLicenseText(text string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(text) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// isLicenseFileName reports whether a file at a module's root is a licence file.
func isLicenseFileName(name string) bool {
	n := strings.ToUpper(name)
	return strings.HasPrefix(n, "LICENSE") || strings.HasPrefix(n, "LICENCE") || strings.HasPrefix(n, "COPYING")
}

// moduleZipLicense names the licence of a Go module zip from the licence files at its root
// (prefix is "path@version/"): every one must name exactly one licence; several licences are
// joined with AND (all apply to parts of the module). It returns "" when any file is not named.
func moduleZipLicense(zipPath, prefix string) (expr string, files []string) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return "", nil
	}
	defer zr.Close()
	var ids []string
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, prefix+"LICENSES/") {
			return "", nil // a REUSE layout: each file states its own licence
		}
	}
	for _, f := range zr.File {
		rest, ok := strings.CutPrefix(f.Name, prefix)
		if !ok || strings.Contains(rest, "/") || !isLicenseFileName(rest) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", nil
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxLicenseFileBytes))
		rc.Close()
		if err != nil {
			return "", nil
		}
		id := classifyLicenseText(string(data))
		if id == "" {
			return "", nil
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
		files = append(files, path.Base(rest))
	}
	slices.Sort(ids)
	return strings.Join(ids, " AND "), files
}
