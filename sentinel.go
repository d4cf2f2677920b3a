package softdelete

import (
	"context"
	"fmt"
	"strings"
)

// Markers other tools store in a deleted_at column for "no instant"
// rather than a deletion time: Go's zero time (a non-pointer time.Time),
// the unix epoch, MariaDB's zero dates, PostgreSQL's infinities. softdelete
// reads any non-NULL value as soft-deleted, so where such a value meant
// "not deleted" the rows are hidden from every Manager read. Doctor counts
// them, one statement per table, and gives the UPDATE that clears them.

// sentinelKind is one marker: the condition on the column that finds it
// (literal SQL, the same in doctor's probe and in its fix) and what the
// purge does with it.
type sentinelKind struct {
	what  string // "Go's zero time (0001-01-01 00:00:00)"
	cond  string // SQL condition on the quoted column
	purge string // what a purge does with these rows
	sev   Severity
}

// sentinelCap bounds the rows doctor's probe counts per table.
const sentinelCap = 10000

const (
	purgeNever = "purge never removes them (no deletion happened then)"
	purgeEpoch = "purge reads them as deleted on 1970-01-01, due at any cut-off, and removes them for good"
)

// sentinelKinds lists the markers column col (quoted) of t can hold
// (ddlDialect.SentinelKinds).
func (db *DB) sentinelKinds(t *table, col string) []sentinelKind {
	return db.dialect.(ddlDialect).SentinelKinds(t, col)
}

// sentinelFindings probes t's soft-delete column for the markers of
// sentinelKinds in one statement: the rows that hold any, at most
// sentinelCap+1 of them, counted per kind. Without an index on the column
// it scans the table once; nothing but the counts comes back.
func (db *DB) sentinelFindings(ctx context.Context, t *table) ([]Finding, error) {
	d := db.dialect
	col := d.Quote(t.SoftCol)
	kinds := db.sentinelKinds(t, col)
	var q strings.Builder
	q.WriteString("SELECT COUNT(*)")
	conds := make([]string, len(kinds))
	for i, k := range kinds {
		conds[i] = "(" + k.cond + ")"
		q.WriteString(", COUNT(CASE WHEN " + conds[i] + " THEN 1 END)")
	}
	fmt.Fprintf(&q, " FROM (SELECT %s FROM %s WHERE %s IS NOT NULL AND (%s) LIMIT %d) s",
		col, d.Quote(t.Name), col, strings.Join(conds, " OR "), sentinelCap+1)
	counts := make([]int64, len(kinds)+1)
	dest := make([]any, len(counts))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := db.exec().queryRow(ctx, q.String(), nil, dest...); err != nil {
		return nil, err
	}
	if counts[0] == 0 {
		return nil, nil
	}
	var out []Finding
	for i, k := range kinds {
		n := counts[i+1]
		if n == 0 {
			continue
		}
		rows := fmt.Sprintf("%d rows hold", n)
		if n == 1 {
			rows = "1 row holds"
		}
		if counts[0] > sentinelCap {
			rows = fmt.Sprintf("%d of the first %d rows with such values hold", n, sentinelCap+1)
		}
		out = append(out, Finding{
			Table:    t.Name,
			Severity: k.sev,
			Problem: fmt.Sprintf("%s %s in %s, a marker for no deletion time: softdelete reads every non-NULL %s as soft-deleted, so these rows are hidden from Manager reads (only OnlyDeleted, AllWithDeleted and the trash list them); %s",
				rows, k.what, t.SoftCol, t.SoftCol, k.purge),
			Fix: fmt.Sprintf("if the value means \"not deleted\": UPDATE %s SET %s = NULL WHERE %s; if these rows are deleted, leave them (restore works by the value)",
				d.Quote(t.Name), col, k.cond),
		})
	}
	return out, nil
}
