package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/ledger"
)

func TestServeAuthorityFlags(t *testing.T) {
	dir := t.TempDir()
	skey, vkey, err := ledger.NewWitnessKey("bsi.example")
	if err != nil {
		t.Fatal(err)
	}
	keyFile, tokenFile, badKey := filepath.Join(dir, "w.key"), filepath.Join(dir, "token"), filepath.Join(dir, "bad.key")
	os.WriteFile(keyFile, []byte(skey+"\n"), 0o600)
	os.WriteFile(tokenFile, []byte("sgl_abc\n"), 0o600)
	os.WriteFile(badKey, []byte("PRIVATE+WITNESS+nonsense"), 0o600)
	env := &Env{Getenv: func(string) string { return "" }}
	for _, tc := range []struct {
		name string
		f    authorityServeFlags
		err  string
	}{
		{"nothing", authorityServeFlags{}, ""},
		{"witness key", authorityServeFlags{witnessKey: keyFile}, ""},
		{"bad witness key", authorityServeFlags{witnessKey: badKey}, "witness private key"},
		{"push", authorityServeFlags{url: "https://bsi.example", tokenFile: tokenFile, witness: vkey, interval: 600e9}, ""},
		{"push without token", authorityServeFlags{url: "https://bsi.example", witness: vkey, interval: 600e9}, "needs a token"},
		{"push without witness", authorityServeFlags{url: "https://bsi.example", tokenFile: tokenFile, interval: 600e9}, "--authority-witness"},
		{"token without url", authorityServeFlags{tokenFile: tokenFile}, "need --authority-url"},
		{"not a URL", authorityServeFlags{url: "bsi.example", tokenFile: tokenFile, witness: vkey, interval: 600e9}, "http(s)://"},
		{"too often", authorityServeFlags{url: "https://bsi.example", tokenFile: tokenFile, witness: vkey, interval: 1e9}, "at least one minute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wk, push, err := tc.f.config(env)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.f.witnessKey != "" && wk != skey {
					t.Errorf("witness key %q", wk)
				}
				if tc.f.url != "" && (push.Token != "sgl_abc" || push.Witness != vkey) {
					t.Errorf("push %+v", push)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}
