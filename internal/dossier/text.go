package dossier

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// clean makes an input string safe to lay out: invalid UTF-8 becomes U+FFFD, carriage returns
// and other control characters become spaces (line feeds stay, they separate address lines),
// and surrounding space is trimmed. Escaping for HTML is html/template's job, not this one's.
func clean(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	ok := true
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || r == utf8.RuneError) {
			ok = false
			break
		}
	}
	if !ok {
		s = strings.Map(func(r rune) rune {
			if r == '\n' {
				return r
			}
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	return strings.TrimSpace(s)
}

func cleanAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// sanitizeDoc applies clean to every string of the document, so neither renderer sees a control
// character or invalid UTF-8 from the input.
func sanitizeDoc(d document) document {
	d.Title, d.Subtitle, d.Generated = clean(d.Title), clean(d.Subtitle), clean(d.Generated)
	d.Notices = cleanAll(d.Notices)
	d.Sections = sanitizeSections(d.Sections)
	return d
}

func sanitizeSections(ss []section) []section {
	if ss == nil {
		return nil
	}
	out := make([]section, len(ss))
	for i, s := range ss {
		s.Title, s.Ref = clean(s.Title), clean(s.Ref)
		fs := make([]field, len(s.Fields))
		for j, f := range s.Fields {
			fs[j] = field{Label: clean(f.Label), Value: clean(f.Value), Todo: clean(f.Todo)}
		}
		s.Fields = fs
		s.Paras, s.Items, s.Todo = cleanAll(s.Paras), cleanAll(s.Items), cleanAll(s.Todo)
		vs := make([]verdictRow, len(s.Verdicts))
		for j, v := range s.Verdicts {
			vs[j] = verdictRow{Requirement: clean(v.Requirement), Source: clean(v.Source), Level: clean(v.Level),
				Result: clean(v.Result), Reason: clean(v.Reason), Class: v.Class}
		}
		s.Verdicts = vs
		s.Subs = sanitizeSections(s.Subs)
		out[i] = s
	}
	return out
}
