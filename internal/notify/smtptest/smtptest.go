// Package smtptest runs a small SMTP server (RFC 5321, with STARTTLS and AUTH PLAIN) on a
// loopback port for tests, recording the messages it accepts.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a minimal RFC 5321 server recording what it receives. The fields are set by the
// configure function of Start.
type Server struct {
	ln        net.Listener
	TLSConfig *tls.Config // non-nil: offer STARTTLS
	RcptReply string      // non-empty: answer RCPT TO with this line
	Silent    bool        // accept connections but never greet

	done chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int
	messages []Message
}

// Message is one message the server accepted.
type Message struct {
	Helo     string
	TLS      bool
	Auth     string // decoded AUTH PLAIN response
	From     string
	Rcpts    []string
	RawLines []string // DATA lines as sent, before dot-unstuffing
	Data     []byte   // the message, CRLF line endings
}

// Start starts a server on a loopback port for the test, set up by configure (nil: defaults);
// the test's cleanup stops it.
func Start(t testing.TB, configure func(*Server)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ln: ln, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	if configure != nil {
		configure(s)
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		close(s.done)
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.accepted++
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.session(c)
		}()
	}
}

// Stats reports how many connections the server accepted and the messages it received.
func (s *Server) Stats() (accepted int, messages []Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, append([]Message(nil), s.messages...)
}

func (s *Server) session(conn net.Conn) {
	if s.Silent {
		<-s.done
		return
	}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	tp := textproto.NewConn(conn)
	var m Message
	reply := func(lines ...string) {
		for _, l := range lines {
			if tp.PrintfLine("%s", l) != nil {
				return
			}
		}
	}
	reply("220 test.invalid ESMTP siegel-test")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			m.Helo = arg
			lines := []string{"250-test.invalid greets " + arg}
			if s.TLSConfig != nil && !m.TLS {
				lines = append(lines, "250-STARTTLS")
			}
			reply(append(lines, "250-AUTH PLAIN", "250 HELP")...)
		case "HELO":
			m.Helo = arg
			reply("250 test.invalid")
		case "STARTTLS":
			if s.TLSConfig == nil || m.TLS {
				reply("502 5.5.1 not now")
				continue
			}
			reply("220 2.0.0 go ahead")
			tc := tls.Server(conn, s.TLSConfig)
			if tc.Handshake() != nil {
				return
			}
			tp = textproto.NewConn(tc)
			m = Message{TLS: true} // RFC 3207: forget everything
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				reply("504 5.5.4 mechanism not supported")
				continue
			}
			if resp == "" {
				reply("334 ")
				if resp, err = tp.ReadLine(); err != nil {
					return
				}
			}
			dec, err := base64.StdEncoding.DecodeString(resp)
			if err != nil {
				reply("501 5.5.2 bad base64")
				continue
			}
			m.Auth = string(dec)
			reply("235 2.7.0 authenticated")
		case "MAIL":
			addr, ok := envelopeAddr(arg, "FROM:")
			if !ok || m.Helo == "" {
				reply("501 5.5.4 bad MAIL")
				continue
			}
			m.From, m.Rcpts = addr, nil
			reply("250 2.1.0 ok")
		case "RCPT":
			if s.RcptReply != "" {
				reply(s.RcptReply)
				continue
			}
			addr, ok := envelopeAddr(arg, "TO:")
			if !ok || m.From == "" {
				reply("503 5.5.1 bad sequence")
				continue
			}
			m.Rcpts = append(m.Rcpts, addr)
			reply("250 2.1.5 ok")
		case "DATA":
			if m.From == "" || len(m.Rcpts) == 0 {
				reply("503 5.5.1 bad sequence")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			var data bytes.Buffer
			m.RawLines = nil
			for {
				l, err := tp.ReadLine()
				if err != nil {
					return
				}
				if l == "." {
					break
				}
				m.RawLines = append(m.RawLines, l)
				l = strings.TrimPrefix(l, ".") // dot-unstuffing, RFC 5321 4.5.2
				data.WriteString(l + "\r\n")
			}
			m.Data = data.Bytes()
			s.mu.Lock()
			s.messages = append(s.messages, m)
			s.mu.Unlock()
			m.From, m.Rcpts = "", nil
			reply("250 2.0.0 queued")
		case "RSET":
			m.From, m.Rcpts = "", nil
			reply("250 2.0.0 ok")
		case "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 unknown command")
		}
	}
}

// envelopeAddr extracts the address from "FROM:<a@b> PARAMS".
func envelopeAddr(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}
