package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger/ledgertest"
	"github.com/siegel-oss/siegel/internal/store"
)

func TestCaseDeadlines(t *testing.T) {
	holidays := filepath.Join(t.TempDir(), "holidays.txt")
	os.WriteFile(holidays, []byte("# Christmas\n2026-12-25\n2026-12-26\n"), 0o644)
	const utcNote = "counting in UTC with no public holidays"
	for _, tc := range []struct {
		args           []string
		want, inStderr string
		code           int
	}{
		// Reg. 1182/71 Art. 3(1), 3(2)(a): 08:30 gives 09:00; without a Member State, UTC.
		{[]string{"--type", "exploited", "--aware", "2026-09-11T08:30:00Z", "--fix-available", "2026-09-18T10:00:00Z"},
			"early-warning\t2026-09-12T09:00:00Z\nnotification\t2026-09-14T09:00:00Z\nfinal-report\t2026-10-03T00:00:00Z\n", utcNote, 0},
		// The fix at 00:30 CEST on Sat 19 Sep: last day Sat 3 Oct, a German holiday, so Mon 5 Oct 24:00 (Art. 3(4)).
		{[]string{"--member-state", "DE", "--type", "exploited", "--aware", "2026-09-11T08:30:00+02:00", "--fix-available", "2026-09-19T00:30:00+02:00"},
			"early-warning\t2026-09-12T09:00:00+02:00\nnotification\t2026-09-14T09:00:00+02:00\nfinal-report\t2026-10-06T00:00:00+02:00\n", "", 0},
		{[]string{"--member-state", "DE", "--conservative", "--type", "exploited", "--aware", "2026-09-11T08:30:00+02:00", "--fix-available", "2026-09-19T00:30:00+02:00"},
			"early-warning\t2026-09-12T08:30:00+02:00\nnotification\t2026-09-14T08:30:00+02:00\nfinal-report\t2026-10-03T00:30:00+02:00\n", "", 0},
		// Corpus Christi, Thu 27 May 2027, is a holiday in Bavaria.
		{[]string{"--member-state", "de", "--region", "BY", "--type", "exploited", "--aware", "2027-05-13T09:00:00+02:00", "--fix-available", "2027-05-13T10:00:00+02:00"},
			"early-warning\t2027-05-14T10:00:00+02:00\nnotification\t2027-05-16T10:00:00+02:00\nfinal-report\t2027-05-29T00:00:00+02:00\n", "", 0},
		// Days from a file add to the calendar: 25 and 26 Dec, then Sunday: Mon 28 Dec.
		{[]string{"--type", "exploited", "--aware", "2026-12-01T09:00:00Z", "--fix-available", "2026-12-11T09:00:00Z", "--holidays", holidays},
			"early-warning\t2026-12-02T10:00:00Z\nnotification\t2026-12-04T10:00:00Z\nfinal-report\t2026-12-29T00:00:00Z\n", utcNote, 0},
		{[]string{"--type", "incident", "--aware", "2026-11-10T07:00:00Z"},
			"early-warning\t2026-11-11T08:00:00Z\nnotification\t2026-11-13T08:00:00Z\nfinal-report\t-\n", utcNote, 0},
		{[]string{"--member-state", "UK", "--type", "incident", "--aware", "2026-11-10T07:00:00Z"}, "", "AT, BE, BG", 2},
		{[]string{"--region", "BY", "--type", "incident", "--aware", "2026-11-10T07:00:00Z"}, "", "--region needs --member-state", 2},
		{[]string{"--type", "incident"}, "", "", 2},
		{[]string{"--type", "exploited", "--aware", "yesterday"}, "", "", 2},
	} {
		var out, errOut bytes.Buffer
		code := Run(t.Context(), append([]string{"case", "deadlines"}, tc.args...), nil, &out, &errOut, func(string) string { return "" })
		if code != tc.code || out.String() != tc.want || !strings.Contains(errOut.String(), tc.inStderr) {
			t.Errorf("%v: exit %d, output\n%s(stderr %s), want exit %d and\n%s(stderr with %q)", tc.args, code, out.String(), errOut.String(), tc.code, tc.want, tc.inStderr)
		}
		if code == 0 && tc.inStderr == "" && strings.Contains(errOut.String(), utcNote) {
			t.Errorf("%v: the UTC note with a Member State given", tc.args)
		}
	}
	var out bytes.Buffer
	Run(t.Context(), []string{"case", "deadlines", "--member-state", "DE", "--explain", "--type", "exploited", "--aware", "2026-09-11T08:30:00+02:00", "--fix-available", "2026-09-19T00:30:00+02:00"},
		nil, &out, &out, func(string) string { return "" })
	if s := out.String(); !strings.Contains(s, "Art. 14(2)(c)") || !strings.Contains(s, "DE (Europe/Berlin), public holidays of Germany") || !strings.Contains(s, "Day of German Unity") {
		t.Errorf("--explain: %s", s)
	}
}

func TestParseHolidays(t *testing.T) {
	days, err := parseHolidays(strings.NewReader("# Bulgaria, decree\n\n 2026-12-31 \n2027-01-04\n"), "bg.txt")
	if err != nil || len(days) != 2 || days[1].Date.Format(time.DateOnly) != "2027-01-04" {
		t.Errorf("%v %v", days, err)
	}
	if _, err := parseHolidays(strings.NewReader("2026-12-31\n31.12.2026\n"), "bg.txt"); err == nil || !strings.Contains(err.Error(), "bg.txt:2:") {
		t.Errorf("a bad date: %v", err)
	}
	if _, err := parseHolidays(strings.NewReader(strings.Repeat("# many comments\n", maxHolidayBytes/16+1)), "big.txt"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a file over the limit: %v", err)
	}
}

func FuzzParseHolidays(f *testing.F) {
	f.Add([]byte("# Christmas\n2026-12-25\n2026-12-26\n"))
	f.Add([]byte("2026-02-30\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		days, err := parseHolidays(bytes.NewReader(b), "fuzz.txt")
		if err == nil && len(days) > len(b)/10+1 {
			t.Errorf("%d days from %d bytes", len(days), len(b))
		}
	})
}

func TestCaseListShowSubmit(t *testing.T) {
	data := t.TempDir()
	env := func(string) string { return "" }
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Run(t.Context(), args, nil, &out, &errOut, env)
		return code, out.String() + errOut.String()
	}
	if code, out := run("token", "create", "--data", data, "--org", "ACME", "--role", "admin", "--size", "micro"); code != 0 {
		t.Fatal(out)
	}
	st, err := openStore(t.Context(), &Env{Now: time.Now}, data, "")
	if err != nil {
		t.Fatal(err)
	}
	org, _ := st.OrganizationByName(t.Context(), "ACME")
	c, err := st.OpenIncident(t.Context(), org.ID, 0, "Update server breached", time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC))
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(c.ID, 10)
	code, out := run("case", "list", "--data", data, "--org", "ACME")
	if code != 0 || !strings.Contains(out, id+"\tincident\topen\tearly-warning\t2026-11-21T09:00:00Z") {
		t.Errorf("list: %d %s", code, out)
	}
	if code, out := run("case", "submit", "--data", data, "--org", "ACME", "--stage", "early-warning", "--receipt", "SRP-1", "--by", "lead@acme.example", id); code != 0 {
		t.Fatalf("submit: %s", out)
	}
	code, out = run("case", "show", "--data", data, "--org", "ACME", id)
	if code != 0 || !strings.Contains(out, `"receipt": "SRP-1"`) || !strings.Contains(out, `"fineExemptionEarlyWarning": true`) {
		t.Errorf("show: %d %s", code, out)
	}
	if code, out := run("case", "show", "--data", data, "--org", "Globex", id); code == 0 {
		t.Errorf("another organization's case shown: %s", out)
	}
}

func TestAdvisoryPublishList(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Run(t.Context(), args, nil, &out, &errOut, func(string) string { return "" })
		return code, out.String() + errOut.String()
	}
	run("token", "create", "--data", data, "--org", "ACME", "--role", "admin")
	st, err := openStore(t.Context(), &Env{Now: time.Now}, data, "")
	if err != nil {
		t.Fatal(err)
	}
	org, _ := st.OrganizationByName(t.Context(), "ACME")
	prod, _ := st.CreateProduct(t.Context(), org.ID, "HomeRouter X1", "router", "default")
	rel, _ := st.CreateRelease(t.Context(), prod.ID, "4.2.0", "2026-03-01", "2031-12")
	if _, err := st.ApplyFindings(t.Context(), rel.ID, nil, []store.Finding{{Vulnerability: "CVE-2026-2002", PURL: "pkg:golang/example.com/web@v1.9.2",
		Severity: "HIGH", Data: []byte(`{"id":"CVE-2026-2002","summary":"Request smuggling","package":{"purl":"pkg:golang/example.com/web@v1.9.2"},"severity":"HIGH","records":["GO-1"]}`)}}, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// The finding has no CVSS v3 vector: the publisher states the severity (CRA Annex I Part II (4)).
	if code, out := run("advisory", "publish", "--data", data, "--org", "ACME", "--product", "HomeRouter X1", "--base-url", "https://siegel.acme.example", "CVE-2026-2002"); code != 1 || !strings.Contains(out, "--cvss") {
		t.Errorf("publish without a severity: %d %s", code, out)
	}
	code, out := run("advisory", "publish", "--data", data, "--org", "ACME", "--product", "HomeRouter X1", "--base-url", "https://siegel.acme.example",
		"--cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVE-2026-2002")
	year := time.Now().UTC().Year()
	if code != 0 || !strings.Contains(out, fmt.Sprintf("ACME-SA-%d-0001 version 1\thttps://siegel.acme.example/.well-known/csaf/white/%d/acme-sa-%d-0001.json", year, year, year)) {
		t.Fatalf("publish: %d %s", code, out)
	}
	if code, out := run("advisory", "list", "--data", data, "--org", "ACME"); code != 0 || !strings.Contains(out, "\tCVE-2026-2002\tHomeRouter X1: Request smuggling") {
		t.Errorf("list: %d %s", code, out)
	}
	if code, _ := run("advisory", "publish", "--data", data, "--org", "ACME", "--product", "Nope", "--base-url", "https://x.example", "CVE-2026-2002"); code != 1 {
		t.Errorf("unknown product: %d", code)
	}
}

func TestLedgerExportVerify(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Run(t.Context(), args, nil, &out, &errOut, func(string) string { return "" })
		return code, out.String() + errOut.String()
	}
	run("token", "create", "--data", data, "--org", "ACME", "--role", "admin")
	st, err := openStore(t.Context(), &Env{Now: time.Now}, data, "")
	if err != nil {
		t.Fatal(err)
	}
	org, _ := st.OrganizationByName(t.Context(), "ACME")
	c, _ := st.OpenIncident(t.Context(), org.ID, 0, "Update server breached", time.Now().Add(-time.Hour))
	st.Close()
	id := strconv.FormatInt(c.ID, 10)
	if code, out := run("case", "submit", "--data", data, "--org", "ACME", "--stage", "early-warning", "--receipt", "SRP-1", "--by", "lead@acme.example", id); code != 0 {
		t.Fatal(out)
	}
	bundle := filepath.Join(t.TempDir(), "case.bundle.json")
	if code, out := run("ledger", "export", "--data", data, "--org", "ACME", "--subject", "case/"+id, "--out", bundle); code != 0 || !strings.Contains(out, "1 statements") {
		t.Fatalf("export: %d %s", code, out)
	}
	code, out := run("ledger", "verify", bundle)
	if code != 0 || !strings.Contains(out, "case-stage-submitted\tcase/"+id+"\tcli:lead@acme.example") || !strings.Contains(out, `"receipt":"SRP-1"`) {
		t.Errorf("verify: %d %s", code, out)
	}
	if !strings.Contains(out, "complete for subject case/"+id+": 1 of 1 statements up to checkpoint ") {
		t.Errorf("verify does not say the bundle is complete: %s", out)
	}
	if code, out := run("ledger", "verify", "--subject", "case/"+id, bundle); code != 0 {
		t.Errorf("verify --subject: %d %s", code, out)
	}
	raw, _ := os.ReadFile(bundle)
	// The same statements in a bundle of the format from before subject proofs: valid, but
	// inclusion only, and --subject refuses it.
	v1, err := ledgertest.AsV1(raw)
	if err != nil {
		t.Fatal(err)
	}
	legacy := filepath.Join(t.TempDir(), "v1.bundle.json")
	os.WriteFile(legacy, v1, 0o644)
	if code, out := run("ledger", "verify", legacy); code != 0 || !strings.Contains(out, "inclusion only") || strings.Contains(out, "complete for") {
		t.Errorf("verify a v1 bundle: %d %s", code, out)
	}
	if code, out := run("ledger", "verify", "--subject", "case/"+id, legacy); code != 1 || !strings.Contains(out, "does not prove that it holds every statement about case/"+id) {
		t.Errorf("verify --subject of a v1 bundle: %d %s", code, out)
	}
	// The statement left out: refused.
	var m map[string]json.RawMessage
	json.Unmarshal(raw, &m)
	m["entries"] = json.RawMessage(`[]`)
	empty, _ := json.Marshal(m)
	os.WriteFile(legacy, empty, 0o644)
	if code, out := run("ledger", "verify", legacy); code != 1 || !strings.Contains(out, "invalid: subject proof 0 (case/"+id+"): the bundle holds 0 statements about it, the subject proof counts 1") {
		t.Errorf("verify a bundle with the statement left out: %d %s", code, out)
	}
	os.WriteFile(bundle, bytes.Replace(raw, []byte("cli:lead@acme.example"), []byte("cli:someone@acme.example"), 1), 0o644)
	if code, out := run("ledger", "verify", bundle); code != 1 || !strings.Contains(out, "invalid") {
		t.Errorf("a tampered bundle: %d %s", code, out)
	}
	if code, out := run("ledger", "checkpoint", "--data", data); code != 0 || !strings.Contains(out, "siegel.ledger/") || !strings.Contains(out, "verifier key:") {
		t.Errorf("checkpoint: %d %s", code, out)
	}

	// A bundle time-stamped by an RFC 3161 authority verifies with its roots, and not without.
	tsa, _, roots := ledgertest.OpenSSLTSA(t)
	if code, out := run("ledger", "export", "--data", data, "--org", "ACME", "--subject", "case/"+id, "--out", bundle, "--tsa", tsa.URL, "--tsa-roots", roots); code != 0 || !strings.Contains(out, "time-stamped by") {
		t.Fatalf("export with a time-stamp: %d %s", code, out)
	}
	if code, out := run("ledger", "verify", "--tsa-roots", roots, bundle); code != 0 || !strings.Contains(out, ", time-stamped 20") {
		t.Errorf("verify a time-stamped bundle: %d %s", code, out)
	}
	if code, out := run("ledger", "verify", bundle); code != 1 || !strings.Contains(out, "not trusted") {
		t.Errorf("a time-stamp from an authority not trusted: %d %s", code, out)
	}
}
