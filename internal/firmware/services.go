package firmware

import (
	"bytes"
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

// remoteShell is one kind of unauthenticated or clear-text remote shell.
type remoteShell struct {
	rule, id string
	name     string // what to call it in messages
	port     int    // default TCP port
}

var (
	shellTelnet = remoteShell{"telnet", "telnet-at-boot", "telnet server", 23}
	shellRlogin = remoteShell{"remote-shell", "rlogin-at-boot", "rlogin server", 513}
	shellRsh    = remoteShell{"remote-shell", "rsh-at-boot", "rsh server", 514}
	shellRexec  = remoteShell{"remote-shell", "rexec-at-boot", "rexec server", 512}
	shellBind   = remoteShell{"remote-shell", "bind-shell-at-boot", "shell bound to a listening socket", 0}
)

// shellDaemons maps program base names to what they serve.
var shellDaemons = map[string]remoteShell{
	"telnetd": shellTelnet, "in.telnetd": shellTelnet, "utelnetd": shellTelnet, "telnetd.busybox": shellTelnet,
	"rlogind": shellRlogin, "in.rlogind": shellRlogin,
	"rshd": shellRsh, "in.rshd": shellRsh,
	"rexecd": shellRexec, "in.rexecd": shellRexec,
}

// inetdServices maps inetd service names to what they serve.
var inetdServices = map[string]remoteShell{"telnet": shellTelnet, "login": shellRlogin, "shell": shellRsh, "exec": shellRexec}

// servicesRequirements are the clauses a remote shell at boot breaks.
var servicesRequirements = []string{
	"ETSI EN 303 645 5.6-1",
	"ETSI EN 303 645 5.6-5",
	"ETSI EN 303 645 5.5-1",
	"BSI TR-03148",
	"CRA Annex I Part I (2)(j)",
}

// launch is a remote shell that a boot file starts.
type launch struct {
	shell   remoteShell
	program string   // as written: "/usr/sbin/telnetd", "telnetd"
	args    []string // after the program
	port    int
	via     string // what starts it: "inittab respawn entry", "init script", ...
}

// serviceScan is the state of one CheckServices run.
type serviceScan struct {
	t       *unpack.Tree
	out     []Weakness
	done    map[string]bool // scripts already read
	queue   []string        // scripts still to read
	reasons map[string]string
}

// CheckServices reports telnet and other unauthenticated or clear-text remote shells (rlogin,
// rsh, rexec, a shell bound with nc -e) that the image starts at boot: from /etc/inittab, init
// scripts that run (rcS, rc.local, enabled /etc/init.d scripts, including OpenWrt procd ones),
// scripts those call, inetd and xinetd, enabled systemd services and sockets, and @reboot cron
// jobs. Commented and disabled entries are not findings.
func CheckServices(t *unpack.Tree) []Weakness {
	s := &serviceScan{t: t, done: map[string]bool{}, reasons: map[string]string{}}
	s.queueInitScripts()
	for _, e := range t.Entries() {
		if !e.Mode.IsRegular() {
			continue
		}
		p := e.Path
		switch {
		case p == "etc/inittab":
			s.inittab(e)
		case p == "etc/inetd.conf" || strings.HasPrefix(p, "etc/inetd.d/"):
			s.inetd(e)
		case p == "etc/xinetd.conf" || strings.HasPrefix(p, "etc/xinetd.d/"):
			s.xinetd(e)
		case p == "etc/crontab" || strings.HasPrefix(p, "etc/cron.d/"):
			s.cron(e, true)
		case strings.HasPrefix(p, "etc/crontabs/") || strings.HasPrefix(p, "var/spool/cron/"):
			s.cron(e, false)
		}
	}
	s.systemd()
	for len(s.queue) > 0 {
		p := s.queue[0]
		s.queue = s.queue[1:]
		if e := t.Entry(p); e != nil {
			s.script(e, s.reasons[p])
		}
	}
	slices.SortFunc(s.out, func(a, b Weakness) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.ID, b.ID)
	})
	return s.out
}

var (
	rcLinkDir = regexp.MustCompile(`^etc/(rc\.d/)?rc[0-6Ss]\.d$|^etc/rc\.d$`)
	startLink = regexp.MustCompile(`^S[0-9]`)
)

// queueInitScripts finds the scripts that run at boot without being named by another one.
func (s *serviceScan) queueInitScripts() {
	for _, p := range []string{"etc/rc.local", "etc/rc.d/rc.local", "etc/rcS", "etc/rc", "etc/rc.sysinit",
		"etc/init.d/rcS", "etc/init.d/rc.local", "etc/rc.d/rcS", "etc/rc.d/rc.sysinit", "etc/boot.local"} {
		s.enqueue(p, "boot script")
	}
	haveLinks := false
	for _, e := range s.t.Entries() {
		dir := path.Dir(e.Path)
		if !rcLinkDir.MatchString(dir) {
			continue
		}
		haveLinks = true
		if !startLink.MatchString(path.Base(e.Path)) {
			continue
		}
		if target := s.t.Resolve(e.Path); target != nil && target.Mode.IsRegular() {
			s.enqueue(target.Path, "init script enabled by "+e.Path)
		}
	}
	for _, e := range s.t.Entries() {
		if path.Dir(e.Path) != "etc/init.d" || !e.Mode.IsRegular() {
			continue
		}
		switch base := path.Base(e.Path); {
		case startLink.MatchString(base):
			s.enqueue(e.Path, "init script that rcS runs for its S?? name")
		case !haveLinks:
			s.enqueue(e.Path, "init script; no runlevel links in the image tell whether it is enabled")
		}
	}
}

func (s *serviceScan) enqueue(p, why string) {
	if s.done[p] {
		return
	}
	e := s.t.Resolve(p)
	if e == nil || !e.Mode.IsRegular() || bytes.HasPrefix(e.Data, []byte("\x7fELF")) {
		return
	}
	p = e.Path
	if s.done[p] {
		return
	}
	s.done[p] = true
	s.reasons[p] = why
	s.queue = append(s.queue, p)
}

// script reads a shell script line by line, following the scripts it runs.
func (s *serviceScan) script(e *unpack.Entry, via string) {
	vars := map[string]string{}
	forEachLine(e.Data, true, func(n int, line string) {
		for _, words := range shellCommands(line) {
			words = expandVars(words, vars)
			if len(words) == 1 || len(words) > 1 && isAssignment(words[0]) {
				for _, w := range words {
					if !isAssignment(w) {
						break
					}
					k, v, _ := strings.Cut(w, "=")
					vars[k] = v
				}
			}
			if l, ok := classifyCommand(words); ok {
				l.via = via
				s.report(e.Path, n, line, l)
				continue
			}
			// A script that runs another script runs what that one starts.
			for _, p := range scriptTargets(words) {
				s.enqueue(p, "run by "+e.Path)
			}
		}
	})
}

// inittab reads lines of the form id:runlevels:action:process (busybox leaves id and runlevels
// empty).
func (s *serviceScan) inittab(e *unpack.Entry) {
	forEachLine(e.Data, false, func(n int, line string) {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' {
			return
		}
		parts := strings.SplitN(trimmed, ":", 4)
		if len(parts) != 4 {
			return
		}
		action := strings.TrimSpace(parts[2])
		switch action {
		case "off", "ctrlaltdel", "shutdown", "restart", "powerfail", "powerwait", "powerfailnow", "powerokwait", "kbrequest":
			return
		}
		process := strings.TrimPrefix(strings.TrimSpace(parts[3]), "-")
		for _, words := range shellCommands(process) {
			if l, ok := classifyCommand(words); ok {
				l.via = "/etc/inittab " + action + " entry"
				s.report(e.Path, n, line, l)
			} else {
				for _, p := range scriptTargets(words) {
					s.enqueue(p, "run by /etc/inittab ("+action+")")
				}
			}
		}
	})
}

// inetd reads "service socket-type protocol wait user server-program args", where busybox
// also takes a port number as the service.
func (s *serviceScan) inetd(e *unpack.Entry) {
	forEachLine(e.Data, false, func(n int, line string) {
		f := strings.Fields(line)
		if len(f) < 6 || strings.HasPrefix(f[0], "#") || !strings.HasPrefix(f[2], "tcp") {
			return
		}
		service := f[0]
		if i := strings.LastIndexByte(service, ':'); i >= 0 {
			service = service[i+1:] // host:service
		}
		words := f[5:]
		if len(words) > 1 && (path.Base(words[0]) == "tcpd" || words[0] == "internal") {
			words = words[1:]
		}
		l, ok := classifyCommand(words)
		known, byName := inetdServices[service]
		if !ok && !byName {
			return
		}
		if !ok {
			l = launch{shell: known, program: words[0]}
		}
		l.port = l.shell.port
		if byName {
			l.port = known.port
		} else if p, err := strconv.Atoi(service); err == nil {
			l.port = p
		}
		l.via = "inetd"
		s.report(e.Path, n, line, l)
	})
}

// xinetd reads "service NAME { attribute = value ... }" blocks; a service with disable = yes
// is off.
func (s *serviceScan) xinetd(e *unpack.Entry) {
	type block struct {
		line            int
		text, name      string
		server, args    string
		port            int
		disabled, inBox bool
	}
	var b *block
	flush := func() {
		if b == nil || b.disabled {
			return
		}
		words := append([]string{b.server}, strings.Fields(b.args)...)
		l, ok := classifyCommand(words)
		known, byName := inetdServices[b.name]
		if !ok && !(byName && b.server != "") {
			return
		}
		if !ok {
			l = launch{shell: known, program: b.server}
		}
		l.port = cmp.Or(b.port, known.port, l.shell.port)
		l.via = "xinetd"
		s.report(e.Path, b.line, b.text, l)
	}
	forEachLine(e.Data, true, func(n int, line string) {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "service" && len(f) >= 2:
			flush()
			b = &block{line: n, text: line, name: f[1]}
		case b != nil && f[0] == "}":
			flush()
			b = nil
		case b != nil:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return
			}
			k, v = strings.TrimSpace(strings.TrimRight(k, "+-")), strings.TrimSpace(v)
			switch k {
			case "disable":
				b.disabled = v == "yes"
			case "server":
				b.server = v
			case "server_args":
				b.args = v
			case "port":
				b.port, _ = strconv.Atoi(v)
			}
		}
	})
	flush()
}

// cron reads @reboot jobs; system crontabs have a user field before the command.
func (s *serviceScan) cron(e *unpack.Entry, userField bool) {
	forEachLine(e.Data, false, func(n int, line string) {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "@reboot" {
			return
		}
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "@reboot"))
		if userField {
			i := strings.IndexAny(rest, " \t")
			if i < 0 {
				return
			}
			rest = rest[i:]
		}
		for _, words := range shellCommands(rest) {
			if l, ok := classifyCommand(words); ok {
				l.via = "@reboot cron job"
				s.report(e.Path, n, line, l)
			}
		}
	})
}

var systemdDirs = []string{"etc/systemd/system/", "lib/systemd/system/", "usr/lib/systemd/system/"}

// systemd reports enabled services that run a remote shell, and enabled sockets whose
// service does.
func (s *serviceScan) systemd() {
	enabled := map[string]bool{}
	masked := map[string]bool{}
	units := map[string]*unpack.Entry{} // name -> first unit file in search order
	for _, dir := range systemdDirs {
		for _, e := range s.t.Entries() {
			if !strings.HasPrefix(e.Path, dir) {
				continue
			}
			parent := path.Dir(e.Path)
			if strings.HasSuffix(parent, ".wants") || strings.HasSuffix(parent, ".requires") {
				enabled[path.Base(e.Path)] = true
				continue
			}
			if parent+"/" != dir {
				continue
			}
			if e.Link == "/dev/null" || e.Link == "../../../dev/null" {
				masked[path.Base(e.Path)] = true
			}
			if !e.Mode.IsRegular() {
				continue
			}
			if _, ok := units[path.Base(e.Path)]; !ok {
				units[path.Base(e.Path)] = e
			}
		}
	}
	isEnabled := func(name string) bool {
		if masked[name] {
			return false
		}
		if enabled[name] {
			return true
		}
		// An instance foo@bar.service is enabled by a link of that name to foo@.service.
		for n := range enabled {
			if at := strings.IndexByte(n, '@'); at > 0 && strings.HasPrefix(name, n[:at+1]) && strings.HasSuffix(n, path.Ext(name)) {
				return true
			}
		}
		return false
	}
	names := make([]string, 0, len(units))
	for n := range units {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		e := units[name]
		switch path.Ext(name) {
		case ".service":
			if !isEnabled(name) {
				continue
			}
			for _, x := range unitValues(e, "ExecStart") {
				if l, ok := classifyCommand(shellWords(trimExecPrefix(x.value))); ok {
					l.via = "systemd service " + name
					s.report(e.Path, x.line, x.text, l)
				}
			}
		case ".socket":
			if !isEnabled(name) {
				continue
			}
			stem := strings.TrimSuffix(name, ".socket")
			svcName := stem + ".service"
			for _, x := range unitValues(e, "Accept") {
				if x.value == "yes" || x.value == "true" {
					svcName = stem + "@.service"
				}
			}
			for _, x := range unitValues(e, "Service") {
				svcName = x.value
			}
			svc := units[svcName]
			if svc == nil {
				continue
			}
			for _, x := range unitValues(svc, "ExecStart") {
				l, ok := classifyCommand(shellWords(trimExecPrefix(x.value)))
				if !ok {
					continue
				}
				for _, ls := range unitValues(e, "ListenStream") {
					addr := ls.value
					if i := strings.LastIndexByte(addr, ':'); i >= 0 {
						addr = addr[i+1:]
					}
					port, err := strconv.Atoi(addr)
					if err != nil {
						continue // a Unix socket
					}
					l.port = port
					l.via = "systemd socket " + name + " (runs " + svcName + ")"
					s.report(e.Path, ls.line, ls.text, l)
				}
			}
		}
	}
}

type unitValue struct {
	line        int
	text, value string
}

// unitValues returns the assignments of key in a systemd unit file, skipping comments.
func unitValues(e *unpack.Entry, key string) []unitValue {
	var out []unitValue
	forEachLine(e.Data, true, func(n int, line string) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.TrimSpace(k) == key {
			out = append(out, unitValue{n, line, strings.TrimSpace(v)})
		}
	})
	return out
}

func trimExecPrefix(s string) string { return strings.TrimLeft(s, "-@+!:") }

func (s *serviceScan) report(p string, n int, line string, l launch) {
	runs := l.program
	where := ""
	if e := s.findProgram(l.program); e != nil {
		if e.Path != strings.TrimPrefix(l.program, "/") {
			where = " (" + l.program + " is " + e.Path + ")"
		}
		if base := path.Base(e.Path); strings.HasPrefix(base, "busybox") && !strings.HasPrefix(path.Base(l.program), "busybox") {
			where = " (" + l.program + " is the busybox applet in " + e.Path + ")"
		}
	} else if !strings.HasPrefix(path.Base(l.program), "busybox") {
		where = " (" + l.program + " is not in this image)"
	}
	port := ""
	if l.port > 0 {
		port = fmt.Sprintf(" on TCP port %d", l.port)
	}
	msg := fmt.Sprintf("A %s is started at boot (%s)%s.", l.shell.name, l.via, port)
	switch l.shell {
	case shellTelnet:
		msg += " Telnet carries the login and the whole session in clear text and is the first door botnets such as Mirai try with default passwords."
	case shellBind:
		msg += " Anyone who connects gets a shell without any password."
	default:
		msg += " It trusts host names or sends passwords in clear text."
	}
	if login := loginProgram(l.args); login != "" && isShell(login) {
		msg += " It runs " + login + " directly (-l), so no password is asked at all."
	}
	evidence := strings.TrimSpace(line)
	if len(evidence) > 300 {
		evidence = evidence[:300]
	}
	evidence += " → runs " + runs + where
	s.out = append(s.out, Weakness{
		Rule:         l.shell.rule,
		ID:           l.shell.id,
		Severity:     "high",
		Path:         p,
		Line:         n,
		Message:      msg,
		Evidence:     evidence,
		Requirements: slices.Clone(servicesRequirements),
	})
}

// findProgram finds the file a command word runs: an absolute path through symbolic links, or
// a bare name along the usual PATH.
func (s *serviceScan) findProgram(prog string) *unpack.Entry {
	if strings.HasPrefix(prog, "/") {
		p := strings.TrimPrefix(path.Clean(prog), "/")
		if p == "" {
			return nil
		}
		return s.t.Resolve(p)
	}
	if strings.Contains(prog, "/") || prog == "" {
		return nil
	}
	for _, dir := range []string{"usr/sbin", "usr/bin", "sbin", "bin"} {
		if e := s.t.Resolve(dir + "/" + prog); e != nil {
			return e
		}
	}
	return nil
}

// forEachLine calls fn with each line and its 1-based number. With shell set, a line ending
// in a backslash continues on the next, and the whole is reported at its first line.
func forEachLine(data []byte, shell bool, fn func(n int, line string)) {
	n := 0
	var pending strings.Builder
	start := 0
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		n++
		l := strings.TrimSuffix(string(line), "\r")
		if shell && strings.HasSuffix(l, "\\") && !strings.HasSuffix(l, "\\\\") {
			if pending.Len() == 0 {
				start = n
			}
			pending.WriteString(strings.TrimSuffix(l, "\\"))
			pending.WriteByte(' ')
			continue
		}
		if pending.Len() > 0 {
			pending.WriteString(l)
			fn(start, pending.String())
			pending.Reset()
			continue
		}
		fn(n, l)
	}
	if pending.Len() > 0 {
		fn(start, pending.String())
	}
}

// shellCommands splits one line of shell into simple commands, each a list of words with
// quotes removed, dropping comments. It is not a shell: it knows enough to tell the command
// word of each simple command, which is what decides whether a line starts a program.
func shellCommands(line string) [][]string {
	var cmds [][]string
	var words []string
	var w strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
	endCmd := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
			words = nil
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				j = len(line) - i - 1
			}
			w.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '\\' && i+1 < len(line):
			w.WriteByte(line[i+1])
			inWord = true
			i++
		case c == '#' && !inWord:
			endCmd()
			return cmds
		case c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '`' || c == '{' || c == '}':
			if c == ')' && inWord {
				// "start)" is a case pattern.
				endWord()
				if len(words) == 1 {
					words = nil
				}
			}
			if (c == '{' || c == '}') && inWord {
				w.WriteByte(c) // ${VAR}
				continue
			}
			endCmd()
		case c == ' ' || c == '\t':
			endWord()
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	endCmd()
	return cmds
}

// shellWords splits a command line (such as systemd's ExecStart) into words.
func shellWords(s string) []string {
	cmds := shellCommands(s)
	if len(cmds) == 0 {
		return nil
	}
	return cmds[0]
}

var varRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// expandVars substitutes variables assigned earlier in the same script.
func expandVars(words []string, vars map[string]string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		if strings.Contains(w, "$") {
			w = varRef.ReplaceAllStringFunc(w, func(m string) string {
				name := strings.Trim(m, "${}")
				if v, ok := vars[name]; ok {
					return v
				}
				return m
			})
			// A variable may hold several words: PROG="/usr/sbin/telnetd -p 2323".
			out = append(out, strings.Fields(w)...)
			continue
		}
		out = append(out, w)
	}
	return out
}

func isAssignment(w string) bool {
	i := strings.IndexByte(w, '=')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := w[j]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// prefixWords run the command after them.
var prefixWords = map[string]bool{
	"then": true, "else": true, "elif": true, "do": true, "!": true, "exec": true, "nohup": true,
	"setsid": true, "command": true, "builtin": true, "time": true, "env": true, "sudo": true, "if": true,
	"while": true, "until": true, "daemonize": true,
}

// commandWord drops what precedes the program of a simple command (assignments, keywords,
// exec, nohup, nice -n 10, ...) and returns the program word.
func commandWord(words []string) string {
	if rest := commandWords(words); len(rest) > 0 {
		return rest[0]
	}
	return ""
}

func commandWords(words []string) []string {
	for len(words) > 0 {
		w := words[0]
		switch {
		case isAssignment(w), prefixWords[w]:
			words = words[1:]
		case w == "nice" || w == "ionice" || w == "chrt" || w == "taskset":
			words = words[1:]
			for len(words) > 0 && (strings.HasPrefix(words[0], "-") || isNumber(words[0])) {
				words = words[1:]
			}
		default:
			return words
		}
	}
	return nil
}

// scriptTargets are the tree paths of scripts a simple command may run: its program, or the
// script given to a shell or to ".".
func scriptTargets(words []string) []string {
	words = commandWords(words)
	if len(words) == 0 {
		return nil
	}
	cand := words[0]
	if (isShell(cand) || cand == "." || cand == "source") && len(words) > 1 {
		cand = words[1]
		for _, w := range words[1:] {
			if !strings.HasPrefix(w, "-") {
				cand = w
				break
			}
		}
	}
	if !strings.HasPrefix(cand, "/") {
		return nil
	}
	p := strings.TrimPrefix(path.Clean(cand), "/")
	if p == "" {
		return nil
	}
	return []string{p}
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// classifyCommand says whether a simple command starts a remote shell.
func classifyCommand(words []string) (launch, bool) {
	words = commandWords(words)
	if len(words) == 0 {
		return launch{}, false
	}
	cmd, args := words[0], words[1:]
	if isShell(cmd) && len(args) >= 2 && args[0] == "-c" {
		for _, sub := range shellCommands(args[1]) {
			if l, ok := classifyCommand(sub); ok {
				return l, true
			}
		}
		return launch{}, false
	}
	switch path.Base(cmd) {
	case "start-stop-daemon":
		start := false
		prog := ""
		var rest []string
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case a == "-S" || a == "--start":
				start = true
			case (a == "-x" || a == "--exec" || a == "-a" || a == "--startas") && i+1 < len(args):
				prog = args[i+1]
				i++
			case strings.HasPrefix(a, "--exec=") || strings.HasPrefix(a, "--startas="):
				_, prog, _ = strings.Cut(a, "=")
			case a == "--":
				rest = args[i+1:]
				i = len(args)
			}
		}
		if !start || prog == "" {
			return launch{}, false
		}
		cmd, args = prog, rest
	case "procd_set_param":
		if len(args) < 2 || args[0] != "command" {
			return launch{}, false
		}
		cmd, args = args[1], args[2:]
	case "service_start":
		if len(args) == 0 {
			return launch{}, false
		}
		cmd, args = args[0], args[1:]
	}
	prog := cmd
	name := path.Base(cmd)
	if strings.HasPrefix(name, "busybox") && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if sh, ok := shellDaemons[name]; ok {
		return launch{shell: sh, program: prog, args: args, port: daemonPort(args, sh.port)}, true
	}
	switch name {
	case "nc", "netcat", "ncat", "nc.traditional", "nc.openbsd":
		listen, execShell := false, false
		port := 0
		for i, a := range args {
			if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "l") && !strings.Contains(a, "e") {
				listen = true
			}
			if a == "--listen" {
				listen = true
			}
			if (a == "-e" || a == "-c" || a == "--exec" || a == "--sh-exec") && i+1 < len(args) && isShell(args[i+1]) {
				execShell = true
			}
			if (a == "-p" || strings.HasSuffix(a, "p") && strings.HasPrefix(a, "-l")) && i+1 < len(args) {
				port, _ = strconv.Atoi(args[i+1])
			}
		}
		if listen && execShell {
			if port == 0 && len(args) > 0 {
				port, _ = strconv.Atoi(args[len(args)-1])
			}
			return launch{shell: shellBind, program: prog, args: args, port: port}, true
		}
	case "socat":
		listen, execShell, port := false, false, 0
		for _, a := range args {
			la := strings.ToLower(a)
			if strings.HasPrefix(la, "tcp-listen:") || strings.HasPrefix(la, "tcp4-listen:") || strings.HasPrefix(la, "tcp6-listen:") {
				listen = true
				p, _, _ := strings.Cut(la[strings.IndexByte(la, ':')+1:], ",")
				port, _ = strconv.Atoi(p)
			}
			if (strings.HasPrefix(la, "exec:") || strings.HasPrefix(la, "system:")) && isShell(strings.Fields(a[strings.IndexByte(a, ':')+1:] + " x")[0]) {
				execShell = true
			}
		}
		if listen && execShell {
			return launch{shell: shellBind, program: prog, args: args, port: port}, true
		}
	}
	return launch{}, false
}

// daemonPort reads -p PORT or -pPORT, as telnetd and utelnetd take it.
func daemonPort(args []string, def int) int {
	for i, a := range args {
		if a == "-p" && i+1 < len(args) {
			if p, err := strconv.Atoi(args[i+1]); err == nil {
				return p
			}
		} else if strings.HasPrefix(a, "-p") {
			if p, err := strconv.Atoi(a[2:]); err == nil {
				return p
			}
		}
	}
	return def
}

// loginProgram reads telnetd's -l LOGIN.
func loginProgram(args []string) string {
	for i, a := range args {
		if a == "-l" && i+1 < len(args) {
			return args[i+1]
		}
		if strings.HasPrefix(a, "-l") && len(a) > 2 {
			return a[2:]
		}
	}
	return ""
}

func isShell(p string) bool {
	switch path.Base(p) {
	case "sh", "ash", "bash", "dash", "hush", "ksh", "mksh", "zsh", "csh", "tcsh":
		return true
	}
	return false
}
