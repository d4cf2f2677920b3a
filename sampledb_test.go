package softdelete

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/softdelete-go/softdelete/internal/sqlscript"
)

// loadSample builds a sample database (sqlscript.Samples) in a fresh test
// database and returns its URL.
func loadSample(t testing.TB, name, dialect string) string {
	t.Helper()
	u := testURL(t, dialect)
	db, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sqlscript.LoadSample(context.Background(), db.SQL(), name, dialect); err != nil {
		t.Fatal(err)
	}
	return u
}

// indexBodies lists each table's indexes as the database defines them,
// without their names: "unique USING gist (fulltext) WHERE (...)".
func indexBodies(t testing.TB, db *DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var q string
	switch db.Dialect() {
	case "postgres":
		q = `SELECT t.relname::text, i.indisunique, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() ORDER BY 1, 3`
	case "mysql":
		q = `SELECT TABLE_NAME, NON_UNIQUE = 0, CONCAT(INDEX_TYPE, ' (', GROUP_CONCAT(CONCAT(COLUMN_NAME, COALESCE(CONCAT('(', SUB_PART, ')'), ''), ' ', COALESCE(COLLATION, '')) ORDER BY SEQ_IN_INDEX SEPARATOR ', '), ')')
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE ORDER BY 1, 3`
	case "sqlite":
		q = `SELECT tbl_name, sql LIKE 'CREATE UNIQUE%', sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY 1, 3`
	}
	rows, err := db.SQL().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var tbl, def string
		var unique bool
		if err := rows.Scan(&tbl, &unique, &def); err != nil {
			t.Fatal(err)
		}
		body := def
		switch db.Dialect() {
		case "postgres":
			body = def[strings.Index(def, " USING ")+1:]
		case "sqlite":
			on := strings.Index(strings.ToUpper(def), " ON ")
			body = def[on+strings.Index(def[on:], "("):]
		}
		if unique {
			body = "unique " + body
		}
		out[tbl] = append(out[tbl], body)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// aliveOnlyBody is what adopt turns the unique index body b into.
func aliveOnlyBody(dialect, b string) []string {
	switch dialect {
	case "postgres":
		if i := strings.Index(b, " WHERE "); i >= 0 {
			return []string{b[:i] + " WHERE (" + b[i+7:] + " AND (deleted_at IS NULL))"}
		}
		return []string{b + " WHERE (deleted_at IS NULL)"}
	case "mysql":
		return []string{strings.TrimSuffix(b, ")") + ", softdelete_alive A)"}
	}
	return []string{b + ` WHERE "deleted_at" IS NULL`}
}

// checkNoIndexLost fails unless every index of before is in after, as it
// was or (unique keys) limited to alive rows with the rest of its
// definition kept.
func checkNoIndexLost(t testing.TB, dialect string, before, after map[string][]string) {
	t.Helper()
	for tbl, bodies := range before {
		for _, b := range bodies {
			if slices.Contains(after[tbl], b) {
				continue
			}
			ok := false
			if strings.HasPrefix(b, "unique ") {
				for _, c := range aliveOnlyBody(dialect, b) {
					ok = ok || slices.Contains(after[tbl], c)
				}
			}
			if !ok {
				t.Errorf("%s: index %q lost; now %q", tbl, b, after[tbl])
			}
		}
	}
}

// quiet fails on doctor findings other than Info.
func quiet(t testing.TB, db *DB) {
	t.Helper()
	rep, err := db.DoctorReport(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.NothingToCheck() {
		t.Errorf("doctor: nothing to check after adopt")
	}
	for _, f := range rep.Findings {
		if f.Severity != Info {
			t.Errorf("doctor not quiet after adopt: %+v", f)
		}
	}
}

// TestSampleDBAcceptance is issue 9's acceptance run on public sample
// databases: doctor (nothing to check) → adopt → doctor quiet, no index
// lost → restrict, cascade and set null deletes and their undo from other
// connections → purge, dry run equal to the real one → the down migration
// gives back the original schema.
func TestSampleDBAcceptance(t *testing.T) {
	for _, c := range sqlscript.Samples {
		t.Run(c.Name+"/"+c.Dialect, func(t *testing.T) {
			t.Parallel()
			sampleAcceptance(t, c.Name, c.Dialect)
		})
	}
}

func sampleAcceptance(t *testing.T, sample, dialect string) {
	ctx := context.Background()
	u := loadSample(t, sample, dialect)
	// The names of Chinook's tables and columns differ per script.
	n := func(camel, snake string) string {
		if sample == "chinook" && dialect == "postgres" {
			return snake
		}
		return camel
	}
	var rules []Option
	switch sample {
	case "chinook":
		rules = []Option{
			WithRelationRule(n("Album", "album"), n("Artist", "artist"), Cascade),
			WithRelationRule(n("Track", "track"), n("Album", "album"), Cascade),
			WithRelationRule(n("PlaylistTrack", "playlist_track"), n("Track", "track"), Cascade),
			WithRelationRule(n("PlaylistTrack", "playlist_track"), n("Playlist", "playlist"), Cascade),
			WithRelationRule(n("Track", "track"), n("Genre", "genre"), SetNull),
		}
	default:
		rules = []Option{
			WithRelationRule("film_actor", "film", Cascade),
			WithRelationRule("film_category", "film", Cascade),
		}
	}
	db, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// doctor before adopt: nothing to check (no soft-delete column yet).
	rep, err := db.DoctorReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.NothingToCheck() || len(rep.Findings) != 0 {
		t.Fatalf("doctor before adopt: %+v", rep)
	}
	before := fingerprint(t, db)
	idxBefore := indexBodies(t, db)

	m, err := db.Adopt(ctx, AdoptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Blocking) > 0 {
		t.Fatalf("blocking: %q", m.Blocking)
	}
	if err := db.ApplyMigration(ctx, m, false); err != nil {
		t.Fatalf("apply: %v\n%s", err, Script(m.Up))
	}
	// One run converges: a second plan is empty.
	if m2, err := db.Adopt(ctx, AdoptOptions{}); err != nil || !m2.Empty() {
		t.Fatalf("adopt after adopt: %v\n%s", err, Script(m2.Up))
	}
	checkNoIndexLost(t, dialect, idxBefore, indexBodies(t, db))
	if sample == "pagila" {
		// payment.rental_id is NOT NULL under ON DELETE SET NULL: doctor
		// says so, and is quiet once the rule is overridden.
		rep, err := db.DoctorReport(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Problem, "payment_rental_id_fkey") || rep.Findings[0].Severity != Danger {
			t.Fatalf("doctor on pagila: %+v", rep.Findings)
		}
		fixed, err := Open(u, WithRelationRule("payment", "rental", Restrict))
		if err != nil {
			t.Fatal(err)
		}
		quiet(t, fixed)
		fixed.Close()
	} else {
		quiet(t, db)
	}

	// A second connection pool (another process, as far as the database
	// can tell) deletes; a third one undoes.
	db2, err := Open(u, rules...)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	// The undoing process has no relation rules of its own: undo follows
	// the rules the delete followed.
	db3, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer db3.Close()
	count := func(q string) int64 {
		t.Helper()
		var v int64
		if err := db.SQL().QueryRow(q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	q := db.dialect.Quote

	// Restrict.
	restrictTable, restrictKey := n("Artist", "artist"), any(1) // AC/DC: its tracks are on invoices
	if sample != "chinook" {
		restrictTable = "film" // film 1 is in the inventory (ON DELETE RESTRICT)
	}
	var re *RestrictedError
	if _, err := db2.Delete(ctx, restrictTable, restrictKey); !errors.As(err, &re) || len(re.Blockers) == 0 {
		t.Fatalf("restricted delete: %v", err)
	}

	// Cascade: a parent whose children are not blocked.
	var cascadeTable, cascadeQuery string
	switch sample {
	case "chinook":
		cascadeTable = n("Playlist", "playlist")
		cascadeQuery = "SELECT MIN(" + q(n("PlaylistId", "playlist_id")) + ") FROM " + q(n("PlaylistTrack", "playlist_track"))
	default:
		cascadeTable = "film"
		cascadeQuery = "SELECT MIN(f.film_id) FROM film f WHERE NOT EXISTS (SELECT 1 FROM inventory i WHERE i.film_id = f.film_id) AND EXISTS (SELECT 1 FROM film_actor fa WHERE fa.film_id = f.film_id)"
	}
	key := count(cascadeQuery)
	plan, err := db2.PlanDelete(ctx, cascadeTable, key)
	if err != nil || !plan.Allowed() || len(plan.Counts) < 2 {
		t.Fatalf("plan cascade %s %d: %+v %v", cascadeTable, key, plan, err)
	}
	alive := func() map[string]int64 {
		out := map[string]int64{}
		for tbl := range plan.Counts {
			out[tbl] = count("SELECT COUNT(*) FROM " + q(tbl) + " WHERE deleted_at IS NULL")
		}
		return out
	}
	a0 := alive()
	op, err := db2.Delete(ctx, cascadeTable, key)
	if err != nil {
		t.Fatal(err)
	}
	a1 := alive()
	for tbl, c := range plan.Counts {
		if op.Counts[tbl] != c || a0[tbl]-a1[tbl] != c {
			t.Errorf("cascade %s: plan %d, operation %d, rows hidden %d", tbl, c, op.Counts[tbl], a0[tbl]-a1[tbl])
		}
	}
	if _, err := db3.Undo(ctx, op.ID); err != nil {
		t.Fatalf("undo cascade: %v", err)
	}
	if a2 := alive(); !maps.Equal(a0, a2) {
		t.Errorf("undo cascade: alive %v, want %v", a2, a0)
	}

	// Set null.
	switch sample {
	case "pagila":
		// NOT NULL under SET NULL: a typed error naming the key, not the
		// database's raw not-null violation; nothing changes.
		rental := count("SELECT MIN(rental_id) FROM payment")
		_, err := db2.Delete(ctx, "rental", rental)
		var se *SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "payment_rental_id_fkey") {
			t.Fatalf("delete rental under SET NULL on a NOT NULL column: %v", err)
		}
		if _, err := db2.PlanDelete(ctx, "rental", rental); !errors.As(err, &se) {
			t.Fatalf("plan rental under SET NULL on a NOT NULL column: %v", err)
		}
	default:
		var tbl, col, child string
		var k int64
		if sample == "chinook" {
			tbl, col, child = n("Genre", "genre"), n("GenreId", "genre_id"), n("Track", "track")
			k = count("SELECT MIN(" + q(col) + ") FROM " + q(child))
		} else {
			tbl, col, child = "rental", "rental_id", "payment"
			k = count("SELECT MIN(rental_id) FROM payment")
			// Issue 9 timed a 43-row SET NULL delete on MariaDB at 0.9-1.9 s:
			// the bookkeeping scanned the whole child table. The same
			// shape: 43 payments reference the rental, in a payment table
			// of the full Sakila's size (16,049 rows).
			digits := "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
			fill := func(rental string, n int64) {
				t.Helper()
				if _, err := db.SQL().ExecContext(ctx, "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) SELECT p.customer_id, p.staff_id, "+rental+
					", p.amount, p.payment_date FROM (SELECT * FROM payment WHERE rental_id = "+strconv.FormatInt(k, 10)+" LIMIT 1) p, "+
					digits+" a, "+digits+" b, "+digits+" c, "+digits+" d, "+digits+" e LIMIT "+strconv.FormatInt(n, 10)); err != nil {
					t.Fatal(err)
				}
			}
			fill(strconv.FormatInt(k, 10), 43-count("SELECT COUNT(*) FROM payment WHERE rental_id = "+strconv.FormatInt(k, 10)))
			fill("NULL", 16049-count("SELECT COUNT(*) FROM payment"))
		}
		nulls := func() int64 { return count("SELECT COUNT(*) FROM " + q(child) + " WHERE " + q(col) + " IS NULL") }
		refs := count("SELECT COUNT(*) FROM " + q(child) + " WHERE " + q(col) + " = " + strconv.FormatInt(k, 10))
		n0 := nulls()
		start := time.Now()
		op, err := db2.Delete(ctx, tbl, k)
		took := time.Since(start)
		if err != nil {
			t.Fatalf("set null delete: %v", err)
		}
		t.Logf("set null delete of %s %d: %d references cleared in %s (%d rows), %v (not asserted: benchmarks measure)",
			tbl, k, refs, child, count("SELECT COUNT(*) FROM "+q(child)), took)
		if got := nulls() - n0; got != refs || refs == 0 {
			t.Errorf("set null: %d references cleared, want %d", got, refs)
		}
		if _, err := db3.Undo(ctx, op.ID); err != nil {
			t.Fatalf("undo set null: %v", err)
		}
		if got := count("SELECT COUNT(*) FROM " + q(child) + " WHERE " + q(col) + " = " + strconv.FormatInt(k, 10)); got != refs || nulls() != n0 {
			t.Errorf("undo set null: %d references back, want %d", got, refs)
		}
	}

	// Purge: the dry run promises what the real purge removes.
	if _, err := db2.Delete(ctx, cascadeTable, key); err != nil {
		t.Fatal(err)
	}
	leaf, leafCol := "language", "language_id"
	if sample == "chinook" {
		leaf, leafCol = n("Genre", "genre"), n("GenreId", "genre_id")
	}
	leafKey := count("SELECT MAX(" + q(leafCol) + ") FROM " + q(leaf))
	if _, err := db2.Delete(ctx, leaf, leafKey); err != nil {
		t.Fatal(err)
	}
	policy := PurgePolicy{Before: time.Now().Add(time.Hour), DryRun: true}
	dry, err := db3.Purge(ctx, policy)
	if err != nil {
		t.Fatal(err)
	}
	policy.DryRun = false
	real, err := db3.Purge(ctx, policy)
	if err != nil {
		t.Fatal(err)
	}
	nonzero := func(m map[string]int64) map[string]int64 {
		out := map[string]int64{}
		for k, v := range m {
			if v != 0 {
				out[k] = v
			}
		}
		return out
	}
	if !maps.Equal(nonzero(dry.Counts), nonzero(real.Counts)) {
		t.Errorf("purge: dry run %v, real purge %v", dry.Counts, real.Counts)
	}
	// Counts name tables as the database does (lower case on a MariaDB
	// with lower_case_table_names=1).
	if lt, err := db3.tableInfo(ctx, leaf); err != nil || real.Counts[lt.Name] != 1 {
		t.Errorf("purge: %v, want %s purged", real.Counts, leaf)
	}
	// Composite-key children (PlaylistTrack, film_actor) are not purged
	// yet, and block their parents: the purge part of issue 9.
	t.Logf("purge: %v (blocked %v)", real.Counts, real.Blocked)

	// Down: the original schema, indexes included.
	if err := db.ApplyMigration(ctx, m, true); err != nil {
		t.Fatalf("down: %v\n%s", err, Script(m.Down))
	}
	if after := fingerprint(t, db); after != before {
		t.Errorf("down did not restore the schema:\n%s\nwant\n%s", after, before)
	}
	idxAfter := indexBodies(t, db)
	for tbl := range idxAfter {
		if strings.HasPrefix(tbl, "softdelete_") {
			delete(idxAfter, tbl)
		}
	}
	if !maps.EqualFunc(idxBefore, idxAfter, slices.Equal[[]string]) {
		t.Errorf("down did not restore the indexes:\n%q\nwant\n%q", idxAfter, idxBefore)
	}
}
