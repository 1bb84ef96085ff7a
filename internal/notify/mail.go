package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// smtpTimeout bounds an SMTP session when the context has no deadline.
const smtpTimeout = time.Minute

// subjectPartMax bounds, in runes, each event field quoted in a subject.
const subjectPartMax = 120

// Mailer sends events as plain-text e-mail over SMTP.
//
// Each call to [Mailer.Deliver] opens its own SMTP session; the zero value
// is not usable (Addr and From are required).
type Mailer struct {
	Addr               string // host:port of the SMTP server
	From               string // sender, as an RFC 5322 address ("Siegel <siegel@example.org>" or "siegel@example.org")
	Username, Password string // optional; PLAIN auth (net/smtp refuses PLAIN without TLS except on localhost)
	StartTLS           bool   // require STARTTLS when true; when false use it if the server offers it
	// TLSConfig is used for STARTTLS; nil means the default configuration.
	// When its ServerName is empty, the host of Addr is used.
	TLSConfig *tls.Config
}

// Deliver sends one message about e to the recipient to, a single RFC 5322
// address. The message is plain text in UTF-8, quoted-printable encoded,
// with a subject such as
//
//	[Siegel] EXPLOITED: CVE-2024-1234 in acme-router 2.4.1
//	[Siegel] New finding: CVE-2024-1234 in acme-router 2.4.1
//
// and a body listing the product, release, vulnerability, aliases, package,
// severity, exploited status, summary and link of the finding. Its
// Message-ID is derived from e.ID, so that every attempt to deliver the same
// event carries the same Message-ID.
//
// A CR or LF (or any other control character) in m.From, to or the event
// fields that make up the subject is rejected before connecting, with an
// error for which [Permanent] is true; so are unparsable addresses and an
// invalid Addr. SMTP replies 5xx are permanent errors too, as is a missing
// STARTTLS when m.StartTLS is set; 4xx replies and network errors are
// temporary. The session is bound to ctx: cancelling ctx aborts it, and its
// deadline (or one minute when it has none) bounds the whole exchange.
//
// Once the server has accepted the message, errors while closing the
// session are ignored so that the caller does not send it twice.
func (m Mailer) Deliver(ctx context.Context, to string, e Event) error {
	if err := e.validate(); err != nil {
		return err
	}
	from, rcpt, host, err := m.envelope(to)
	if err != nil {
		return err
	}
	msg, err := composeMessage(from, rcpt, e, time.Now())
	if err != nil {
		return err
	}
	return m.send(ctx, host, from.Address, rcpt.Address, msg)
}

// envelope checks the sender, the recipient to and the server's address before connecting.
func (m Mailer) envelope(to string) (from, rcpt *mail.Address, host string, err error) {
	if from, err = parseAddress("From", m.From); err != nil {
		return nil, nil, "", err
	}
	if rcpt, err = parseAddress("To", to); err != nil {
		return nil, nil, "", err
	}
	host, _, err = net.SplitHostPort(m.Addr)
	if err != nil || host == "" {
		return nil, nil, "", permanent(fmt.Errorf("notify: invalid SMTP server address %q: want host:port", m.Addr))
	}
	return from, rcpt, host, nil
}

// parseAddress parses a single address for the header field, rejecting
// anything that could inject a header.
func parseAddress(field, s string) (*mail.Address, error) {
	if hasControl(s) {
		return nil, permanent(fmt.Errorf("notify: %s address %q contains a line break or control character", field, s))
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, permanent(fmt.Errorf("notify: invalid %s address %q: %w", field, s, err))
	}
	return a, nil
}

// send runs one SMTP session delivering msg from the envelope sender from to
// the envelope recipient to.
func (m Mailer) send(ctx context.Context, host, from, to string, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("notify: connecting to SMTP server %s: %w", m.Addr, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(smtpTimeout)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return fmt.Errorf("notify: SMTP session with %s: %w", m.Addr, err)
	}
	// On cancellation, a deadline in the past unblocks any pending I/O.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	fail := func(step string, err error) error {
		ctxErr := ctx.Err()
		if ctxErr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection deadline is the context's: it may fire an
			// instant before the context notices it is done.
			if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
				ctxErr = context.DeadlineExceeded
			}
		}
		if ctxErr != nil {
			err = fmt.Errorf("notify: SMTP %s with %s: %w (%w)", step, m.Addr, ctxErr, err)
		} else {
			err = fmt.Errorf("notify: SMTP %s with %s: %w", step, m.Addr, err)
		}
		var tpErr *textproto.Error
		if errors.As(err, &tpErr) && tpErr.Code >= 500 {
			return permanent(err)
		}
		return err
	}

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fail("greeting", err)
	}
	defer c.Close()

	if err := c.Hello(heloName(conn.LocalAddr())); err != nil {
		return fail("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := &tls.Config{}
		if m.TLSConfig != nil {
			cfg = m.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		if err := c.StartTLS(cfg); err != nil {
			return fail("STARTTLS", err)
		}
	} else if m.StartTLS {
		return permanent(fmt.Errorf("notify: SMTP server %s does not offer STARTTLS, which is required", m.Addr))
	}
	if m.Username != "" || m.Password != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return permanent(fmt.Errorf("notify: SMTP server %s does not offer AUTH but credentials are configured", m.Addr))
		}
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return fail("AUTH", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fail("MAIL FROM", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fail("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return fail("DATA", err)
	}
	if err := w.Close(); err != nil { // reads the server's verdict on the message
		return fail("DATA", err)
	}
	// The message is accepted: a failing QUIT must not trigger a resend.
	_ = c.Quit()
	return nil
}

// heloName returns the name to introduce ourselves with in EHLO: the
// address literal of the local end of the connection (RFC 5321, 4.1.3).
func heloName(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP == nil {
		return "localhost"
	}
	if ip4 := tcp.IP.To4(); ip4 != nil {
		return "[" + ip4.String() + "]"
	}
	return "[IPv6:" + tcp.IP.String() + "]"
}

// composeMessage renders the complete RFC 5322 message for e, dated now.
func composeMessage(from, to *mail.Address, e Event, now time.Time) ([]byte, error) {
	subject, err := subjectOf(e)
	if err != nil {
		return nil, err
	}
	return compose(from, to, e.ID, e.Kind, subject, bodyOf(e), now)
}

// compose renders a plain-text message with the Message-ID derived from id, naming the event
// kind in a header when there is one.
func compose(from, to *mail.Address, id, kind, subject, body string, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(id, from.Address))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies, please
	if kind != "" {
		header("X-Siegel-Event", mime.QEncoding.Encode("utf-8", kind))
	}
	b.WriteString("\r\n")

	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, fmt.Errorf("notify: encoding message %s: %w", id, err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("notify: encoding message %s: %w", id, err)
	}
	return b.Bytes(), nil
}

// Message is an e-mail about something other than an event, such as an invitation to an
// account.
type Message struct {
	ID      string // stable across attempts: the Message-ID is derived from it
	Subject string // one line
	Body    string // plain text, "\n" line endings
}

// Send sends one plain-text message to the recipient to over one SMTP session, with the checks
// and encoding of [Mailer.Deliver]: a control character in the subject or an address, or an
// empty ID or subject, is refused before connecting with an error for which [Permanent] is true.
func (m Mailer) Send(ctx context.Context, to string, msg Message) error {
	if msg.ID == "" || hasControl(msg.ID) {
		return permanent(fmt.Errorf("notify: message ID %q: give one without control characters", msg.ID))
	}
	if strings.TrimSpace(msg.Subject) == "" || hasControl(msg.Subject) {
		return permanent(fmt.Errorf("notify: message %s: the subject is empty or contains a line break or control character", msg.ID))
	}
	from, rcpt, host, err := m.envelope(to)
	if err != nil {
		return err
	}
	data, err := compose(from, rcpt, msg.ID, "", truncate(strings.ToValidUTF8(msg.Subject, "\uFFFD"), 200), multiLine(msg.Body)+"\n", time.Now())
	if err != nil {
		return err
	}
	return m.send(ctx, host, from.Address, rcpt.Address, data)
}

// subjectOf returns the subject line for e. Fields that go into it must not
// contain control characters, CR and LF in particular.
func subjectOf(e Event) (string, error) {
	for _, f := range []struct{ name, value string }{
		{"vulnerability", e.Vulnerability},
		{"product", e.Product},
		{"release", e.Release},
		{"severity", e.Severity},
		{"previous severity", e.PreviousSeverity},
	} {
		if hasControl(f.value) {
			return "", permanent(fmt.Errorf("notify: event %s: %s %q contains a line break or control character",
				e.ID, f.name, f.value))
		}
	}
	part := func(s string) string { return truncate(strings.ToValidUTF8(s, "\uFFFD"), subjectPartMax) }

	what := part(e.Vulnerability)
	if what == "" {
		what = "unknown vulnerability"
	}
	if where := strings.TrimSpace(part(e.Product) + " " + part(e.Release)); where != "" {
		what += " in " + where
	}
	switch {
	case e.Kind == kindExploited || (e.Kind == kindNew && e.Exploited):
		return "[Siegel] EXPLOITED: " + what, nil
	case e.Kind == kindNew:
		return "[Siegel] New finding: " + what, nil
	case e.Kind == kindSeverityChanged:
		change := "Severity changed"
		switch {
		case e.PreviousSeverity != "" && e.Severity != "":
			change += " (" + part(e.PreviousSeverity) + " to " + part(e.Severity) + ")"
		case e.Severity != "":
			change += " to " + part(e.Severity)
		}
		return "[Siegel] " + change + ": " + what, nil
	case e.Kind == kindTest:
		if e.Vulnerability == "" {
			return "[Siegel] Test notification", nil
		}
		return "[Siegel] Test notification: " + what, nil
	default:
		return "[Siegel] Notification (" + part(e.Kind) + "): " + what, nil
	}
}

// bodyOf returns the plain-text body for e, with "\n" line endings.
func bodyOf(e Event) string {
	var b strings.Builder
	line := func(label, value string) {
		if value = oneLine(value); value != "" {
			fmt.Fprintf(&b, "%-15s %s\n", label+":", value)
		}
	}
	where := strings.TrimSpace(oneLine(e.Product) + " " + oneLine(e.Release))
	if where == "" {
		where = "a release"
	}
	vuln := oneLine(e.Vulnerability)
	if vuln == "" {
		vuln = "A vulnerability"
	}

	switch {
	case e.Kind == kindTest:
		b.WriteString("This is a test notification from Siegel: e-mail delivery to this address works.\n")
	case e.Kind == kindExploited || (e.Kind == kindNew && e.Exploited):
		fmt.Fprintf(&b, "%s, which affects %s, is known to be EXPLOITED in the wild.\n", vuln, where)
	case e.Kind == kindNew:
		fmt.Fprintf(&b, "Siegel found a new vulnerability affecting %s: %s.\n", where, vuln)
	case e.Kind == kindSeverityChanged:
		change := "has changed"
		if prev, cur := oneLine(e.PreviousSeverity), oneLine(e.Severity); prev != "" && cur != "" {
			change = "changed from " + prev + " to " + cur
		} else if cur != "" {
			change = "changed to " + cur
		}
		fmt.Fprintf(&b, "The severity of %s, which affects %s, %s.\n", vuln, where, change)
	default:
		fmt.Fprintf(&b, "Siegel reports an event of kind %q about %s in %s.\n", oneLine(e.Kind), vuln, where)
	}
	b.WriteString("\n")

	line("Product", e.Product)
	line("Release", e.Release)
	line("Vulnerability", e.Vulnerability)
	aliases := make([]string, 0, len(e.Aliases))
	for _, a := range e.Aliases {
		if a = oneLine(a); a != "" {
			aliases = append(aliases, a)
		}
	}
	line("Aliases", strings.Join(aliases, ", "))
	line("Package", e.Package)
	severity := oneLine(e.Severity)
	if prev := oneLine(e.PreviousSeverity); prev != "" {
		if severity == "" {
			severity = "unknown"
		}
		severity += " (previously " + prev + ")"
	}
	line("Severity", severity)
	if e.Exploited {
		line("Exploited", "YES, known to be exploited in the wild")
	} else {
		line("Exploited", "no known exploitation")
	}
	if !e.Time.IsZero() {
		line("Time", e.Time.UTC().Format(time.RFC3339))
	}
	line("Details", e.URL)

	if summary := multiLine(e.Summary); summary != "" {
		b.WriteString("\nSummary:\n")
		b.WriteString(summary)
		b.WriteString("\n")
	}

	b.WriteString("\n-- \n")
	fmt.Fprintf(&b, "Sent by Siegel. Event %s, kind %s", oneLine(e.ID), oneLine(e.Kind))
	if e.Organization != 0 {
		fmt.Fprintf(&b, ", organization %d", e.Organization)
	}
	if e.ReleaseID != 0 {
		fmt.Fprintf(&b, ", release id %d", e.ReleaseID)
	}
	b.WriteString(".\n")
	return b.String()
}

// oneLine makes s fit on one line of the body: valid UTF-8, control
// characters replaced by spaces, surrounding space trimmed.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s))
}

// multiLine cleans free text for the body: valid UTF-8, "\n" line endings,
// other control characters except tabs replaced by spaces.
func multiLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Trim(s, "\n")
}

// messageID derives a Message-ID from the event ID, so that all attempts
// to deliver the same event carry the same one. The domain is the sender's.
// IDs that are not safe in a Message-ID are replaced by a hash of themselves.
func messageID(id, fromAddr string) string {
	domain := "siegel.invalid"
	if at := strings.LastIndexByte(fromAddr, '@'); at >= 0 && isDotAtom(fromAddr[at+1:]) {
		domain = fromAddr[at+1:]
	}
	local := id
	if len(id) > 64 || !isDotAtom(id) {
		sum := sha256.Sum256([]byte(id))
		local = hex.EncodeToString(sum[:16])
	}
	return "<siegel." + local + "@" + domain + ">"
}

// isDotAtom reports whether s is a non-empty dot-atom made of letters,
// digits and a few punctuation characters safe in a Message-ID.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(".-_+=", c) >= 0:
		default:
			return false
		}
	}
	return true
}
