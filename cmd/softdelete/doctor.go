package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/softdelete-go/softdelete"
)

const doctorSummary = `Reports, per table, what is missing or dangerous for soft delete (unique keys that
count deleted rows, stamps without microseconds, foreign keys without an index, SET NULL keys on
NOT NULL columns, rows whose soft-delete column holds a "no instant" marker other tools write, such
as Go's zero time, which soft delete reads as deleted), each with its fix. Read-only: one query per
table reads the column's values. Exits 1 when something is dangerous, 3 when there was nothing to
check (no table has a soft-delete column).`

func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("doctor", doctorSummary, stderr)
	dsn := dbFlags(fs)
	asJSON := fs.Bool("json", false, "print findings as JSON")
	var tables listFlag
	fs.Var(&tables, "table", "check only this table (repeatable; default: all tables); names match as the database matches them")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "softdelete doctor: unexpected argument %q\n", clean(pos[0]))
		return 2
	}
	db, err := openDSNReadOnly(*dsn)
	if err != nil {
		return fail(stderr, "doctor", err)
	}
	defer db.Close()
	rep, err := db.DoctorReportFor(ctx, tables...)
	if err != nil {
		return fail(stderr, "doctor", err)
	}
	if *asJSON {
		if rep.Findings == nil {
			rep.Findings = []softdelete.Finding{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	}
	if rep.NothingToCheck() {
		// Its own outcome: silence here would say nothing about soft delete.
		if len(rep.Others) == 0 {
			fmt.Fprintln(stderr, "softdelete doctor: nothing to check: the database has no tables (is the URL the right database?)")
		} else {
			fmt.Fprintf(stderr, "softdelete doctor: nothing to check: none of the %d tables has a soft-delete column; 'softdelete adopt' plans it\n", len(rep.Others))
		}
		return 3
	}
	if !*asJSON {
		if len(rep.Findings) == 0 {
			fmt.Fprintf(stdout, "checked %d tables with a soft-delete column (%d without one): no problems found\n", len(rep.Checked), len(rep.Others))
		}
		for _, f := range rep.Findings {
			fmt.Fprintf(stdout, "%-8s %-20s %s\n         fix: %s\n", f.Severity, clean(f.Table), clean(f.Problem), clean(f.Fix))
		}
	}
	if softdelete.Dangerous(rep.Findings) {
		return 1
	}
	return 0
}

// openDSNReadOnly opens the database for a command that only reads: a
// SQLite file must exist (a mistyped path is an error, not a new empty
// database) and is opened with mode=ro, which also leaves its journal mode
// alone; PostgreSQL sessions are read-only.
func openDSNReadOnly(dsn string) (*softdelete.DB, error) {
	if dsn == "" {
		dsn = os.Getenv("SOFTDELETE_DSN")
	}
	if dsn == "" {
		return nil, errNoDSN
	}
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		file, query, _ := strings.Cut(path, "?")
		if file != ":memory:" {
			if _, err := os.Stat(file); err != nil {
				return nil, fmt.Errorf("no SQLite database at %s: %w", file, errors.Unwrap(err))
			}
			if !strings.Contains(query, "mode=") {
				if query == "" {
					dsn += "?mode=ro"
				} else {
					dsn += "&mode=ro"
				}
			}
		}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if !strings.Contains(dsn, "default_transaction_read_only") {
			if strings.Contains(dsn, "?") {
				dsn += "&default_transaction_read_only=on"
			} else {
				dsn += "?default_transaction_read_only=on"
			}
		}
	}
	return softdelete.Open(dsn)
}
