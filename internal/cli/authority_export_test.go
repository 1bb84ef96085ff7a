package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/authority/icsms"
)

// 'siegel authority export' writes the procedure's ICSMS fields with bundles that
// 'siegel ledger verify' accepts.
func TestAuthorityExport(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Run(t.Context(), args, nil, &out, &errOut, func(string) string { return "" })
		return code, out.String() + errOut.String()
	}
	ctx := t.Context()
	st, err := openStore(ctx, &Env{Now: time.Now}, data, "")
	if err != nil {
		t.Fatal(err)
	}
	acme, _ := st.CreateOrganization(ctx, "ACME", "micro", false)
	bsi, _ := st.CreateOrganization(ctx, "BSI", "large", true)
	prod, _ := st.CreateProduct(ctx, acme.ID, "Cam", "camera", "default")
	if _, err := st.CreateRelease(ctx, prod.ID, "1.0", "2026-01-05", "2031-01"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RegisterProduct(ctx, acme.ID, prod.ID, bsi.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	pr, err := st.OpenProcedure(ctx, bsi.ID, prod.ID, authority.SignificantRisk, "default password on telnet", "cli")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	id := strconv.FormatInt(pr.ID, 10)
	if code, out := run("authority", "export", "--data", data, "--authority", "ACME", "--procedure", id); code != 1 || !strings.Contains(out, "not an authority") {
		t.Errorf("a manufacturer as authority: %d %s", code, out)
	}
	if code, out := run("authority", "export", "--data", data, "--authority", "BSI"); code != 2 {
		t.Errorf("without --procedure: %d %s", code, out)
	}
	file := filepath.Join(t.TempDir(), "x.json")
	if code, out := run("authority", "export", "--data", data, "--authority", "BSI", "--procedure", id, "--out", file); code != 0 {
		t.Fatalf("export: %d %s", code, out)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var x icsms.Export
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatal(err)
	}
	if x.Procedure.Basis != "CRA Art. 54: product presenting a significant cybersecurity risk" || x.EconomicOperator.FineExemption == "" {
		t.Errorf("export: %+v %+v", x.Procedure, x.EconomicOperator)
	}
	b, err := json.Marshal(x.Proofs["procedure/"+id])
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "b.json")
	os.WriteFile(bundle, b, 0o600)
	if code, out := run("ledger", "verify", "--subject", "procedure/"+id, bundle); code != 0 || !strings.Contains(out, "procedure-event") {
		t.Errorf("the procedure's bundle: %d %s", code, out)
	}
}
