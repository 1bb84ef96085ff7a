package extract

import (
	"strings"
	"testing"
)

// Licence texts as projects ship them (the SPDX templates with a copyright line filled in), and
// combinations a module's licence file holds in practice.
const (
	mitText = `MIT License

Copyright (c) 2024 Example Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.`

	bsd2Text = `Copyright (c) 2017, Example B.V.
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS".`

	bsd3Clause = `
   * Neither the names of the authors nor the names of the
     contributors may be used to endorse or promote products derived from
     this software without specific prior written permission.
`
	iscText = `Copyright (c) 2020 Example

Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.`

	apacheNotice = `Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.`
)

func TestClassifyLicenseText(t *testing.T) {
	for _, tt := range []struct {
		name, text, want string
	}{
		{"MIT", mitText, "MIT"},
		{"BSD-2-Clause", bsd2Text, "BSD-2-Clause"},
		{"BSD-3-Clause, names in the plural", bsd2Text + bsd3Clause, "BSD-3-Clause"},
		{"BSD with the advertising clause", bsd2Text + bsd3Clause + "3. All advertising materials mentioning features or use of this software must display", ""},
		{"ISC", iscText, "ISC"},
		// yaml.v3's file: the MIT text and the Apache notice for other parts. Two licences, one
		// of them only named: not one licence.
		{"MIT and an Apache notice", mitText + "\n\n" + apacheNotice, ""},
		{"MIT and the GPL named", mitText + "\nParts are under the GNU General Public License.", ""},
		{"two licence texts", mitText + "\n" + iscText, ""},
		{"no licence", "All rights reserved.", ""},
	} {
		if got := classifyLicenseText(tt.text); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func FuzzClassifyLicenseText(f *testing.F) {
	for _, s := range []string{mitText, bsd2Text + bsd3Clause, iscText, mitText + apacheNotice, ""} {
		f.Add(s)
	}
	known := map[string]bool{"": true}
	for _, r := range licenseRules {
		known[r.id] = true
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := classifyLicenseText(text)
		if !known[got] {
			t.Fatalf("named %q, which no rule names", got)
		}
		// Case, punctuation and line breaks never change the answer (for ASCII text: Unicode
		// case mappings such as U+017F to "S" change letters, not just case).
		if strings.ContainsFunc(text, func(r rune) bool { return r >= 0x80 }) {
			return
		}
		if again := classifyLicenseText(strings.ToUpper(strings.ReplaceAll(text, " ", "\n"))); again != got {
			t.Fatalf("%q upper-cased and re-wrapped gives %q", got, again)
		}
	})
}
