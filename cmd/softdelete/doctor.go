package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/softdelete-go/softdelete"
)

const doctorSummary = `Reports, per table, what is missing or dangerous for soft delete (unique keys that
count deleted rows, stamps without microseconds, foreign keys without an index, indexes
that hold deleted rows), each with its fix. Exits 1 when something is dangerous.`

func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("doctor", doctorSummary, stderr)
	dsn := dbFlags(fs)
	asJSON := fs.Bool("json", false, "print findings as JSON")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "softdelete doctor: unexpected argument %q\n", clean(pos[0]))
		return 2
	}
	db, err := openDSN(*dsn)
	if err != nil {
		return fail(stderr, "doctor", err)
	}
	defer db.Close()
	findings, err := db.Doctor(ctx)
	if err != nil {
		return fail(stderr, "doctor", err)
	}
	if *asJSON {
		if findings == nil {
			findings = []softdelete.Finding{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(findings)
	} else if len(findings) == 0 {
		fmt.Fprintln(stdout, "no problems found")
	} else {
		for _, f := range findings {
			fmt.Fprintf(stdout, "%-8s %-20s %s\n         fix: %s\n", f.Severity, clean(f.Table), clean(f.Problem), clean(f.Fix))
		}
	}
	if softdelete.Dangerous(findings) {
		return 1
	}
	return 0
}
