package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// marketedPlug gives e's ACME, a micro enterprise established in Germany, a smart plug of CRA
// class important II on the market: 12,000 devices, a market record, an exploited component
// (from the fixtures' vulnerability database), a label, and an incident reported an hour late.
// Run on two servers with the same clock, it states the same facts on both.
func marketedPlug(e *env) (prod, rel int64) {
	e.t.Helper()
	ctx := e.t.Context()
	acme := e.orgID("ACME")
	if err := e.st.SetSizeClass(ctx, acme, "micro"); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.SetEstablishment(ctx, acme, "DE", "", false); err != nil {
		e.t.Fatal(err)
	}
	prod, rel = e.productWithRelease("acme-admin", "Plug", "smart-plug", "important-ii", 12000)
	record := map[string]any{"ceMarking": true, "declaration": true, "notifiedBody": "0123", "disclosureContact": "psirt@acme.example"}
	if code := e.do("PUT", "/api/v1/releases/"+itoa(rel)+"/market-record", "acme-admin", "application/json", jsonBody(record), nil); code != 200 {
		e.t.Fatalf("market record: %d", code)
	}
	// Labelled before the vulnerability database is matched, which then finds the exploited one.
	e.attestAll(rel, "etsi-en-303-645")
	if code, body := e.raw("POST", "/api/v1/releases/"+itoa(rel)+"/labels", "acme-admin", "application/json", []byte(`{}`)); code != 201 {
		e.t.Fatalf("label: %d %s", code, body)
	}
	e.drain()
	c, err := e.st.OpenIncident(ctx, acme, prod, "intrusion", time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.SubmitStageTo(ctx, c.ID, cra.EarlyWarning, []byte(`{}`), "SRP-1", "psirt@acme", "CSIRT DE"); err != nil {
		e.t.Fatal(err)
	}
	return prod, rel
}

// clone copies a view deeply, through JSON.
func clone(v app.ViewProductJSON) app.ViewProductJSON {
	data, _ := json.Marshal(v)
	var out app.ViewProductJSON
	json.Unmarshal(data, &out)
	return out
}

// sameView blanks what differs between two servers by nature: ids given by each store, the
// manufacturer's account, the log and the record's source.
func sameView(v app.ViewProductJSON) app.ViewProductJSON {
	v.ID, v.Manufacturer.ID, v.Manufacturer.Name, v.Ledger, v.Source = 0, 0, "", app.ViewLedgerJSON{}, nil
	for i := range v.Releases {
		r := &v.Releases[i]
		r.ID = 0
		for j := range r.Labels {
			r.Labels[j].ID, r.Labels[j].PageURL = "", ""
		}
		for j := range r.Checklist {
			r.Checklist[j].Release = 0
		}
	}
	for i := range v.Cases {
		v.Cases[i].ID = 0
	}
	return v
}

// Two servers: a manufacturer on its own server registers a product with the authority on
// another; its server pushes the product's record, signed in its ledger and proven against the
// checkpoint the authority witnessed. The authority sees the same scoped view as for a
// manufacturer on its own server, field by field, its timeliness and sweep count the remote
// manufacturer, no component name crosses, and a tampered, unsigned, unwitnessed or
// over-revealing record is refused.
func TestAuthorityRecordsAcrossServers(t *testing.T) {
	skey, vkey := witnessKeys(t, "bsi.example")
	now := func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) } }
	auth := newEnv(t, withBaseURL, now, func(c *Config) { c.WitnessKey = skey })
	man := newEnv(t, withBaseURL, now, func(c *Config) {
		c.AuthorityPush = AuthorityPush{URL: auth.srv.URL, Token: auth.tokens["globex-admin"], Witness: vkey, Client: auth.srv.Client()}
	})
	ctx := t.Context()
	bsi, globex := auth.orgID("BSI"), auth.orgID("Globex")

	// The same product on both: ACME on the authority's server, registered there; ACME on its
	// own server, which holds the account "Globex" on the authority's.
	local, _ := marketedPlug(auth)
	if code := auth.do("POST", "/api/v1/products/"+itoa(local)+"/registrations", "acme-admin", "application/json", jsonBody(map[string]int64{"authority": bsi}), nil); code != 201 {
		t.Fatalf("local registration: %d", code)
	}
	var noPush apiError
	if code := auth.do("POST", "/api/v1/products/"+itoa(local)+"/registrations", "acme-admin", "application/json", jsonBody(map[string]string{"remoteAuthority": "BSI"}), &noPush); code != 400 ||
		!strings.Contains(noPush.Error, "--authority-url") {
		t.Errorf("a remote registration on a server that pushes nowhere: %d %+v", code, noPush)
	}
	remote, _ := marketedPlug(man)
	// Nothing registered remotely yet: nothing to push.
	if res, err := man.server.PushRecords(ctx); err != nil || len(res) != 0 {
		t.Fatalf("push before registration: %+v %v", res, err)
	}
	var reg api.RegistrationJSON
	if code := man.do("POST", "/api/v1/products/"+itoa(remote)+"/registrations", "acme-admin", "application/json", jsonBody(map[string]string{"remoteAuthority": "BSI"}), &reg); code != 201 ||
		reg.AuthorityURL != auth.srv.URL || reg.AuthorityName != "BSI" {
		t.Fatalf("remote registration: %d %+v", code, reg)
	}
	res, err := man.server.PushRecords(ctx)
	if err != nil || len(res) != 1 || res[0].Product != remote || res[0].Record == 0 {
		t.Fatalf("push: %+v %v", res, err)
	}
	// Nothing changed: no new statement, the same record.
	again, err := man.server.PushRecords(ctx)
	if err != nil || len(again) != 1 || again[0].Statement != res[0].Statement || again[0].Record != res[0].Record {
		t.Fatalf("second push: %+v %v, first %+v", again, err, res)
	}

	code, raw := auth.raw("GET", "/api/v1/authority/products", "bsi", "", nil)
	if code != 200 {
		t.Fatalf("views %d %s", code, raw)
	}
	var list viewList
	if err := json.Unmarshal(raw, &list); err != nil || len(list.Items) != 2 {
		t.Fatalf("views: %v %s", err, raw)
	}
	lv, rv := list.Items[0], list.Items[1]
	if lv.Source != nil || rv.Source == nil {
		t.Fatalf("sources: local %+v, remote %+v", lv.Source, rv.Source)
	}
	if len(rv.Releases) == 1 && len(rv.Releases[0].Labels) == 1 {
		if l := rv.Releases[0].Labels[0]; l.PageURL != testBaseURL+"/label/"+l.ID {
			t.Errorf("the label's public page on the manufacturer's server: %+v", l)
		}
	}
	// sameView blanks copies: the views are checked further below.
	if diff := cmp.Diff(sameView(clone(lv)), sameView(clone(rv))); diff != "" {
		t.Errorf("the remote manufacturer's view differs from the local one (-local +remote):\n%s", diff)
	}
	// What the comparison can only show if it is there: the incident and the case the exploited
	// component opened, the label (suspended since), the aggregate and the checklist.
	incident := slices.IndexFunc(rv.Cases, func(c app.ViewCaseJSON) bool { return c.Type == "incident" })
	if len(rv.Releases) != 1 || len(rv.Releases[0].Labels) != 1 || rv.Releases[0].Components.Exploited != 1 || len(rv.Releases[0].Checklist) != 6 ||
		len(rv.Cases) != 2 || incident < 0 || rv.Cases[incident].Recipients[cra.EarlyWarning] != "CSIRT DE" || len(rv.Cases[incident].Stages) == 0 {
		t.Fatalf("remote view: %+v", rv)
	}
	if s := rv.Cases[incident].Stages[0]; s.Stage != cra.EarlyWarning || s.LateMinutes != 60 || !s.Exempt {
		t.Errorf("a micro enterprise's early warning an hour late (Art. 14(4)(a); not fined, Art. 64(10)(a)): %+v", s)
	}
	if rv.Manufacturer.ID != globex || rv.Manufacturer.Name != "Globex" || rv.Source.DeclaredName != "ACME" || rv.ID != remote {
		t.Errorf("remote manufacturer and product: %+v %+v id %d", rv.Manufacturer, rv.Source, rv.ID)
	}
	if w := rv.Ledger.Witnessed; w == nil || w.Size != rv.Source.CheckpointSize || rv.Ledger.Size != w.Size || w.Witness != "bsi.example" {
		t.Errorf("remote ledger: %+v witnessed %+v source %+v", rv.Ledger, w, rv.Source)
	}
	// The record's bundle, kept as received, verifies offline and names no component.
	code, bundle := auth.raw("GET", "/api/v1/authority/records/"+itoa(rv.Source.Record), "bsi", "", nil)
	if code != 200 {
		t.Fatalf("record bundle %d", code)
	}
	b, err := ledger.DecodeBundle(bytes.NewReader(bundle))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := ledger.Check(b); err != nil || !rep.Complete(b.Subject) {
		t.Errorf("kept bundle: %+v %v", rep, err)
	}
	// Outside its cases (an exploited vulnerability's case names the component, as Art. 14
	// reports do), nothing names a component: not the view, not the revealed statements.
	outsideCases := [][]byte{}
	for _, v := range list.Items {
		v.Cases = nil
		out, _ := json.Marshal(v)
		outsideCases = append(outsideCases, out)
	}
	for _, e := range b.Entries {
		if e.Statement.Type == ledger.AuthorityRecordDeclared {
			f, err := app.DecodeRecordFacts(e.Content)
			if err != nil {
				t.Fatal(err)
			}
			f.Cases = nil
			e.Content, _ = json.Marshal(f)
		}
		outsideCases = append(outsideCases, e.Content)
	}
	for _, out := range outsideCases {
		for _, name := range []string{"example-lib", "example.com/web", "pkg:pypi", "pkg:golang"} {
			if bytes.Contains(out, []byte(name)) {
				t.Errorf("a component name (%s) crossed to the authority outside a case: %s", name, out)
			}
		}
	}
	if code := auth.do("GET", "/api/v1/authority/records/"+itoa(rv.Source.Record), "acme-admin", "", nil, nil); code != 403 {
		t.Errorf("a manufacturer reads a record: %d", code)
	}

	// Timeliness: the remote manufacturer under its account, in the size class it declares.
	var tl struct {
		Manufacturers []struct {
			Name      string `json:"name"`
			SizeClass string `json:"sizeClass"`
			Cases     []struct {
				Type   string `json:"type"`
				Stages []struct {
					Stage       string `json:"stage"`
					LateMinutes int    `json:"lateMinutes"`
					Exempt      bool   `json:"exempt"`
				} `json:"stages"`
			} `json:"cases"`
		} `json:"manufacturers"`
	}
	if code := auth.do("GET", "/api/v1/authority/timeliness", "bsi", "", nil, &tl); code != 200 || len(tl.Manufacturers) != 2 {
		t.Fatalf("timeliness %d %+v", code, tl)
	}
	for _, m := range tl.Manufacturers {
		if m.SizeClass != "micro" || len(m.Cases) != 2 {
			t.Errorf("timeliness of %s: %+v", m.Name, m)
			continue
		}
		for _, c := range m.Cases {
			if c.Type == "incident" && (len(c.Stages) == 0 || c.Stages[0].LateMinutes != 60 || !c.Stages[0].Exempt) {
				t.Errorf("timeliness of %s's incident: %+v", m.Name, c)
			}
		}
	}
	if tl.Manufacturers[0].Name != "ACME" || tl.Manufacturers[1].Name != "Globex" {
		t.Errorf("manufacturers: %+v", tl.Manufacturers)
	}
	// The sweep: one exploited component in both products, fan-in 2, counted across servers
	// although its name never crossed.
	var sw struct {
		Ranks []struct {
			Category  string
			Score     float64
			Products  int
			Exploited int
			Devices   int64
		} `json:"ranks"`
	}
	if code := auth.do("GET", "/api/v1/authority/sweep", "bsi", "", nil, &sw); code != 200 || len(sw.Ranks) != 1 {
		t.Fatalf("sweep %d %+v", code, sw)
	}
	if r := sw.Ranks[0]; r.Category != "smart-plug" || r.Products != 2 || r.Exploited != 2 || r.Devices != 24000 || r.Score != 2*12000*2 {
		t.Errorf("sweep: %+v", r)
	}

	// The record moves with the manufacturer's facts.
	mc, err := man.st.ProductCases(ctx, remote)
	if err != nil {
		t.Fatal(err)
	}
	if err := man.st.SubmitStageTo(ctx, mc[incident].ID, cra.Notification, []byte(`{}`), "SRP-2", "psirt@acme", "CSIRT DE"); err != nil {
		t.Fatal(err)
	}
	moved, err := man.server.PushRecords(ctx)
	if err != nil || len(moved) != 1 || moved[0].Record != res[0].Record || moved[0].Statement <= res[0].Statement {
		t.Fatalf("push after a change: %+v %v", moved, err)
	}
	auth.do("GET", "/api/v1/authority/products", "bsi", "", nil, &list)
	if _, ok := list.Items[1].Cases[incident].Submitted[cra.Notification]; !ok {
		t.Errorf("the notification did not reach the authority: %+v", list.Items[1].Cases[incident].Submitted)
	}
	// A record older than the one kept is refused by the store.
	old := store.AuthorityRecord{Authority: bsi, Organization: globex, Origin: rv.Source.Origin, Product: remote, Facts: []byte(`{}`),
		StatementIndex: res[0].Statement, CheckpointSize: res[0].Size, Bundle: []byte(`{}`)}
	if _, err := auth.st.PutAuthorityRecord(ctx, old); !errors.Is(err, store.ErrConflict) {
		t.Errorf("an older record: %v", err)
	}

	// Refusals. Each bundle is made as the push makes it, then spoilt in one way.
	subject := "product/" + itoa(remote)
	fresh := func() *ledger.Bundle {
		t.Helper()
		if _, err := man.server.PushLedger(ctx); err != nil {
			t.Fatal(err)
		}
		b, err := man.st.LedgerBundle(ctx, 0, subject, true)
		if err != nil {
			t.Fatal(err)
		}
		for i := range b.Entries {
			if !revealTo("BSI", &b.Entries[i]) {
				b.Entries[i].Salt, b.Entries[i].Content = nil, nil
			}
		}
		return b
	}
	lastRecord := func(b *ledger.Bundle) *ledger.Entry {
		for i := len(b.Entries) - 1; i >= 0; i-- {
			if b.Entries[i].Statement.Type == ledger.AuthorityRecordDeclared {
				return &b.Entries[i]
			}
		}
		t.Fatal("no record statement")
		return nil
	}
	// casesOf are the bundles of the product's cases at the log's latest checkpoint.
	casesOf := func() []*ledger.Bundle {
		t.Helper()
		cs, err := man.st.ProductCases(ctx, remote)
		if err != nil {
			t.Fatal(err)
		}
		var out []*ledger.Bundle
		for _, c := range cs {
			b, err := man.st.LedgerBundle(ctx, 0, "case/"+itoa(c.ID), false)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		return out
	}
	pushWith := func(who string, authority int64, b *ledger.Bundle, cases []*ledger.Bundle) (int, string) {
		t.Helper()
		var e apiError
		code := auth.do("POST", "/api/v1/authority/records", who, "application/json", jsonBody(map[string]any{"authority": authority, "bundle": b, "cases": cases}), &e)
		return code, e.Error
	}
	push := func(who string, authority int64, b *ledger.Bundle) (int, string) {
		t.Helper()
		return pushWith(who, authority, b, casesOf())
	}
	if code, msg := push("globex-admin", bsi, fresh()); code != 201 {
		t.Fatalf("an unspoilt bundle: %d %s", code, msg)
	}
	anssi := auth.addAuthority("ANSSI", "anssi")
	// A statement about the product whose content is not for the authority.
	appendStatements(t, man.st, man.orgID("ACME"), subject, 1)
	keyOther, vkeyOther, err := ledger.NewKey("other.example/log")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		who       string
		authority int64
		spoil     func(*ledger.Bundle)
		code      int
		want      string
	}{
		{"tampered: the declared size class changed after signing", "globex-admin", bsi, func(b *ledger.Bundle) {
			e := lastRecord(b)
			e.Content = bytes.Replace(e.Content, []byte(`"sizeClass":"micro"`), []byte(`"sizeClass":"large"`), 1)
		}, 422, "does not match the statement's commitment"},
		{"unsigned: the checkpoint's signature removed", "globex-admin", bsi, func(b *ledger.Bundle) {
			b.Checkpoint = b.Checkpoint[:strings.Index(b.Checkpoint, "\n\n")+2]
		}, 422, "does not verify"},
		{"signed by another key than the pinned one", "globex-admin", bsi, func(b *ledger.Bundle) {
			cp, err := ledger.OpenCheckpoint(b.Checkpoint, b.VerifierKey)
			if err != nil {
				t.Fatal(err)
			}
			if b.Checkpoint, err = ledger.SignCheckpoint(cp, keyOther); err != nil {
				t.Fatal(err)
			}
			b.VerifierKey = vkeyOther
		}, 422, "pinned"},
		{"a statement left out: the record is not shown to be the latest", "globex-admin", bsi, func(b *ledger.Bundle) {
			b.Entries = b.Entries[1:]
		}, 422, "does not verify"},
		{"the content of another statement revealed", "globex-admin", bsi, func(b *ledger.Bundle) {
			full, err := man.st.LedgerBundle(ctx, 0, subject, true)
			if err != nil {
				t.Fatal(err)
			}
			*b = *full
		}, 422, "reveals the content"},
		{"registered with another authority", "globex-admin", anssi, func(*ledger.Bundle) {}, 422, "registers product/"},
		{"pushed by a read-only token", "acme-ro", bsi, func(*ledger.Bundle) {}, 403, "admin or PSIRT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := fresh()
			tc.spoil(b)
			if code, msg := push(tc.who, tc.authority, b); code != tc.code || !strings.Contains(msg, tc.want) {
				t.Errorf("%d %q, want %d with %q", code, msg, tc.code, tc.want)
			}
		})
	}
	// The cases' statements: one bundle for each case, complete, and every report the record
	// states as submitted logged by the ledger at that time.
	if code, msg := pushWith("globex-admin", bsi, fresh(), casesOf()[1:]); code != 422 || !strings.Contains(msg, "states 2 cases, and 1 case bundles") {
		t.Errorf("a case left out: %d %q", code, msg)
	}
	spoilt := casesOf()
	spoilt[0].Entries = spoilt[0].Entries[1:]
	if code, msg := pushWith("globex-admin", bsi, fresh(), spoilt); code != 422 || !strings.Contains(msg, "does not verify") {
		t.Errorf("a case's statement left out: %d %q", code, msg)
	}
	// A manufacturer that backdates a report in a record it signs: the ledger logged the report
	// two hours later.
	latest := lastRecord(fresh())
	backdated, err := app.DecodeRecordFacts(latest.Content)
	if err != nil {
		t.Fatal(err)
	}
	backdated.Cases[incident].Submitted[cra.EarlyWarning] = backdated.Cases[incident].Submitted[cra.EarlyWarning].Add(-2 * time.Hour)
	if err := man.st.LedgerAppend(ctx, []store.LedgerItem{{Organization: man.orgID("ACME"), Type: ledger.AuthorityRecordDeclared, Subject: subject, Content: backdated}}); err != nil {
		t.Fatal(err)
	}
	if code, msg := push("globex-admin", bsi, fresh()); code != 422 || !strings.Contains(msg, "the ledger logged no submission then") {
		t.Errorf("a backdated report: %d %q", code, msg)
	}
	// A record made after the log grew, against a checkpoint the authority has not cosigned.
	fresh()
	appendStatements(t, man.st, man.orgID("ACME"), subject, 1)
	b, err = man.st.LedgerBundle(ctx, 0, subject, false)
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := push("globex-admin", bsi, b); code != 409 || !strings.Contains(msg, "did not cosign") {
		t.Errorf("a record not covered by a witnessed checkpoint: %d %q", code, msg)
	}
	// A registration naming no authority of that server fails alone: the others' records go.
	cam, _ := man.productWithRelease("acme-admin", "Cam", "camera", "default", 10)
	if code := man.do("POST", "/api/v1/products/"+itoa(cam)+"/registrations", "acme-admin", "application/json", jsonBody(map[string]string{"remoteAuthority": "NoSuch"}), nil); code != 201 {
		t.Fatalf("registration: %d", code)
	}
	got, err := man.server.PushRecords(ctx)
	if err == nil || !strings.Contains(err.Error(), `no authority named "NoSuch"`) || len(got) != 1 || got[0].Product != remote {
		t.Errorf("push with an unknown authority: %+v %v", got, err)
	}
}
