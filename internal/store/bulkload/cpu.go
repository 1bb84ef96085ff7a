package bulkload

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// SessionPIDs lists the server processes of the current sessions of the PostgreSQL database at
// dsn (but the one asking): what a benchmark reads the database's CPU time from.
func SessionPIDs(ctx context.Context, dsn string) ([]int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil, err
		}
		pids = append(pids, pid)
	}
	return pids, rows.Err()
}

// ProcessesCPU is the CPU time processes of this machine have run so far (from
// /proc/PID/schedstat; a process that ended counts nothing).
func ProcessesCPU(pids []int) time.Duration {
	var sum time.Duration
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
		if err != nil {
			continue
		}
		var ns int64
		fmt.Sscan(string(data), &ns)
		sum += time.Duration(ns)
	}
	return sum
}
