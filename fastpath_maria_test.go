package softdelete

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
)

// TestFastPathMariaBlock: on MariaDB the fast single-row delete and restore
// are one compound statement (BEGIN NOT ATOMIC ... END), its own
// transaction when the context cannot end. An error inside it (here a
// trigger on the log refusing the log row, after the row's UPDATE ran)
// rolls the UPDATE back and reaches the caller with the server's error;
// hostile actor and reason text is recorded as given, through a pool that
// interpolates arguments (Open) and through one that prepares statements
// on the server (New on a DSN without interpolateParams); and the
// connection goes back to the pool in autocommit, outside any transaction.
func TestFastPathMariaBlock(t *testing.T) {
	u := testURL(t, "mysql")
	_, dsn, _, _, err := parseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	prepared, err := sql.Open("mysql", strings.Replace(dsn, "interpolateParams=true", "interpolateParams=false", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer prepared.Close()
	prepared.SetMaxOpenConns(1) // one connection: the checks below see the one the operations used
	pools := map[string]func() (*DB, error){
		"interpolated": func() (*DB, error) { return Open(u) },
		"prepared":     func() (*DB, error) { return New(prepared) },
	}
	for _, name := range []string{"interpolated", "prepared"} {
		t.Run(name, func(t *testing.T) {
			db, err := pools[name]()
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			skipOnGalera(t, db)
			if name == "interpolated" {
				fastSchema(t, db)
			}
			ctx := context.Background()
			if _, err := db.Delete(ctx, "notes", 3); err != nil { // warm up: the log, the schema, the version
				t.Fatal(err)
			}
			if _, err := db.Restore(ctx, "notes", 3); err != nil {
				t.Fatal(err)
			}
			if db.maria.Load() != 1 {
				t.Skip("not a MariaDB 10.5+ taking compound statements: no one-statement fast path")
			}
			if name == "interpolated" {
				ddl(t, db, `CREATE TRIGGER refuse_boom BEFORE INSERT ON softdelete_operations FOR EACH ROW
BEGIN IF NEW.reason = 'boom' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'log row refused'; END IF; END`)
			}
			state := func() string { return snapshot(t, db, "notes", "softdelete_operations") }
			dctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			for _, c := range []struct {
				what string
				ctx  context.Context
			}{{"own transaction", ctx}, {"in a transaction (deadline)", dctx}} {
				boom := WithReason(c.ctx, "boom")
				pre := state()
				fired := db.fastOps.Load()
				if _, err := db.Delete(boom, "notes", 1); err == nil || !strings.Contains(err.Error(), "log row refused") {
					t.Errorf("%s: delete with the log row refused: %v", c.what, err)
				}
				if got := state(); got != pre {
					t.Errorf("%s: a failed delete changed the data:\nbefore %s\nafter  %s", c.what, pre, got)
				}
				if _, err := db.Delete(c.ctx, "notes", 1); err != nil {
					t.Fatal(err)
				}
				pre = state()
				if _, err := db.Restore(boom, "notes", 1); err == nil || !strings.Contains(err.Error(), "log row refused") {
					t.Errorf("%s: restore with the log row refused: %v", c.what, err)
				}
				if got := state(); got != pre {
					t.Errorf("%s: a failed restore changed the data:\nbefore %s\nafter  %s", c.what, pre, got)
				}
				if _, err := db.Restore(c.ctx, "notes", 1); err != nil {
					t.Fatal(err)
				}
				if db.fastOps.Load() < fired+2 {
					t.Errorf("%s: the fast path was not taken", c.what)
				}
			}
			// Hostile text as actor and reason, recorded as given.
			for _, s := range []string{`x'; END; DROP TABLE notes; --`, `\'); SELECT 1; END IF; COMMIT; END --`,
				"BEGIN NOT ATOMIC SELECT 1; END", `@softdelete_n := 5`, "ünï\u00a0cödé \\ \" `"} {
				hctx := WithReason(WithActor(ctx, s), s)
				del, err := db.Delete(hctx, "notes", 2)
				if err != nil {
					t.Fatalf("delete with %q: %v", s, err)
				}
				res, err := db.Restore(hctx, "notes", 2)
				if err != nil {
					t.Fatalf("restore with %q: %v", s, err)
				}
				if res.TargetOp != del.ID {
					t.Errorf("restore target %d, want %d", res.TargetOp, del.ID)
				}
				ops, err := db.Operations(ctx, OpFilter{Table: "notes", Limit: 2})
				if err != nil {
					t.Fatal(err)
				}
				if len(ops) != 2 || ops[0].ID != res.ID || ops[1].ID != del.ID {
					t.Fatalf("log: %+v", ops)
				}
				for _, op := range ops {
					if op.Actor != s || op.Reason != s {
						t.Errorf("recorded actor %q reason %q, want %q", op.Actor, op.Reason, s)
					}
				}
			}
			if name == "prepared" {
				var inTx, auto int64
				if err := prepared.QueryRow("SELECT @@in_transaction, @@autocommit").Scan(&inTx, &auto); err != nil {
					t.Fatal(err)
				}
				if inTx != 0 || auto != 1 {
					t.Errorf("the pool's connection after the fast path: in_transaction %d, autocommit %d", inTx, auto)
				}
			}
		})
	}
}
