package lab

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"time"
)

// Telnet commands (RFC 854) and the options Siegel agrees to (RFC 857 echo, RFC 858
// suppress-go-ahead); every other option is refused.
const (
	iac  = 255
	dont = 254
	do   = 253
	wont = 252
	will = 251
	sb   = 250
	se   = 240

	optEcho = 1
	optSGA  = 3
)

// maxSubneg bounds a subnegotiation: a peer that never ends one cannot grow memory.
const maxSubneg = 256

// telnetStream separates a telnet byte stream into data and commands, across reads. It keeps
// only the state of a command split by a read boundary.
type telnetStream struct {
	state  int // 0 data, 1 after IAC, 2 after WILL/WONT/DO/DONT, 3 in SB, 4 IAC in SB
	verb   byte
	subLen int
}

// feed consumes b and returns the data bytes and the replies to send back (refusals of every
// option but echo and suppress-go-ahead, which a login needs).
func (t *telnetStream) feed(b []byte) (data, reply []byte) {
	for _, c := range b {
		switch t.state {
		case 0:
			if c == iac {
				t.state = 1
			} else {
				data = append(data, c)
			}
		case 1:
			switch c {
			case iac: // escaped 255 is data
				data = append(data, iac)
				t.state = 0
			case will, wont, do, dont:
				t.verb, t.state = c, 2
			case sb:
				t.state, t.subLen = 3, 0
			default: // a two-byte command (NOP, GA, ...): nothing to answer
				t.state = 0
			}
		case 2:
			switch t.verb {
			case will:
				if c == optEcho || c == optSGA {
					reply = append(reply, iac, do, c)
				} else {
					reply = append(reply, iac, dont, c)
				}
			case do:
				if c == optSGA {
					reply = append(reply, iac, will, c)
				} else {
					reply = append(reply, iac, wont, c)
				}
			}
			t.state = 0
		case 3:
			t.subLen++
			if c == iac {
				t.state = 4
			} else if t.subLen > maxSubneg {
				t.state = 0 // a runaway subnegotiation: give up on it, read on as data
			}
		case 4:
			if c == se {
				t.state = 0
			} else {
				t.state = 3
			}
		}
	}
	return data, reply
}

var (
	userPrompt  = regexp.MustCompile(`(?i)(login|username|user name|user)\s*:\s*$`)
	passPrompt  = regexp.MustCompile(`(?i)password\s*:\s*$`)
	loginFailed = regexp.MustCompile(`(?i)(incorrect|failed|invalid|denied|bad password|wrong)`)
	shellPrompt = regexp.MustCompile(`[#$>%]\s*$`)
	// ansiCSI matches terminal control sequences a shell sends after its prompt (busybox ash
	// asks for the cursor position, ESC [ 6 n).
	ansiCSI   = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	shellText = regexp.MustCompile(`(?i)built-in shell|enter 'help'|last login`)
)

// telnetConn is a telnet client session: it answers negotiation and collects data.
type telnetConn struct {
	c    net.Conn
	t    telnetStream
	seen []byte // all data received, for the transcript
}

// until reads until re matches the data received since the call began (trailing), or one of
// stop does, or the time runs out. It returns what it read and which matched (-1: none).
func (tc *telnetConn) until(wait time.Duration, res ...*regexp.Regexp) ([]byte, int) {
	deadline := time.Now().Add(wait)
	var got []byte
	buf := make([]byte, 1024)
	for time.Now().Before(deadline) && len(got) < 64<<10 {
		_ = tc.c.SetReadDeadline(deadline)
		n, err := tc.c.Read(buf)
		data, reply := tc.t.feed(buf[:n])
		if len(reply) > 0 {
			_, _ = tc.c.Write(reply)
		}
		got = append(got, data...)
		tc.seen = append(tc.seen, data...)
		tail := bytes.TrimRight(ansiCSI.ReplaceAll(got, nil), "\x00")
		for i, re := range res {
			if re.Match(tail) {
				return got, i
			}
		}
		if err != nil {
			return got, -1
		}
	}
	return got, -1
}

// loginOutcome is what one login attempt came to.
type loginOutcome int

const (
	loginRejected loginOutcome = iota
	loginAccepted
	loginRefused // the service would not let us try: closed, reset, no prompt
	loginUnknown // it answered, but neither as success nor as failure
)

func (o loginOutcome) String() string {
	return [...]string{"rejected", "accepted", "refused", "unknown"}[o]
}

// telnetLogin tries one user name and password on a new connection.
func (e *engine) telnetLogin(ctx context.Context, addr string, cred Credential) (loginOutcome, time.Duration) {
	c, err := e.p.connect(ctx, "telnet-connect", addr, e.cfg.ConnectTimeout)
	if err != nil {
		return loginRefused, 0
	}
	defer c.Close()
	start, t0 := e.p.now(), time.Now()
	tc := &telnetConn{c: c}
	sent := ""
	outcome := loginUnknown
	defer func() {
		e.p.session("telnet-login", addr, start, time.Since(t0), sent, Printable(tc.seen), outcome.String()+" "+cred.User)
	}()
	_, which := tc.until(5*time.Second, userPrompt, passPrompt)
	switch which {
	case 0:
		_, _ = c.Write([]byte(cred.User + "\r\n"))
		sent = cred.User + "\\r\\n"
		if _, w := tc.until(5*time.Second, passPrompt, shellPrompt); w == 1 {
			outcome = loginAccepted // no password asked at all
			return outcome, time.Since(t0)
		} else if w != 0 {
			outcome = loginRefused
			return outcome, time.Since(t0)
		}
	case 1:
	default:
		outcome = loginRefused
		return outcome, time.Since(t0)
	}
	t1 := time.Now()
	_, _ = c.Write([]byte(cred.Password + "\r\n"))
	sent += " <password>\\r\\n"
	got, w := tc.until(8*time.Second, loginFailed, userPrompt, shellPrompt)
	lat := time.Since(t1)
	switch {
	case w == 0 || w == 1:
		outcome = loginRejected
	case w == 2 && !bytes.Contains(bytes.ToLower(got), []byte("password")), shellText.Match(got):
		outcome = loginAccepted
	case len(got) == 0:
		outcome = loginRefused
	}
	if outcome == loginAccepted {
		_, _ = c.Write([]byte("exit\r\n"))
	}
	return outcome, lat
}
