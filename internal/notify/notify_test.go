package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	mrand "math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/notify/smtptest"
)

// testEvent returns a fully populated event.
func testEvent() Event {
	return Event{
		ID:            "evt-0001",
		Kind:          "finding.exploited",
		Organization:  7,
		Product:       "acme-router",
		Release:       "2.4.1",
		ReleaseID:     42,
		Vulnerability: "CVE-2024-1234",
		Aliases:       []string{"GHSA-aaaa-bbbb-cccc", "OSV-2024-1"},
		Package:       "pkg:golang/golang.org/x/net@v0.17.0",
		Severity:      "CRITICAL",
		Exploited:     true,
		Summary:       "HTTP/2 rapid reset allows denial of service.",
		Time:          time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		URL:           "https://siegel.example/findings/99",
	}
}

// --- Webhook ---------------------------------------------------------------

var sigRE = regexp.MustCompile(`^t=([0-9]+),v1=([0-9a-f]{64})$`)

type received struct {
	header http.Header
	body   []byte
	err    error // verification failure seen by the receiver
}

func TestWebhookDeliver(t *testing.T) {
	secret := []byte("s3cr3t")
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil && r.Method != http.MethodPost {
			err = fmt.Errorf("method %s", r.Method)
		}
		if err == nil {
			err = Verify(secret, body, r.Header.Get("Siegel-Signature"), time.Now(), 5*time.Minute)
		}
		got <- received{header: r.Header.Clone(), body: body, err: err}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	e := testEvent()
	before := time.Now().Unix()
	if err := (Webhook{URL: srv.URL + "/hook?token=x", Secret: secret, Client: loopbackClient}).Deliver(context.Background(), e); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	after := time.Now().Unix()
	r := <-got
	if r.err != nil {
		t.Fatalf("receiver: %v", r.err)
	}
	for k, want := range map[string]string{
		"Content-Type":    "application/json",
		"Siegel-Event":    "finding.exploited",
		"Siegel-Delivery": "evt-0001",
	} {
		if v := r.header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}

	// Check the signature scheme independently of Verify.
	m := sigRE.FindStringSubmatch(r.header.Get("Siegel-Signature"))
	if m == nil {
		t.Fatalf("Siegel-Signature %q does not match %s", r.header.Get("Siegel-Signature"), sigRE)
	}
	ts, _ := strconv.ParseInt(m[1], 10, 64)
	if ts < before || ts > after {
		t.Errorf("signature timestamp %d not in [%d, %d]", ts, before, after)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(m[1] + "."))
	mac.Write(r.body)
	if want := hex.EncodeToString(mac.Sum(nil)); m[2] != want {
		t.Errorf("v1 = %s, want %s", m[2], want)
	}

	var decoded Event
	if err := json.Unmarshal(r.body, &decoded); err != nil {
		t.Fatalf("decoding body: %v\n%s", err, r.body)
	}
	if !reflect.DeepEqual(decoded, e) {
		t.Errorf("decoded event\n%+v\nwant\n%+v", decoded, e)
	}
	// The JSON field names are part of the contract.
	var raw map[string]any
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "kind", "organization", "product", "release", "releaseId", "vulnerability",
		"aliases", "package", "severity", "exploited", "summary", "time", "url"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("body lacks field %q: %s", k, r.body)
		}
	}
}

func TestWebhookStatus(t *testing.T) {
	for _, tc := range []struct {
		status    int
		wantErr   bool
		permanent bool
	}{
		{200, false, false},
		{202, false, false},
		{204, false, false},
		{302, true, false},
		{400, true, true},
		{401, true, true},
		{404, true, true},
		{410, true, true},
		{408, true, false},
		{429, true, false},
		{500, true, false},
		{502, true, false},
		{503, true, false},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			followed := false
			mux := http.NewServeMux()
			mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
				if tc.status == http.StatusFound {
					http.Redirect(w, r, "/elsewhere", http.StatusFound)
					return
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, "line one\nline two")
			})
			mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { followed = true })
			srv := httptest.NewServer(mux)
			defer srv.Close()

			err := Webhook{URL: srv.URL + "/hook", Secret: []byte("k"), Client: srv.Client()}.Deliver(context.Background(), testEvent())
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			if Permanent(err) != tc.permanent {
				t.Errorf("Permanent(%v) = %v, want %v", err, Permanent(err), tc.permanent)
			}
			if err != nil && tc.status != http.StatusFound && !strings.Contains(err.Error(), strconv.Itoa(tc.status)) {
				t.Errorf("error %q does not mention the status", err)
			}
			if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error %q spans several lines", err)
			}
			if followed {
				t.Error("redirect was followed")
			}
		})
	}
}

func TestWebhookNetworkErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := srv.URL
	srv.Close()
	err := Webhook{URL: url + "/hook?token=hush", Secret: []byte("k"), Client: loopbackClient}.Deliver(context.Background(), testEvent())
	if err == nil || Permanent(err) {
		t.Fatalf("closed server: err = %v, want a temporary error", err)
	}
	if strings.Contains(err.Error(), "hush") {
		t.Errorf("error leaks the URL: %v", err)
	}

	// A cancelled context aborts the request, temporarily.
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = Webhook{URL: slow.URL, Secret: []byte("k"), Client: loopbackClient}.Deliver(ctx, testEvent())
	if !errors.Is(err, context.DeadlineExceeded) || Permanent(err) {
		t.Errorf("expired context: err = %v, want a temporary context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Deliver took %s despite the context", d)
	}
}

func TestWebhookBadInput(t *testing.T) {
	noID := testEvent()
	noID.ID = ""
	badKind := testEvent()
	badKind.Kind = "finding.new\r\nX-Evil: 1"
	for name, tc := range map[string]struct {
		url string
		e   Event
	}{
		"relative URL":   {"/hook", testEvent()},
		"ftp URL":        {"ftp://example.com/x", testEvent()},
		"unparsable URL": {"http://[::1", testEvent()},
		"no ID":          {"http://127.0.0.1:1/", noID},
		"kind with CRLF": {"http://127.0.0.1:1/", badKind},
	} {
		err := Webhook{URL: tc.url, Secret: []byte("k")}.Deliver(context.Background(), tc.e)
		if err == nil || !Permanent(err) {
			t.Errorf("%s: err = %v, want a permanent error", name, err)
		}
	}
}

// --- Verify ----------------------------------------------------------------

func header(secret []byte, t int64, body []byte) string {
	return signatureHeader(secret, time.Unix(t, 0), body)
}

func TestVerify(t *testing.T) {
	secret := []byte("topsecret")
	body := []byte(`{"id":"evt-1"}`)
	now := time.Unix(1_700_000_000, 0)
	tol := 5 * time.Minute
	good := header(secret, now.Unix(), body)
	goodSig := strings.TrimPrefix(good[strings.Index(good, ",v1="):], ",v1=")
	ts := strconv.FormatInt(now.Unix(), 10)

	accept := map[string]struct {
		header string
		now    time.Time
	}{
		"exact":                {good, now},
		"at tolerance (old)":   {good, now.Add(tol)},
		"at tolerance (new)":   {good, now.Add(-tol)},
		"second v1 matches":    {"t=" + ts + ",v1=" + strings.Repeat("00", 32) + ",v1=" + goodSig, now},
		"unknown keys ignored": {"t=" + ts + ",v0=whatever,v1=" + goodSig, now},
		"spaces after commas":  {"t=" + ts + ", v1=" + goodSig, now},
	}
	for name, tc := range accept {
		if err := Verify(secret, body, tc.header, tc.now, tol); err != nil {
			t.Errorf("%s: Verify(%q) = %v, want nil", name, tc.header, err)
		}
	}

	tampered := bytes.Clone(body)
	tampered[2] ^= 1
	reject := map[string]struct {
		secret, body []byte
		header       string
		now          time.Time
		want         error
	}{
		"wrong secret":      {[]byte("topsecreT"), body, good, now, errSignatureMismatch},
		"empty secret":      {nil, body, good, now, errNoSecret},
		"tampered body":     {secret, tampered, good, now, errSignatureMismatch},
		"extra body byte":   {secret, append(bytes.Clone(body), ' '), good, now, errSignatureMismatch},
		"stale":             {secret, body, good, now.Add(tol + time.Second), errTimestamp},
		"future":            {secret, body, good, now.Add(-tol - time.Second), errTimestamp},
		"replayed old":      {secret, body, header(secret, now.Unix()-3600, body), now, errTimestamp},
		"other timestamp":   {secret, body, "t=" + strconv.FormatInt(now.Unix()+1, 10) + ",v1=" + goodSig, now, errSignatureMismatch},
		"empty":             {secret, body, "", now, errMalformedHeader},
		"garbage":           {secret, body, "garbage", now, errMalformedHeader},
		"no timestamp":      {secret, body, "v1=" + goodSig, now, errMalformedHeader},
		"empty timestamp":   {secret, body, "t=,v1=" + goodSig, now, errMalformedHeader},
		"text timestamp":    {secret, body, "t=abc,v1=" + goodSig, now, errMalformedHeader},
		"signed timestamp":  {secret, body, "t=+" + ts + ",v1=" + goodSig, now, errMalformedHeader},
		"negative":          {secret, body, "t=-5,v1=" + goodSig, now, errMalformedHeader},
		"huge timestamp":    {secret, body, "t=99999999999999999999,v1=" + goodSig, now, errMalformedHeader},
		"two timestamps":    {secret, body, "t=" + ts + ",t=" + ts + ",v1=" + goodSig, now, errMalformedHeader},
		"no signature":      {secret, body, "t=" + ts, now, errMalformedHeader},
		"not hex":           {secret, body, "t=" + ts + ",v1=" + strings.Repeat("zz", 32), now, errMalformedHeader},
		"short signature":   {secret, body, "t=" + ts + ",v1=" + goodSig[:62], now, errMalformedHeader},
		"upper-case key":    {secret, body, "T=" + ts + ",V1=" + goodSig, now, errMalformedHeader},
		"semicolons":        {secret, body, "t=" + ts + ";v1=" + goodSig, now, errMalformedHeader},
		"oversized header":  {secret, body, good + ",x=" + strings.Repeat("a", 5000), now, errMalformedHeader},
		"trailing comma":    {secret, body, good + ",", now, errMalformedHeader},
		"v1 of other body":  {secret, body, header(secret, now.Unix(), []byte("{}")), now, errSignatureMismatch},
		"v1 of empty key":   {secret, body, header(nil, now.Unix(), body), now, errSignatureMismatch},
		"year 292277026596": {secret, body, header(secret, math.MaxInt64/2, body), now, errTimestamp},
	}
	for name, tc := range reject {
		err := Verify(tc.secret, tc.body, tc.header, tc.now, tol)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify(%.80q) = %v, want %v", name, tc.header, err, tc.want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	body := []byte(`{"id":"x"}`)
	f.Add([]byte("k"), body, header([]byte("k"), 1_700_000_000, body), int64(1_700_000_000), int64(time.Minute))
	f.Add([]byte("k"), body, "t=1,v1=00", int64(0), int64(-1))
	f.Add([]byte{}, []byte{}, "", int64(math.MinInt64), int64(math.MaxInt64))
	f.Add([]byte("k"), body, "t=9223372036854775807,v1=,v1=zz,=,,", int64(math.MaxInt64), int64(math.MinInt64))
	f.Add([]byte("k"), body, "t=-9223372036854775808,v1="+strings.Repeat("ab", 32), int64(-1), int64(1))
	f.Fuzz(func(t *testing.T, secret, body []byte, hdr string, nowUnix, tol int64) {
		now := time.Unix(nowUnix, 0)
		err := Verify(secret, body, hdr, now, time.Duration(tol))
		if err == nil && len(secret) == 0 {
			t.Fatal("Verify accepted an empty secret")
		}
		// A header Deliver would produce for these inputs must verify.
		if len(secret) > 0 && nowUnix >= 0 {
			good := signatureHeader(secret, now, body)
			if err := Verify(secret, body, good, now, max(time.Duration(tol), 0)); err != nil {
				t.Fatalf("Verify(own signature %q) = %v", good, err)
			}
		}
	})
}

// --- Backoff ---------------------------------------------------------------

func TestBackoff(t *testing.T) {
	mid := func() float64 { return 0.5 }
	want := []time.Duration{
		30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 256 * time.Minute, 6 * time.Hour, 6 * time.Hour,
	}
	if len(want) != MaxAttempts {
		t.Fatalf("MaxAttempts = %d, test assumes %d", MaxAttempts, len(want))
	}
	for i, w := range want {
		if got := Backoff(i+1, mid); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	prev := time.Duration(0)
	for n := -3; n <= 200; n++ {
		d := Backoff(n, mid)
		if d < prev {
			t.Errorf("Backoff(%d) = %s < Backoff(%d) = %s", n, d, n-1, prev)
		}
		if d > 6*time.Hour {
			t.Errorf("Backoff(%d) = %s exceeds the cap", n, d)
		}
		prev = d
	}
	for _, n := range []int{math.MinInt, 0, -1} {
		if got := Backoff(n, mid); got != 30*time.Second {
			t.Errorf("Backoff(%d) = %s, want 30s", n, got)
		}
	}
	if got := Backoff(math.MaxInt, mid); got != 6*time.Hour {
		t.Errorf("Backoff(MaxInt) = %s, want 6h", got)
	}
	if got := Backoff(3, nil); got != 2*time.Minute {
		t.Errorf("Backoff(3, nil) = %s, want 2m (no jitter)", got)
	}
}

func TestBackoffJitter(t *testing.T) {
	mid := func() float64 { return 0.5 }
	within := func(n int, d time.Duration) bool {
		base := float64(Backoff(n, mid))
		return float64(d) >= 0.8*base-1 && float64(d) <= 1.2*base+1
	}
	if got, want := Backoff(1, func() float64 { return 0 }), 24*time.Second; got != want {
		t.Errorf("Backoff(1, 0) = %s, want %s", got, want)
	}
	if got := Backoff(1, func() float64 { return math.Nextafter(1, 0) }); got <= 35*time.Second || !within(1, got) {
		t.Errorf("Backoff(1, ~1) = %s, want just under 36s", got)
	}

	r := mrand.New(mrand.NewPCG(1, 2))
	for n := 1; n <= 20; n++ {
		lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
		for range 500 {
			d := Backoff(n, r.Float64)
			if !within(n, d) {
				t.Fatalf("Backoff(%d) = %s outside ±20%% of %s", n, d, Backoff(n, mid))
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		base := Backoff(n, mid)
		if float64(lo) > 0.85*float64(base) || float64(hi) < 1.15*float64(base) {
			t.Errorf("Backoff(%d): jitter spread [%s, %s] too narrow around %s", n, lo, hi, base)
		}
	}

	for _, v := range []float64{-1, 2, math.NaN(), math.Inf(1), math.Inf(-1)} {
		d := Backoff(4, func() float64 { return v })
		if d < 0 || !within(4, d) {
			t.Errorf("Backoff(4, %v) = %s, want within ±20%% of %s", v, d, Backoff(4, mid))
		}
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("boom")
	if Permanent(nil) || Permanent(base) {
		t.Error("plain errors must not be permanent")
	}
	p := permanent(base)
	if !Permanent(p) || !Permanent(fmt.Errorf("wrapped: %w", p)) {
		t.Error("permanent errors must be permanent, also when wrapped")
	}
	if !errors.Is(p, base) || p.Error() != "boom" {
		t.Error("permanent must keep the original error")
	}
}

// --- SMTP ------------------------------------------------------------------

// bodyField returns the value of "Label: value" in the body, or "".
func bodyField(body, label string) string {
	for l := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(l, label+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func TestMailerDeliver(t *testing.T) {
	srv := smtptest.Start(t, nil)
	long := strings.Repeat("0123456789abcdefghij", 15) // 300 characters, no spaces
	nonASCII := "Überlauf in der Zeichenkettenverarbeitung — 日本語のテキスト"
	e := testEvent()
	e.Summary = "First line.\r\n" + long + "\n" + nonASCII + "\n.hidden line starting with a dot\n.\nLast line."
	mailer := Mailer{Addr: srv.Addr(), From: "Siegel Alerts <alerts@siegel.example>", Username: "user", Password: "pw"}

	before := time.Now().Add(-time.Second).Truncate(time.Second)
	if err := mailer.Deliver(context.Background(), "PSIRT <psirt@example.com>", e); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	after := time.Now().Add(time.Second)

	_, msgs := srv.Stats()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "alerts@siegel.example" || !reflect.DeepEqual(got.Rcpts, []string{"psirt@example.com"}) {
		t.Errorf("envelope MAIL FROM %q RCPT TO %q", got.From, got.Rcpts)
	}
	if got.Auth != "\x00user\x00pw" {
		t.Errorf("AUTH PLAIN response %q", got.Auth)
	}
	if got.Helo != "[127.0.0.1]" {
		t.Errorf("EHLO %q, want [127.0.0.1]", got.Helo)
	}

	// Wire format: 7-bit, short lines, dot-stuffing in action.
	stuffed := false
	for _, l := range got.RawLines {
		if len(l) > 78 {
			t.Errorf("line of %d characters on the wire: %q", len(l), l)
		}
		stuffed = stuffed || strings.HasPrefix(l, "..")
	}
	if !stuffed {
		t.Error("no dot-stuffed line on the wire, although the body has lines starting with '.'")
	}
	for i, c := range got.Data {
		if c >= 0x80 {
			t.Fatalf("8-bit byte %#x at offset %d of the message", c, i)
		}
	}

	msg, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatalf("parsing message: %v\n%s", err, got.Data)
	}
	h := msg.Header
	if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Name != "Siegel Alerts" || from.Address != "alerts@siegel.example" {
		t.Errorf("From %q: %v %v", h.Get("From"), from, err)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "psirt@example.com" || to[0].Name != "PSIRT" {
		t.Errorf("To %q: %v %v", h.Get("To"), to, err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if want := "[Siegel] EXPLOITED: CVE-2024-1234 in acme-router 2.4.1"; err != nil || subject != want {
		t.Errorf("Subject %q (%v), want %q", subject, err, want)
	}
	if date, err := h.Date(); err != nil || date.Before(before) || date.After(after) {
		t.Errorf("Date %q = %v (%v), want between %v and %v", h.Get("Date"), date, err, before, after)
	}
	if id := h.Get("Message-ID"); id != "<siegel.evt-0001@siegel.example>" {
		t.Errorf("Message-ID %q", id)
	}
	if v := h.Get("MIME-Version"); v != "1.0" {
		t.Errorf("MIME-Version %q", v)
	}
	if mt, params, err := mime.ParseMediaType(h.Get("Content-Type")); err != nil || mt != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type %q", h.Get("Content-Type"))
	}
	if cte := h.Get("Content-Transfer-Encoding"); !strings.EqualFold(cte, "quoted-printable") {
		t.Errorf("Content-Transfer-Encoding %q", cte)
	}

	raw, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("decoding quoted-printable body: %v", err)
	}
	body := strings.ReplaceAll(string(raw), "\r\n", "\n")
	for label, want := range map[string]string{
		"Product":       "acme-router",
		"Release":       "2.4.1",
		"Vulnerability": "CVE-2024-1234",
		"Aliases":       "GHSA-aaaa-bbbb-cccc, OSV-2024-1",
		"Package":       "pkg:golang/golang.org/x/net@v0.17.0",
		"Severity":      "CRITICAL",
		"Details":       "https://siegel.example/findings/99",
		"Time":          "2024-05-06T07:08:09Z",
	} {
		if v := bodyField(body, label); v != want {
			t.Errorf("body field %s = %q, want %q", label, v, want)
		}
	}
	if v := bodyField(body, "Exploited"); !strings.HasPrefix(v, "YES") {
		t.Errorf("body field Exploited = %q, want YES...", v)
	}
	for _, want := range []string{
		"\nFirst line.\n",
		"\n" + long + "\n",
		"\n" + nonASCII + "\n",
		"\n.hidden line starting with a dot\n",
		"\n.\n",
		"\nLast line.\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestMailerSubjects(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*Event)
		want   string
	}{
		{func(e *Event) {}, "[Siegel] EXPLOITED: CVE-2024-1234 in acme-router 2.4.1"},
		{func(e *Event) { e.Kind = "finding.new"; e.Exploited = false }, "[Siegel] New finding: CVE-2024-1234 in acme-router 2.4.1"},
		{func(e *Event) { e.Kind = "finding.new" }, "[Siegel] EXPLOITED: CVE-2024-1234 in acme-router 2.4.1"},
		{func(e *Event) { e.Kind = "finding.severity_changed"; e.PreviousSeverity = "MEDIUM" },
			"[Siegel] Severity changed (MEDIUM to CRITICAL): CVE-2024-1234 in acme-router 2.4.1"},
		{func(e *Event) { e.Kind = "test"; e.Vulnerability = "" }, "[Siegel] Test notification"},
		{func(e *Event) { e.Kind = "finding.withdrawn" }, "[Siegel] Notification (finding.withdrawn): CVE-2024-1234 in acme-router 2.4.1"},
		{func(e *Event) { e.Kind = "finding.new"; e.Exploited = false; e.Product = "Überwachung" },
			"[Siegel] New finding: CVE-2024-1234 in Überwachung 2.4.1"},
	} {
		e := testEvent()
		tc.mutate(&e)
		from := &mail.Address{Address: "a@b.example"}
		raw, err := composeMessage(from, from, e, time.Now())
		if err != nil {
			t.Errorf("%s: %v", tc.want, err)
			continue
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Errorf("%s: parsing: %v", tc.want, err)
			continue
		}
		s := msg.Header.Get("Subject")
		for _, c := range []byte(s) {
			if c >= 0x80 {
				t.Errorf("raw Subject %q is not ASCII", s)
				break
			}
		}
		if got, err := new(mime.WordDecoder).DecodeHeader(s); err != nil || got != tc.want {
			t.Errorf("Subject %q decodes to %q (%v), want %q", s, got, err, tc.want)
		}
	}
}

func TestMessageID(t *testing.T) {
	if a, b := messageID("evt-1", "x@siegel.example"), messageID("evt-1", "y@siegel.example"); a != b {
		t.Errorf("Message-ID not stable: %s vs %s", a, b)
	}
	for _, id := range []string{"has space", "a@b", "<x>", ".dot", "x..y", strings.Repeat("a", 100), "ü"} {
		mid := messageID(id, "x@siegel.example")
		if _, err := mail.ParseAddress(strings.Trim(mid, "<>")); err != nil || !strings.HasSuffix(mid, "@siegel.example>") {
			t.Errorf("messageID(%q) = %q is not a valid msg-id: %v", id, mid, err)
		}
		if mid == messageID(id+"x", "x@siegel.example") {
			t.Errorf("messageID(%q) collides with messageID(%q)", id, id+"x")
		}
	}
}

func TestMailerHeaderInjection(t *testing.T) {
	srv := smtptest.Start(t, nil)
	ok := Mailer{Addr: srv.Addr(), From: "alerts@siegel.example"}
	for name, tc := range map[string]struct {
		from, to string
		mutate   func(*Event)
	}{
		"To CRLF":            {to: "psirt@example.com\r\nBcc: victim@example.net"},
		"To LF":              {to: "psirt@example.com\nBcc: victim@example.net"},
		"To CR":              {to: "PSIRT\r <psirt@example.com>"},
		"From CRLF":          {from: "alerts@siegel.example\r\nBcc: victim@example.net"},
		"From name LF":       {from: "Siegel\n <alerts@siegel.example>"},
		"product CRLF":       {mutate: func(e *Event) { e.Product = "acme\r\nBcc: victim@example.net" }},
		"release LF":         {mutate: func(e *Event) { e.Release = "2.4.1\nX-Evil: 1" }},
		"vulnerability CR":   {mutate: func(e *Event) { e.Vulnerability = "CVE-2024-1234\r" }},
		"severity LF":        {mutate: func(e *Event) { e.Severity = "HIGH\n" }},
		"prev severity CRLF": {mutate: func(e *Event) { e.Kind = "finding.severity_changed"; e.PreviousSeverity = "LOW\r\n" }},
		"kind CRLF":          {mutate: func(e *Event) { e.Kind = "test\r\nBcc: victim@example.net" }},
		"ID LF":              {mutate: func(e *Event) { e.ID = "evt\nX: 1" }},
		"two recipients":     {to: "psirt@example.com, victim@example.net"},
		"no recipient":       {to: " "},
	} {
		m := ok
		if tc.from != "" {
			m.From = tc.from
		}
		to := "psirt@example.com"
		if tc.to != "" {
			to = tc.to
		}
		e := testEvent()
		if tc.mutate != nil {
			tc.mutate(&e)
		}
		err := m.Deliver(context.Background(), to, e)
		if err == nil || !Permanent(err) {
			t.Errorf("%s: err = %v, want a permanent error", name, err)
		}
	}
	if accepted, _ := srv.Stats(); accepted != 0 {
		t.Errorf("rejected messages still opened %d SMTP connections", accepted)
	}

	// Line breaks in body-only fields are harmless and must not fail.
	e := testEvent()
	e.Package = "pkg:x/y\r\nBcc: victim@example.net"
	e.Aliases = []string{"A\nB"}
	e.URL = "https://x.example/\r\nBcc: victim@example.net"
	if err := ok.Deliver(context.Background(), "psirt@example.com", e); err != nil {
		t.Fatalf("Deliver with line breaks in body fields: %v", err)
	}
	_, msgs := srv.Stats()
	msg, err := mail.ReadMessage(bytes.NewReader(msgs[len(msgs)-1].Data))
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Header["Bcc"]) != 0 {
		t.Errorf("Bcc header injected: %q", msg.Header["Bcc"])
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if !strings.Contains(string(body), "pkg:x/y  Bcc: victim@example.net") {
		t.Errorf("body does not flatten the package field:\n%s", body)
	}
}

func TestMailerBadAddr(t *testing.T) {
	for _, addr := range []string{"", "localhost", "smtp.example.com"} {
		err := Mailer{Addr: addr, From: "a@siegel.example"}.Deliver(context.Background(), "b@example.com", testEvent())
		if err == nil || !Permanent(err) {
			t.Errorf("Addr %q: err = %v, want a permanent error", addr, err)
		}
	}
}

func TestMailerReplies(t *testing.T) {
	for _, tc := range []struct {
		reply     string
		permanent bool
	}{
		{"550 5.1.1 no such user", true},
		{"553 5.1.3 bad address", true},
		{"451 4.3.0 try again later", false},
		{"452 4.2.2 mailbox full", false},
	} {
		srv := smtptest.Start(t, func(s *smtptest.Server) { s.RcptReply = tc.reply })
		err := Mailer{Addr: srv.Addr(), From: "a@siegel.example"}.Deliver(context.Background(), "b@example.com", testEvent())
		if err == nil || Permanent(err) != tc.permanent {
			t.Errorf("RCPT answered %q: err = %v, Permanent = %v, want %v", tc.reply, err, Permanent(err), tc.permanent)
		}
		var tpErr *textproto.Error
		if !errors.As(err, &tpErr) || tpErr.Code != atoi(tc.reply[:3]) {
			t.Errorf("RCPT answered %q: error %v does not carry the SMTP reply", tc.reply, err)
		}
	}

	// A closed port is a temporary failure.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = Mailer{Addr: addr, From: "a@siegel.example"}.Deliver(context.Background(), "b@example.com", testEvent())
	if err == nil || Permanent(err) {
		t.Errorf("closed port: err = %v, want a temporary error", err)
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// testCertificate returns a self-signed certificate for 127.0.0.1 and a pool
// trusting it.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "siegel test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestMailerSTARTTLS(t *testing.T) {
	cert, pool := testCertificate(t)
	srv := smtptest.Start(t, func(s *smtptest.Server) { s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}} })

	// Opportunistic (StartTLS false) and required both upgrade when offered.
	for _, required := range []bool{false, true} {
		m := Mailer{Addr: srv.Addr(), From: "a@siegel.example", Username: "u", Password: "p",
			StartTLS: required, TLSConfig: &tls.Config{RootCAs: pool}}
		if err := m.Deliver(context.Background(), "b@example.com", testEvent()); err != nil {
			t.Fatalf("StartTLS %v: %v", required, err)
		}
	}
	_, msgs := srv.Stats()
	for i, m := range msgs {
		if !m.TLS || m.Auth != "\x00u\x00p" || m.Helo == "" {
			t.Errorf("message %d: tls %v, auth %q, helo %q after STARTTLS", i, m.TLS, m.Auth, m.Helo)
		}
	}

	// An untrusted certificate fails the delivery.
	err := Mailer{Addr: srv.Addr(), From: "a@siegel.example"}.Deliver(context.Background(), "b@example.com", testEvent())
	if err == nil {
		t.Error("delivery succeeded with an untrusted certificate")
	}
	if _, msgs := srv.Stats(); len(msgs) != 2 {
		t.Errorf("server has %d messages, want 2", len(msgs))
	}

	// Required but not offered: permanent, and nothing is sent.
	plain := smtptest.Start(t, nil)
	err = Mailer{Addr: plain.Addr(), From: "a@siegel.example", StartTLS: true}.Deliver(context.Background(), "b@example.com", testEvent())
	if err == nil || !Permanent(err) {
		t.Errorf("STARTTLS required but not offered: err = %v, want a permanent error", err)
	}
	if _, msgs := plain.Stats(); len(msgs) != 0 {
		t.Errorf("message sent in clear text although STARTTLS was required")
	}
}

func TestMailerContext(t *testing.T) {
	srv := smtptest.Start(t, func(s *smtptest.Server) { s.Silent = true })
	m := Mailer{Addr: srv.Addr(), From: "a@siegel.example"}

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := m.Deliver(ctx, "b@example.com", testEvent())
	if !errors.Is(err, context.DeadlineExceeded) || Permanent(err) {
		t.Errorf("deadline: err = %v, want a temporary context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("deadline: Deliver returned after %s", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	err = m.Deliver(ctx, "b@example.com", testEvent())
	if !errors.Is(err, context.Canceled) || Permanent(err) {
		t.Errorf("cancel: err = %v, want a temporary context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel: Deliver returned after %s", d)
	}
}

// TestMailerSend: a message that is not about an event goes out with its subject and body, a
// Message-ID derived from its ID and no event header; a subject with a line break is refused
// before connecting.
func TestMailerSend(t *testing.T) {
	srv := smtptest.Start(t, nil)
	m := Mailer{Addr: srv.Addr(), From: "Siegel <siegel@acme.example>"}
	msg := Message{ID: "invitation.7", Subject: "Your account at ACME — Siegel", Body: "Open this link:\nhttps://siegel.example/invite/abc\n"}
	if err := m.Send(context.Background(), "pia@acme.example", msg); err != nil {
		t.Fatal(err)
	}
	_, msgs := srv.Stats()
	if len(msgs) != 1 || msgs[0].From != "siegel@acme.example" || !reflect.DeepEqual(msgs[0].Rcpts, []string{"pia@acme.example"}) {
		t.Fatalf("messages %+v", msgs)
	}
	got, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(got.Header.Get("Subject"))
	body, _ := io.ReadAll(quotedprintable.NewReader(got.Body))
	if subject != msg.Subject || strings.ReplaceAll(string(body), "\r\n", "\n") != "Open this link:\nhttps://siegel.example/invite/abc\n" ||
		got.Header.Get("Message-ID") != "<siegel.invitation.7@acme.example>" || got.Header.Get("X-Siegel-Event") != "" {
		t.Errorf("subject %q, body %q, headers %v", subject, body, got.Header)
	}
	err = m.Send(context.Background(), "pia@acme.example", Message{ID: "x", Subject: "hi\r\nBcc: eve@example.com", Body: "b"})
	if !Permanent(err) {
		t.Errorf("a subject with a line break: %v", err)
	}
	if accepted, _ := srv.Stats(); accepted != 1 {
		t.Errorf("connected %d times, want once", accepted)
	}
}
