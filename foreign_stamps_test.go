package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Rows another tool soft-deleted: deleted_at values softdelete did not
// write (TestForeignStampsSQLite covers the SQLite writers' formats for a
// row hidden now; this test covers the odd values on all three databases).
//
// The behaviour chosen, per value:
//   - Any non-NULL value hides the row (Get: ErrNotFound; All leaves it out;
//     OnlyDeleted and AllWithDeleted count it; the Rows API lists it in the
//     deleted scope with no operation).
//   - Purge with a cut-off removes a row only if the value denotes an instant
//     before the cut-off: SQLite as its date functions read it (unixepoch
//     'auto': an integer or real up to 5373484 is a julian day, a larger
//     one unix seconds); a value that denotes no deletion time is never
//     purged: SQLite text no date function reads, MariaDB's zero date,
//     PostgreSQL ±infinity, and (sentinel_test.go) Go's zero time and
//     anything before 0001-01-02.
//   - Restore of such a row brings it back, and its cascade the rows under
//     it carrying the same value (the value is the foreign operation's
//     identity, as softdelete's own stamps are); rows under it with another
//     value stay hidden with that value unchanged. A delete of a parent
//     leaves children the other tool hid as they are, and its undo and
//     restore bring back exactly what it hid.
//   - Manager reads the value as a time where it denotes one, the instant
//     the purge compares; a value that denotes none is a scan error that
//     names the column and the value (SQLite garbage, PostgreSQL
//     ±infinity), except MariaDB's zero date, which the driver reads as
//     the zero time.
type foreignValue struct {
	name string
	sql  string    // SQL literal written into deleted_at
	at   time.Time // the instant it denotes; zero: none (never due)
	// scanErr: Manager cannot read it into a time
	scanErr bool
	// zeroTime: Manager reads it as the zero time.Time (MariaDB zero date)
	zeroTime bool
}

var foreignT = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func foreignColumns() []struct {
	dialect, typ string
	vals         []foreignValue
} {
	T := foreignT
	jd := func(t time.Time) float64 { return float64(t.UnixMicro())/86400e6 + 2440587.5 }
	sqliteVals := []foreignValue{
		{name: "RFC 3339 Z", sql: "'2024-01-02T03:04:05Z'", at: T},
		{name: "space, Z", sql: "'2024-01-02 03:04:05Z'", at: T},
		{name: "datetime()", sql: "'2024-01-02 03:04:05'", at: T},
		{name: "minutes", sql: "'2024-01-02 03:04'", at: T.Add(-5 * time.Second)},
		{name: "offset", sql: "'2024-01-02 03:04:05.123+02:00'", at: T.Add(-2*time.Hour + 123*time.Millisecond)},
		{name: "Go String", sql: "'2024-01-02 03:04:05.123456789 +0000 UTC'", at: T.Add(123456 * time.Microsecond)},
		{name: "Go String CET", sql: "'2024-01-02 04:04:05.5 +0100 CET m=+0.000012345'", at: T.Add(500 * time.Millisecond)},
		{name: "date()", sql: "'2024-01-02'", at: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{name: "unix int", sql: "1704164645", at: T},
		{name: "unix real", sql: "1704164645.25", at: T.Add(250 * time.Millisecond)},
		{name: "julian real", sql: fmt.Sprintf("%.9f", jd(T)), at: T},
		// julianday() at noon is a whole number, which a DATETIME
		// (NUMERIC affinity) column stores as an INTEGER.
		{name: "julian int", sql: "2460311", at: time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)},
		// A writer that bound bytes: SQLite's date functions read the
		// text in a BLOB.
		{name: "blob text", sql: "CAST('2024-01-02 03:04:05' AS BLOB)", at: T},
		{name: "blob", sql: "X'00ff'", scanErr: true},
		{name: "empty", sql: "''", scanErr: true},
		{name: "garbage", sql: "'deleted'", scanErr: true},
	}
	pgVals := func(zoned bool) []foreignValue {
		off := "'2024-01-02 08:04:05.123456+05'"
		if !zoned {
			off = "'2024-01-02 03:04:05.123456'" // timestamp holds the UTC wall clock
		}
		return []foreignValue{
			{name: "plain", sql: "'2024-01-02 03:04:05'", at: T},
			{name: "offset", sql: off, at: T.Add(123456 * time.Microsecond)},
			{name: "infinity", sql: "'infinity'", scanErr: true},
			// Before every cut-off, but no deletion time: never due.
			{name: "-infinity", sql: "'-infinity'", scanErr: true},
		}
	}
	myVals := []foreignValue{
		{name: "micro", sql: "'2024-01-02 03:04:05.123456'", at: T.Add(123456 * time.Microsecond)},
		{name: "seconds", sql: "'2024-01-02 03:04:05'", at: T},
		{name: "zero date", sql: "'0000-00-00 00:00:00'", zeroTime: true},
	}
	return []struct {
		dialect, typ string
		vals         []foreignValue
	}{
		{"sqlite", "DATETIME", sqliteVals},
		// Rails' type: the driver gives its text unparsed.
		{"sqlite", "datetime(6)", sqliteVals},
		{"postgres", "timestamptz", pgVals(true)},
		{"postgres", "timestamp", pgVals(false)},
		{"mysql", "DATETIME(6)", append(myVals[:len(myVals):len(myVals)],
			// A zero day: the driver reads 2023-12-31, MariaDB compares it
			// between that day and the next.
			foreignValue{name: "zero day", sql: "'2024-01-00 00:00:00'", at: time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC)})},
		// Written in a +05:00 session (below): the instant is T.
		{"mysql", "TIMESTAMP(6) NULL DEFAULT NULL", myVals},
	}
}

// The session handles of MySQL cases: rows are written permissively (zero
// dates) in a +05:00 session; softdelete runs with MySQL 8's strict modes.
const foreignStrictMode = "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

func TestForeignStampValues(t *testing.T) {
	for _, fc := range foreignColumns() {
		t.Run(fc.dialect+" "+fc.typ, func(t *testing.T) {
			t.Parallel()
			testForeignStampValues(t, fc.dialect, fc.typ, fc.vals)
		})
	}
}

func testForeignStampValues(t *testing.T, dialect, typ string, vals []foreignValue) {
	ctx := context.Background()
	u := testURL(t, dialect)
	if dialect == "mysql" {
		u += "?sql_mode=" + "%27" + foreignStrictMode + "%27"
	}
	db, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ddl(t, db, `CREATE TABLE things (id {id}, name {text} NOT NULL, deleted_at `+typ+`)`,
		`CREATE TABLE old (id {id}, name {text} NOT NULL, deleted_at `+typ+`)`,
		`CREATE TABLE parents (id {id}, name {text} NOT NULL, deleted_at `+typ+`)`,
		`CREATE TABLE kids (id {id}, parent_id {big} NOT NULL, name {text} NOT NULL, deleted_at `+typ+`,
		  FOREIGN KEY (parent_id) REFERENCES parents(id) ON DELETE CASCADE)`)

	// The other tool's writes, on a connection of its own.
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if dialect == "mysql" {
		if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = '', time_zone = '+05:00'"); err != nil {
			t.Fatal(err)
		}
		for i := range vals {
			if strings.HasPrefix(typ, "TIMESTAMP") && !vals[i].at.IsZero() {
				// In the +05:00 session the literal is local time.
				vals[i].sql = strings.Replace(vals[i].sql, "2024-01-02 03:", "2024-01-02 08:", 1)
			}
		}
	}
	other := func(q string, args ...any) {
		t.Helper()
		q = strings.ReplaceAll(q, "?", "%v")
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(q, args...)); err != nil {
			t.Fatalf("%s: %v", fmt.Sprintf(q, args...), err)
		}
	}
	// Per value v (base b = 100*(i+1)):
	//   things b, old b: hidden with v (no dependants: the fast path)
	//   parents b: hidden with v; kids b+1 with v (the same foreign
	//     operation), kids b+2 with v2 (another value: another operation)
	//   parents b+1: alive; kids b+3 hidden with v; kids b+4 alive
	other2 := func(i int) foreignValue { return vals[(i+1)%len(vals)] }
	for i, v := range vals {
		b := 100 * (i + 1)
		other("INSERT INTO things (id, name, deleted_at) VALUES (?, 'n', ?)", b, v.sql)
		other("INSERT INTO old (id, name, deleted_at) VALUES (?, 'n', ?)", b, v.sql)
		other("INSERT INTO parents (id, name, deleted_at) VALUES (?, 'p', ?), (?, 'q', NULL)", b, v.sql, b+1)
		other("INSERT INTO kids (id, parent_id, name, deleted_at) VALUES (?, ?, 'k', ?), (?, ?, 'k', ?), (?, ?, 'k', ?), (?, ?, 'k', NULL)",
			b+1, b, v.sql, b+2, b, other2(i).sql, b+3, b+1, v.sql, b+4, b+1)
	}
	raw := func(table string, id int) string {
		t.Helper()
		var s sql.NullString
		if err := db.SQL().QueryRowContext(ctx, "SELECT "+rawStampSQL(db)+" FROM "+table+" WHERE id = "+db.ph(1), id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		if !s.Valid {
			return "NULL"
		}
		return s.String
	}
	rawBefore := map[string]string{}
	for _, tbl := range []string{"things", "old", "parents", "kids"} {
		for i := range vals {
			for k := 0; k <= 4; k++ {
				id := 100*(i+1) + k
				if rowExists(t, db, tbl, int64(id)) {
					rawBefore[fmt.Sprint(tbl, id)] = raw(tbl, id)
				}
			}
		}
	}
	// orphans: live kids under hidden parents (never allowed).
	orphans := func() int64 {
		t.Helper()
		var n int64
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM kids k JOIN parents p ON p.id = k.parent_id
			WHERE k.deleted_at IS NULL AND p.deleted_at IS NOT NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := orphans(); n != 0 {
		t.Fatalf("setup: %d orphans", n)
	}

	m, err := NewManager[stampUser](db, "things")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		b := int64(100 * (i + 1))
		t.Run("read "+v.name, func(t *testing.T) {
			if _, err := m.Get(ctx, b); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get = %v, want ErrNotFound", err)
			}
			if n, err := m.Where("id = ?", b).Count(ctx); err != nil || n != 0 {
				t.Errorf("alive Count = %d, %v; want 0", n, err)
			}
			if n, err := m.OnlyDeleted().Where("id = ?", b).Count(ctx); err != nil || n != 1 {
				t.Errorf("OnlyDeleted Count = %d, %v; want 1", n, err)
			}
			for _, q := range []*Query[stampUser]{m.OnlyDeleted(), m.AllWithDeleted()} {
				us, err := q.Where("id = ?", b).All(ctx)
				if v.scanErr {
					if err == nil || !strings.Contains(err.Error(), "deleted_at") {
						t.Errorf("All = %v, %v; want a scan error naming deleted_at", us, err)
					}
					continue
				}
				if err != nil || len(us) != 1 {
					t.Fatalf("All = %v, %v; want the row", us, err)
				}
				u := us[0]
				if !m.IsDeleted(&u) || u.DeletedAt == nil {
					t.Fatalf("IsDeleted = false (DeletedAt %v)", u.DeletedAt)
				}
				switch {
				case v.zeroTime:
					if !u.DeletedAt.IsZero() {
						t.Errorf("DeletedAt = %v, want the zero time", u.DeletedAt)
					}
				case !v.at.IsZero():
					if d := u.DeletedAt.Sub(v.at); d < -time.Millisecond || d > time.Millisecond {
						t.Errorf("DeletedAt = %v, want %v (the instant the purge compares)", u.DeletedAt.UTC(), v.at)
					}
				}
			}
			for _, scope := range []Scope{ScopeDeleted, ScopeAll, ScopeAlive} {
				page, err := db.Rows(ctx, RowsQuery{Table: "things", Scope: scope, WithOperations: true, Filters: []RowFilter{{Column: "id", Value: b}}})
				if err != nil {
					t.Fatalf("Rows(scope %d): %v", scope, err)
				}
				want := 1
				if scope == ScopeAlive {
					want = 0
				}
				if len(page.Rows) != want || len(page.Operations) != want || (want == 1 && page.Operations[0] != 0) {
					t.Errorf("Rows(scope %d) = %v, operations %v; want %d row(s), hidden by no logged operation", scope, page.Rows, page.Operations, want)
				}
			}
		})
	}
	// The Rows API pages the deleted rows by deleted_at (mixed kinds of
	// values) and by key: each row once.
	for _, desc := range []bool{false, true} {
		seen := map[int64]int{}
		after := ""
		for pages := 0; ; pages++ {
			page, err := db.Rows(ctx, RowsQuery{Table: "things", Scope: ScopeDeleted, OrderBy: []RowOrder{{Column: "deleted_at", Desc: desc}}, Limit: 2, After: after})
			if err != nil {
				t.Fatalf("Rows by deleted_at: %v", err)
			}
			for _, r := range page.Rows {
				seen[r[0].(int64)]++
			}
			if after = page.Next; after == "" || pages > len(vals) {
				break
			}
		}
		for i := range vals {
			if b := int64(100 * (i + 1)); seen[b] != 1 {
				t.Errorf("Rows ordered by deleted_at (desc %v): row %d listed %d times (%v)", desc, b, seen[b], seen)
			}
		}
	}

	for i, v := range vals {
		b := 100 * (i + 1)
		t.Run("write "+v.name, func(t *testing.T) {
			// A delete of a parent whose child another tool hid: the child
			// keeps its value; undo and restore bring back what it hid.
			for _, undo := range []bool{true, false} {
				op, err := db.Delete(ctx, "parents", int64(b+1))
				if err != nil {
					t.Fatalf("Delete(parents %d): %v", b+1, err)
				}
				if op.Counts["parents"] != 1 || op.Counts["kids"] != 1 {
					t.Errorf("Delete counts %v, want one parent and its one live kid", op.Counts)
				}
				assertAlive(t, db, "kids", int64(b+4), false)
				if got := raw("kids", b+3); got != rawBefore[fmt.Sprint("kids", b+3)] {
					t.Errorf("kid %d, hidden by the other tool, now %s (was %s)", b+3, got, rawBefore[fmt.Sprint("kids", b+3)])
				}
				if undo {
					_, err = db.Undo(ctx, op.ID)
				} else {
					_, err = db.Restore(ctx, "parents", int64(b+1))
				}
				if err != nil {
					t.Fatalf("undo %v: %v", undo, err)
				}
				assertAlive(t, db, "parents", int64(b+1), true)
				assertAlive(t, db, "kids", int64(b+4), true)
				if got := raw("kids", b+3); got != rawBefore[fmt.Sprint("kids", b+3)] {
					t.Errorf("kid %d, hidden by the other tool, now %s after the undo (was %s)", b+3, got, rawBefore[fmt.Sprint("kids", b+3)])
				}
			}
			// Restore of a parent the other tool hid: back with the kid
			// carrying its value; the kid with another value stays hidden.
			kidBefore := raw("kids", b+2)
			plan, err := db.PlanRestore(ctx, "parents", false, int64(b))
			if err != nil || plan.Counts["parents"] != 1 || plan.Counts["kids"] != 1 {
				t.Errorf("PlanRestore(parents %d) = %+v, %v; want the parent and one kid", b, plan, err)
			}
			assertAlive(t, db, "parents", int64(b), false)
			op, err := db.Restore(ctx, "parents", int64(b))
			if err != nil {
				t.Fatalf("Restore(parents %d) hidden with %s: %v", b, v.sql, err)
			}
			assertAlive(t, db, "parents", int64(b), true)
			assertAlive(t, db, "kids", int64(b+1), true)
			if got := raw("kids", b+2); got != kidBefore {
				t.Errorf("kid %d (another value) now %s, was %s", b+2, got, kidBefore)
			}
			if op.Counts["parents"] != 1 || op.Counts["kids"] != 1 {
				t.Errorf("Restore counts %v, want the parent and one kid", op.Counts)
			}
			// A single row without dependants (the fast path), and a
			// second restore: ErrNotDeleted, nothing changes.
			if _, err := db.Restore(ctx, "things", int64(b)); err != nil {
				t.Fatalf("Restore(things %d): %v", b, err)
			}
			assertAlive(t, db, "things", int64(b), true)
			if _, err := db.Restore(ctx, "parents", int64(b)); !errors.Is(err, ErrNotDeleted) {
				t.Errorf("second Restore = %v, want ErrNotDeleted", err)
			}
			if n := orphans(); n != 0 {
				t.Errorf("%d live kids under hidden parents", n)
			}
		})
	}

	// Purge: rows go as the cut-off passes the instant their value denotes;
	// a value that denotes none stays. old has no dependants; in parents
	// and kids, a row also stays while a row that stays references it.
	cuts := []time.Time{foreignT.Add(-time.Hour), foreignT.Add(time.Hour), time.Now()}
	due := func(v foreignValue, cut time.Time) bool { return !v.at.IsZero() && v.at.Before(cut) }
	for _, cut := range cuts {
		// Hide the rows the writes above restored, with their values again.
		for i, v := range vals {
			b := 100 * (i + 1)
			for _, q := range []string{"UPDATE things SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
				"UPDATE parents SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
				"UPDATE kids SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL"} {
				other(q, v.sql, b)
			}
			other("UPDATE kids SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", v.sql, b+1)
		}
		res, err := db.Purge(ctx, PurgePolicy{Before: cut})
		if err != nil {
			t.Fatalf("Purge(before %v): %v", cut, err)
		}
		for i, v := range vals {
			b := 100 * (i + 1)
			if got := rowExists(t, db, "old", int64(b)); got == due(v, cut) {
				t.Errorf("Purge(before %v): old row with %s exists = %v, want %v (due %v)", cut, v.sql, got, !due(v, cut), due(v, cut))
			}
			if got := rowExists(t, db, "things", int64(b)); got == due(v, cut) {
				t.Errorf("Purge(before %v): things row with %s exists = %v, want %v", cut, v.sql, got, !due(v, cut))
			}
			// parents b and kid b+1 carry v, kid b+2 the next value.
			if !due(v, cut) && (!rowExists(t, db, "parents", int64(b)) || !rowExists(t, db, "kids", int64(b+1))) {
				t.Errorf("Purge(before %v): a parent or kid with %s (not due) was purged", cut, v.sql)
			}
			if !due(other2(i), cut) && !rowExists(t, db, "kids", int64(b+2)) {
				t.Errorf("Purge(before %v): kid with %s (not due) was purged", cut, other2(i).sql)
			}
			if due(v, cut) && rowExists(t, db, "kids", int64(b+1)) {
				t.Errorf("Purge(before %v): kid with %s (due, nothing references it) stays", cut, v.sql)
			}
			if due(v, cut) && due(other2(i), cut) && rowExists(t, db, "parents", int64(b)) {
				t.Errorf("Purge(before %v): parent with %s (due, its kids purged) stays", cut, v.sql)
			}
			if !due(other2(i), cut) && !rowExists(t, db, "parents", int64(b)) {
				t.Errorf("Purge(before %v): parent %d purged under a kid that stays", cut, b)
			}
		}
		t.Logf("Purge(before %v): %v", cut, res.Counts)
	}
	// Whatever stays kept its value exactly.
	for k, before := range rawBefore {
		var tbl string
		var id int
		fmt.Sscanf(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return ' '
		}, k), "%d", &id)
		tbl = strings.TrimRight(k, "0123456789")
		if before == "NULL" || !rowExists(t, db, tbl, int64(id)) {
			continue
		}
		if got := raw(tbl, id); got != before && got != "NULL" {
			t.Errorf("%s %d: %s, was %s", tbl, id, got, before)
		}
	}
}

// rawStampSQL reads deleted_at as stored, as text.
func rawStampSQL(db *DB) string {
	switch db.Dialect() {
	case "sqlite":
		return "quote(deleted_at)"
	case "postgres":
		return "deleted_at::text"
	}
	return "CAST(deleted_at AS CHAR)"
}

// TestForeignStampsCoarseColumns: on columns that keep less than
// microseconds, a table nothing references still restores rows another
// tool hid, one by one and by query (which reads each distinct stamp and
// restores by it), zero dates included, and purges them by their value.
func TestForeignStampsCoarseColumns(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		dialect, typ string
		vals         []string
		due          []bool // before 2024-01-02 12:00 UTC
	}{
		{"mysql", "DATETIME", []string{"'2024-01-02 03:04:05'", "'0000-00-00 00:00:00'", "'2024-01-00 00:00:00'"}, []bool{true, false, true}},
		{"mysql", "TIMESTAMP NULL DEFAULT NULL", []string{"'2024-01-02 03:04:05'", "'0000-00-00 00:00:00'"}, []bool{true, false}},
		{"postgres", "date", []string{"'2024-01-01'", "'infinity'", "'-infinity'", "'0001-01-01'", "'1970-01-01'", "'0001-01-02'"}, []bool{true, false, false, false, true, true}},
		{"postgres", "timestamp(0)", []string{"'2024-01-02 03:04:05'", "'infinity'"}, []bool{true, false}},
	}
	for _, tc := range cases {
		t.Run(tc.dialect+" "+tc.typ, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, tc.dialect)
			ddl(t, db, `CREATE TABLE things (id {id}, name {text} NOT NULL, deleted_at `+tc.typ+`)`)
			conn, err := db.SQL().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if tc.dialect == "mysql" {
				if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = ''"); err != nil {
					t.Fatal(err)
				}
			}
			hide := func() {
				t.Helper()
				for i, v := range tc.vals {
					for k := 0; k < 3; k++ {
						id := 10*(i+1) + k
						q := fmt.Sprintf("UPDATE things SET deleted_at = %s WHERE id = %d", v, id)
						if !rowExists(t, db, "things", int64(id)) {
							q = fmt.Sprintf("INSERT INTO things (id, name, deleted_at) VALUES (%d, 'n', %s)", id, v)
						}
						if _, err := conn.ExecContext(ctx, q); err != nil {
							t.Fatalf("%s: %v", q, err)
						}
					}
				}
			}
			hide()
			m, err := NewManager[stampUser](db, "things")
			if err != nil && tc.typ != "date" {
				t.Fatal(err)
			}
			for i, v := range tc.vals {
				b := int64(10 * (i + 1))
				if _, err := db.Restore(ctx, "things", b); err != nil {
					t.Errorf("Restore(%s): %v", v, err)
				}
				assertAlive(t, db, "things", b, true)
				if m != nil {
					// Both rows with the value: one distinct stamp, restored by it.
					if n, err := m.OnlyDeleted().Where("id IN (?)", []int64{b + 1, b + 2}).Restore(ctx); err != nil || n != 2 {
						t.Errorf("OnlyDeleted().Where(%s rows).Restore() = %d, %v; want 2", v, n, err)
					}
					assertAlive(t, db, "things", b+1, true)
				}
			}
			hide()
			if _, err := db.Purge(ctx, PurgePolicy{Before: time.Date(2024, 1, 2, 12, 0, 0, 0, time.UTC)}); err != nil {
				t.Fatal(err)
			}
			for i, v := range tc.vals {
				if got := rowExists(t, db, "things", int64(10*(i+1))); got == tc.due[i] {
					t.Errorf("Purge: row with %s exists = %v, want %v", v, got, !tc.due[i])
				}
			}
		})
	}
}
