package labnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// dhcpPortLockPath is the lock file of the lab host's DHCP client port.
const dhcpPortLockPath = "/run/lock/siegel-dhcp-client-port.lock"

// LockDHCPClientPort waits until no other holder of the lock on this host uses the DHCP client
// port (UDP 68 of the root namespace), and keeps it until release is called. A DHCP probe of a
// lab's device sends from that port, because the server answers there (RFC 2131 §4.1), and only
// one socket can have it: nmap's dhcp-discover, whose bind fails silently, probes from another
// port and never hears the answer; the lab's own probe finds the port taken. Tests of several
// packages that probe DHCP at once take this lock around each probe.
func LockDHCPClientPort(ctx context.Context) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(dhcpPortLockPath), 0o755); err != nil {
		return nil, fmt.Errorf("labnet: DHCP port lock directory: %w", err)
	}
	f, err := os.OpenFile(dhcpPortLockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("labnet: DHCP port lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing the file releases the lock
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("labnet: DHCP port lock: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("labnet: waiting for the DHCP client port: %w", context.Cause(ctx))
		case <-time.After(50 * time.Millisecond):
		}
	}
}
