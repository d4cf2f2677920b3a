package softdelete

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Table names given by users match as the database itself matches them:
// exactly first; on PostgreSQL as an unquoted name folds; then ignoring
// case where the database does, if one table matches (two are ErrInvalid,
// with their names); exactly only on MariaDB with
// lower_case_table_names=0. Every entry point that takes a table name
// (table-level API, NewManager, options, Adopt, doctor, Purge,
// OperationKeys, the operations filter) goes through the one lookup.
func TestTableNamesMatchTheDatabaseRules(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			u := testURL(t, d)
			db, err := Open(u)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			q := db.dialect.Quote
			// The table as the database names it, and a differently
			// cased name that means it on this database.
			stored, given := "Album", "ALBUM"
			switch d {
			case "postgres":
				// Unquoted Customer is customer; quoted "Album" is reached
				// case-insensitively because it is the only match.
				ddl(t, db, `CREATE TABLE Customer (id {id}, name {text}, deleted_at {ts})`)
				for _, n := range []string{"Customer", "CUSTOMER", "customer"} {
					if tb, err := db.tableInfo(ctx, n); err != nil || tb.Name != "customer" {
						t.Fatalf("%s: %v %v", n, tb, err)
					}
				}
			case "mysql":
				lctn, err := db.exec().queryInt64(ctx, "SELECT @@lower_case_table_names")
				if err != nil {
					t.Fatal(err)
				}
				if lctn == 0 {
					// Case-sensitive server: Album and album are two tables,
					// and ALBUM is neither.
					ddl(t, db, "CREATE TABLE `album` (id {id}, deleted_at {ts})")
					given = stored
				} else {
					stored = "album"
				}
			}
			ddl(t, db, `CREATE TABLE `+q(stored)+` (id {id}, title {text} NOT NULL, deleted_at {ts})`,
				`CREATE UNIQUE INDEX album_title ON `+q(stored)+` (title)`,
				`INSERT INTO `+q(stored)+` (title) VALUES ('a'), ('b'), ('c')`)
			if d == "mysql" && given == stored {
				_, err := db.tableInfo(ctx, "ALBUM")
				var se *SchemaError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), "did you mean Album or album") || !strings.Contains(err.Error(), "lower_case_table_names=0") {
					t.Fatalf("ALBUM on a case-sensitive server: %v", err)
				}
				if tb, err := db.tableInfo(ctx, "album"); err != nil || tb.Name != "album" {
					t.Fatalf("album: %v %v", tb, err)
				}
			}

			// Table-level API.
			if tb, err := db.tableInfo(ctx, given); err != nil || tb.Name != stored {
				t.Fatalf("tableInfo(%s): %v %v", given, tb, err)
			}
			op, err := db.Delete(ctx, given, 1)
			if err != nil || op.Table != stored || op.Counts[stored] != 1 {
				t.Fatalf("Delete(%s): %+v %v", given, op, err)
			}
			// (the second row's id is read: Galera steps AUTO_INCREMENT)
			var second int64
			if err := db.SQL().QueryRowContext(ctx, "SELECT id FROM "+q(stored)+" ORDER BY id LIMIT 1 OFFSET 1").Scan(&second); err != nil {
				t.Fatal(err)
			}
			if plan, err := db.PlanDelete(ctx, given, second); err != nil || plan.Counts[stored] != 1 {
				t.Fatalf("PlanDelete(%s): %+v %v", given, plan, err)
			}
			var keys int
			if err := db.OperationKeys(ctx, op.ID, given, 10, func(k [][]any) error { keys += len(k); return nil }); err != nil || keys != 1 {
				t.Fatalf("OperationKeys(%s): %d %v", given, keys, err)
			}
			ops, err := db.Operations(ctx, OpFilter{Table: given})
			if err != nil || len(ops) != 1 || ops[0].ID != op.ID {
				t.Fatalf("Operations(Table: %s): %+v %v", given, ops, err)
			}
			if _, err := db.Restore(ctx, given, 1); err != nil {
				t.Fatalf("Restore(%s): %v", given, err)
			}
			type album struct {
				ID        int64      `db:"id,pk"`
				Title     string     `db:"title"`
				DeletedAt *time.Time `db:"deleted_at"`
			}
			m, err := NewManager[album](db, given)
			if err != nil {
				t.Fatalf("NewManager(%s): %v", given, err)
			}
			if m.name != stored {
				t.Fatalf("NewManager(%s) names the table %s", given, m.name)
			}
			var third int64
			if err := db.SQL().QueryRowContext(ctx, "SELECT id FROM "+q(stored)+" ORDER BY id LIMIT 1 OFFSET 2").Scan(&third); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Get(ctx, third); err != nil {
				t.Fatalf("Manager on %s: %v", given, err)
			}

			// Doctor, adopt and purge.
			rep, err := db.DoctorReportFor(ctx, given)
			if err != nil || len(rep.Checked) != 1 || rep.Checked[0] != stored || len(rep.Findings) != 1 {
				t.Fatalf("DoctorReportFor(%s): %+v %v", given, rep, err)
			}
			mig, err := db.Adopt(ctx, AdoptOptions{Tables: []string{given, stored},
				AliveIndexes: map[string][][]string{given: {{"title"}}}})
			if err != nil || len(mig.Tables) != 1 || mig.Tables[0] != stored || !strings.Contains(Script(mig.Up), "_title_alive") {
				t.Fatalf("Adopt(%s): %+v %v", given, mig, err)
			}
			if err := db.ApplyMigration(ctx, mig, false); err != nil {
				t.Fatal(err)
			}
			if rep, err := db.DoctorReportFor(ctx, given); err != nil || len(rep.Findings) != 0 {
				t.Fatalf("doctor after adopt: %+v %v", rep, err)
			}
			if _, err := db.Delete(ctx, given, third); err != nil {
				t.Fatal(err)
			}
			res, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Hour), Tables: []string{given},
				Retention: map[string]Retention{given: {Skip: true}}})
			if err != nil || res.Counts[stored] != 0 {
				t.Fatalf("Purge(%s) with %s skipped: %+v %v", given, given, res, err)
			}
			res, err = db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Hour), Tables: []string{given}})
			if err != nil || res.Counts[stored] != 1 {
				t.Fatalf("Purge(%s): %+v %v", given, res, err)
			}

			// Options name tables too.
			opt, err := Open(u, WithUniqueKey(given, "title"), WithTableDeletedColumn(given, "removed_at"))
			if err != nil {
				t.Fatal(err)
			}
			defer opt.Close()
			mig, err = opt.Adopt(ctx, AdoptOptions{Tables: []string{given}})
			if err != nil || !strings.Contains(Script(mig.Up), "removed_at") || len(mig.Notes) > 0 && strings.Contains(strings.Join(mig.Notes, " "), "ignored") {
				t.Fatalf("options naming %s: %+v %v", given, mig, err)
			}

			// Unknown names.
			var se *SchemaError
			if _, err := db.Delete(ctx, "Albums", 1); !errors.As(err, &se) || !strings.Contains(err.Error(), "no such table") {
				t.Fatalf("Delete(Albums): %v", err)
			}
			if _, err := db.Adopt(ctx, AdoptOptions{Tables: []string{"Albums"}}); !errors.As(err, &se) {
				t.Fatalf("Adopt(Albums): %v", err)
			}
			if _, err := db.DoctorReportFor(ctx, "Albums"); !errors.As(err, &se) {
				t.Fatalf("DoctorReportFor(Albums): %v", err)
			}
			if _, err := db.Purge(ctx, PurgePolicy{OlderThan: time.Hour, Tables: []string{"Albums"}}); !errors.As(err, &se) {
				t.Fatalf("Purge(Albums): %v", err)
			}

			if d == "postgres" {
				// Two tables that differ only in case, neither of which
				// the name folds to: ambiguous, and the error names both.
				ddl(t, db, `CREATE TABLE "Track" (id {id}, deleted_at {ts})`, `CREATE TABLE "TRACK" (id {id}, deleted_at {ts})`)
				for _, call := range []func() error{
					func() error { _, err := db.Delete(ctx, "track", 1); return err },
					func() error { _, err := db.Adopt(ctx, AdoptOptions{Tables: []string{"track"}}); return err },
					func() error { _, err := db.DoctorReportFor(ctx, "track"); return err },
				} {
					err := call()
					if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "TRACK, Track") {
						t.Fatalf("ambiguous track: %v", err)
					}
				}
				if tb, err := db.tableInfo(ctx, "Track"); err != nil || tb.Name != "Track" {
					t.Fatalf("exact Track: %v %v", tb, err)
				}
			}
		})
	}
}

// A name the schema cache does not know costs one catalog look: the
// schema is read again only when a table of that name exists (created
// since), never for a stream of unknown names (what an admin UI or an API
// taking table names from requests would send).
func TestUnknownTableNamesDoNotReloadTheSchema(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			// The first statement of each dialect's schema read.
			marker := map[string]string{"sqlite": "pragma_table_xinfo", "postgres": "format_type(a.atttypid", "mysql": "@@lower_case_table_names"}[d]
			var stmts, reads atomic.Int64
			db := openTest(t, d, WithStatementHook(func(_ context.Context, q string, _ []any) error {
				stmts.Add(1)
				if strings.Contains(q, marker) {
					reads.Add(1)
				}
				return nil
			}))
			ddl(t, db, `CREATE TABLE items (id {id}, deleted_at {ts})`)
			stmts.Store(0)
			reads.Store(0)
			const calls = 40
			for i := range calls {
				name := "nosuch"
				if i%2 == 0 {
					name = "nosuch_" + string(rune('a'+i%26)) + strings.Repeat("x", i)
				}
				var se *SchemaError
				if _, err := db.Delete(ctx, name, 1); !errors.As(err, &se) {
					t.Fatalf("Delete(%s): %v", name, err)
				}
			}
			if reads.Load() != 0 || stmts.Load() > calls {
				t.Fatalf("%d calls with unknown table names: %d statements, %d schema reads; want at most one catalog look each and no schema read",
					calls, stmts.Load(), reads.Load())
			}
			t.Logf("%d calls with unknown table names: %d statements, %d schema reads", calls, stmts.Load(), reads.Load())
			// A table created behind the cache's back is found, with one read.
			if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE "+db.dialect.Quote("Later")+" (id INTEGER PRIMARY KEY, deleted_at "+db.dialect.TimestampType()+")"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL().ExecContext(ctx, "INSERT INTO "+db.dialect.Quote("Later")+" (id) VALUES (1)"); err != nil {
				t.Fatal(err)
			}
			reads.Store(0)
			name := "later"
			if d == "mysql" {
				name = "Later" // case-sensitive by default
			}
			if _, err := db.Delete(ctx, name, 1); err != nil {
				t.Fatalf("Delete(%s) of a table created since the schema was read: %v", name, err)
			}
			if reads.Load() != 1 {
				t.Fatalf("finding a new table read the schema %d times, want 1", reads.Load())
			}
		})
	}
}
