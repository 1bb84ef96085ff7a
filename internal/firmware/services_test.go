package firmware

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

func servicesTree(t *testing.T, entries ...unpack.Entry) *unpack.Tree {
	t.Helper()
	tr := unpack.NewTree("test", nil)
	for _, e := range entries {
		if e.Mode == 0 {
			e.Mode = 0o755
		}
		if err := tr.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func servicesFile(p, text string) unpack.Entry {
	return unpack.Entry{Path: p, Mode: 0o755, Data: []byte(text)}
}

func servicesLink(p, target string) unpack.Entry {
	return unpack.Entry{Path: p, Mode: fs.ModeSymlink | 0o777, Link: target}
}

type servicesRow struct {
	Path string
	Line int
	Rule string
	ID   string
	Port string
}

func servicesRows(ws []Weakness) []servicesRow {
	var rows []servicesRow
	for _, w := range ws {
		port := ""
		if i := strings.Index(w.Message, "TCP port "); i >= 0 {
			port = strings.TrimRight(strings.Fields(w.Message[i+9:])[0], ".")
		}
		rows = append(rows, servicesRow{w.Path, w.Line, w.Rule, w.ID, port})
	}
	return rows
}

func TestCheckServicesPositives(t *testing.T) {
	tr := servicesTree(t,
		unpack.Entry{Path: "bin/busybox", Mode: 0o755, Data: []byte("\x7fELF busybox")},
		servicesLink("usr/sbin/telnetd", "../../bin/busybox"),
		servicesLink("bin/nc", "busybox"),
		servicesFile("etc/inittab", `# /etc/inittab
::sysinit:/etc/init.d/rcS
#::respawn:/usr/sbin/telnetd -l /bin/sh
::respawn:/usr/sbin/telnetd -l /bin/sh -p 2323
::askfirst:-/bin/sh
::shutdown:/usr/sbin/telnetd
`),
		servicesFile("etc/init.d/rcS", `#!/bin/sh
for i in /etc/init.d/S??* ; do
	$i start
done
/bin/sh /etc/rc.extra
`),
		servicesFile("etc/rc.extra", `#!/bin/sh
# start a debug shell
[ -x /bin/nc ] && nc -l -p 4444 -e /bin/sh &
`),
		servicesFile("etc/init.d/S50telnet", `#!/bin/sh
case "$1" in
start)
	start-stop-daemon -S -q -x /usr/sbin/telnetd -- -F \
		-p 23
	;;
stop)
	start-stop-daemon -K -q -x /usr/sbin/telnetd
	killall telnetd
	;;
esac
`),
		servicesFile("etc/init.d/telnet", `#!/bin/sh /etc/rc.common
START=50
USE_PROCD=1
PROG=/usr/sbin/telnetd

start_service() {
	procd_open_instance
	procd_set_param command $PROG -F -l /bin/login.sh
	procd_close_instance
}
`),
		servicesLink("etc/rc.d/S50telnet", "../init.d/telnet"),
		servicesFile("etc/inetd.conf", `# service  type   proto wait user server args
#telnet stream tcp nowait root /usr/sbin/telnetd telnetd -i
telnet	stream	tcp	nowait	root	/usr/sbin/tcpd	in.telnetd
2323 stream tcp nowait root /bin/busybox telnetd -i
shell stream tcp nowait root /usr/sbin/tcpd in.rshd
ftp stream tcp nowait root /usr/sbin/ftpd ftpd
`),
		servicesFile("etc/xinetd.d/rlogin", `service login
{
	socket_type = stream
	wait        = no
	user        = root
	server      = /usr/sbin/in.rlogind
	disable     = no
}
`),
		servicesFile("etc/systemd/system/telnet.socket", `[Socket]
ListenStream=0.0.0.0:23
Accept=yes

[Install]
WantedBy=sockets.target
`),
		servicesFile("etc/systemd/system/telnet@.service", `[Service]
ExecStart=-/usr/sbin/in.telnetd
StandardInput=socket
`),
		servicesLink("etc/systemd/system/sockets.target.wants/telnet.socket", "../telnet.socket"),
		servicesFile("lib/systemd/system/rexec.service", `[Service]
# ExecStart=/usr/sbin/in.telnetd
ExecStart=/usr/sbin/in.rexecd -D
`),
		servicesLink("etc/systemd/system/multi-user.target.wants/rexec.service", "/lib/systemd/system/rexec.service"),
		servicesFile("etc/crontabs/root", "# m h dom mon dow cmd\n@reboot /bin/busybox telnetd -p 9023 -l /bin/ash\n"),
		servicesFile("etc/crontab", "@reboot\troot\tsocat TCP-LISTEN:5555,fork EXEC:/bin/bash\n"),
		servicesFile("etc/rc.local", "#!/bin/sh\nsh -c 'utelnetd -p 2424 -d'\nexit 0\n"),
	)
	got := CheckServices(tr)
	want := []servicesRow{
		{"etc/crontab", 1, "remote-shell", "bind-shell-at-boot", "5555"},
		{"etc/crontabs/root", 2, "telnet", "telnet-at-boot", "9023"},
		{"etc/inetd.conf", 3, "telnet", "telnet-at-boot", "23"},
		{"etc/inetd.conf", 4, "telnet", "telnet-at-boot", "2323"},
		{"etc/inetd.conf", 5, "remote-shell", "rsh-at-boot", "514"},
		{"etc/init.d/S50telnet", 4, "telnet", "telnet-at-boot", "23"},
		{"etc/init.d/telnet", 8, "telnet", "telnet-at-boot", "23"},
		{"etc/inittab", 4, "telnet", "telnet-at-boot", "2323"},
		{"etc/rc.extra", 3, "remote-shell", "bind-shell-at-boot", "4444"},
		{"etc/rc.local", 2, "telnet", "telnet-at-boot", "2424"},
		{"etc/systemd/system/telnet.socket", 2, "telnet", "telnet-at-boot", "23"},
		{"etc/xinetd.d/rlogin", 1, "remote-shell", "rlogin-at-boot", "513"},
		{"lib/systemd/system/rexec.service", 3, "remote-shell", "rexec-at-boot", "512"},
	}
	if diff := cmp.Diff(want, servicesRows(got)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	for _, w := range got {
		if w.Severity != "high" || len(w.Requirements) == 0 || w.Evidence == "" {
			t.Errorf("incomplete weakness %+v", w)
		}
		switch {
		case w.Path == "etc/inittab":
			if !strings.Contains(w.Evidence, "busybox applet in bin/busybox") || !strings.Contains(w.Message, "no password") {
				t.Errorf("inittab: symlink to busybox or -l /bin/sh not explained: %s / %s", w.Message, w.Evidence)
			}
		case w.Path == "etc/init.d/telnet":
			if !strings.Contains(w.Message, "etc/rc.d/S50telnet") {
				t.Errorf("OpenWrt script: enabling link not named: %s", w.Message)
			}
		}
	}
}

func TestCheckServicesNegatives(t *testing.T) {
	tr := servicesTree(t,
		unpack.Entry{Path: "usr/sbin/telnetd", Mode: 0o755, Data: []byte("\x7fELF")},
		servicesFile("etc/inittab", "# ::respawn:/usr/sbin/telnetd\n::sysinit:/etc/init.d/rcS\n::shutdown:/usr/sbin/telnetd\n"),
		servicesFile("etc/init.d/rcS", `#!/bin/sh
# /usr/sbin/telnetd -l /bin/sh
echo "telnetd disabled"
killall telnetd
pidof telnetd || true
[ -x /usr/sbin/telnetd ] && echo present
start-stop-daemon -K -x /usr/sbin/telnetd
nc -z 127.0.0.1 23
`),
		// An OpenWrt script without an enabling link in /etc/rc.d.
		servicesFile("etc/init.d/telnet", "#!/bin/sh /etc/rc.common\nSTART=50\nstart_service() {\n\tprocd_set_param command /usr/sbin/telnetd -F\n}\n"),
		servicesLink("etc/rc.d/S10boot", "../init.d/boot"),
		servicesFile("etc/init.d/boot", "#!/bin/sh\nmount -a\n"),
		servicesLink("etc/rc.d/K50telnet", "../init.d/telnet"),
		servicesFile("etc/inetd.conf", "#telnet stream tcp nowait root /usr/sbin/telnetd telnetd\n# shell stream tcp nowait root /usr/sbin/tcpd in.rshd\ntelnet dgram udp wait root /usr/sbin/x x\n"),
		servicesFile("etc/xinetd.d/telnet", "service telnet\n{\n\tserver = /usr/sbin/in.telnetd\n\tdisable = yes\n}\n"),
		servicesFile("lib/systemd/system/telnet.socket", "[Socket]\nListenStream=23\nAccept=yes\n"),
		servicesFile("lib/systemd/system/telnet@.service", "[Service]\nExecStart=-/usr/sbin/in.telnetd\n"),
		servicesFile("lib/systemd/system/rlogin.service", "[Service]\nExecStart=/usr/sbin/in.rlogind\n"),
		servicesLink("lib/systemd/system/multi-user.target.wants/rlogin.service", "../rlogin.service"),
		servicesLink("etc/systemd/system/rlogin.service", "/dev/null"),
		servicesFile("etc/crontabs/root", "#@reboot /usr/sbin/telnetd\n*/5 * * * * /usr/sbin/telnetd\n"),
		servicesFile("etc/profile", "/usr/sbin/telnetd\n"),
	)
	if got := CheckServices(tr); len(got) != 0 {
		t.Fatalf("want no findings, got %+v", servicesRows(got))
	}
}

func TestShellCommands(t *testing.T) {
	tests := []struct {
		line string
		want [][]string
	}{
		{`a b # c`, [][]string{{"a", "b"}}},
		{`# all comment`, nil},
		{`x="a b" y; z && w || v | u &`, [][]string{{"x=a b", "y"}, {"z"}, {"w"}, {"v"}, {"u"}}},
		{`start) telnetd -p 23 ;;`, [][]string{{"telnetd", "-p", "23"}}},
		{`echo "#not a comment" a#b`, [][]string{{"echo", "#not a comment", "a#b"}}},
		{`P=$(pidof x) ${Y}`, [][]string{{"P=$"}, {"pidof", "x"}, {"${Y}"}}},
		{`unterminated "quote`, [][]string{{"unterminated", "quote"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, shellCommands(tt.line)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.line, diff)
		}
	}
}

func FuzzCheckServices(f *testing.F) {
	f.Add("::respawn:/usr/sbin/telnetd -p 2323\n", "#!/bin/sh\nnc -lp 1 -e /bin/sh \\\n\n", "telnet stream tcp nowait root /usr/sbin/telnetd telnetd\n")
	f.Add("", "PROG=\"/usr/sbin/telnetd -p\"\n$PROG 5\nsh -c 'sh -c \"telnetd\"'\n", "service telnet\n{\nport=23\n")
	f.Fuzz(func(t *testing.T, inittab, script, inetd string) {
		tr := unpack.NewTree("fuzz", nil)
		_ = tr.Add(servicesFile("etc/inittab", inittab))
		_ = tr.Add(servicesFile("etc/init.d/S01x", script))
		_ = tr.Add(servicesFile("etc/inetd.conf", inetd))
		_ = tr.Add(servicesFile("etc/xinetd.d/x", inetd))
		_ = tr.Add(servicesFile("etc/systemd/system/x.service", script))
		_ = tr.Add(servicesLink("etc/systemd/system/a.wants/x.service", "../x.service"))
		for _, w := range CheckServices(tr) {
			if w.Line <= 0 {
				t.Fatalf("finding without a line: %+v", w)
			}
		}
	})
}
