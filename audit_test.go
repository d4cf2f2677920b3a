package softdelete

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestAuditActorReasonAndUndo(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := WithReason(WithActor(context.Background(), "alice"), "GDPR request #42")
		shop(t, db)
		// Earlier, independent delete inside the subtree.
		if _, err := db.Delete(context.Background(), "items", 101); err != nil {
			t.Fatal(err)
		}
		del, err := db.Delete(ctx, "customers", 1)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := db.Operations(context.Background(), OpFilter{Actor: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ops) != 1 || ops[0].ID != del.ID || ops[0].Reason != "GDPR request #42" || ops[0].Kind != OpDelete ||
			ops[0].Counts["items"] != 2 || ops[0].Table != "customers" || ops[0].Key != "1" || ops[0].Stamp == nil {
			t.Fatalf("log: %+v", ops)
		}
		var keys []string
		if err := db.OperationKeys(context.Background(), del.ID, "items", 1, func(k [][]any) error {
			if len(k) != 1 {
				t.Errorf("batch of %d, want 1", len(k))
			}
			keys = append(keys, fmt.Sprint(k[0][0]))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(keys) != "[100 102]" {
			t.Fatalf("rows the operation hid: %v", keys)
		}
		trash, _ := db.Operations(context.Background(), OpFilter{Trash: true})
		if len(trash) != 2 || trash[0].ID != del.ID {
			t.Fatalf("trash (newest first): %+v", trash)
		}
		// Undo brings back exactly what the delete hid.
		undo, err := db.Undo(WithActor(context.Background(), "bob"), del.ID)
		if err != nil {
			t.Fatal(err)
		}
		if undo.Kind != OpUndo || undo.TargetOp != del.ID || undo.Rows != 7-1 {
			t.Fatalf("undo op: %+v", undo)
		}
		wantState(t, db, `
customers alive=[1 2] deleted=[]
orders alive=[10 11 20] deleted=[]
items alive=[100 102 200] deleted=[101]
item_notes alive=[1000] deleted=[]`)
		if _, err := db.Undo(ctx, del.ID); !errors.Is(err, ErrNotDeleted) {
			t.Fatalf("second undo: %v", err)
		}
		trash, _ = db.Operations(context.Background(), OpFilter{Trash: true})
		if len(trash) != 1 {
			t.Fatalf("undone delete still in trash: %+v", trash)
		}
		got, _ := db.Operation(context.Background(), del.ID)
		if got.UndoneBy != undo.ID {
			t.Fatalf("undone_by = %d, want %d", got.UndoneBy, undo.ID)
		}
		if _, err := db.Undo(ctx, undo.ID); !errors.Is(err, ErrInvalid) {
			t.Fatalf("undo of an undo: %v", err)
		}
		if _, err := db.Operation(ctx, 999999); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing op: %v", err)
		}
		// Filters.
		byTable, _ := db.Operations(ctx, OpFilter{Table: "items"})
		if len(byTable) != 1 || byTable[0].Key != "101" {
			t.Fatalf("table filter: %+v", byTable)
		}
		future, _ := db.Operations(ctx, OpFilter{Since: time.Now().Add(time.Hour)})
		if len(future) != 0 {
			t.Fatalf("since filter: %+v", future)
		}
		all, _ := db.Operations(ctx, OpFilter{})
		if len(all) != 3 {
			t.Fatalf("one operation per delete and undo: %d", len(all))
		}
	})
}

func TestUndoConflictChangesNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE users (id {id}, email {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL, UNIQUE (email))`,
			`CREATE TABLE posts (id {id}, user_id {big} NOT NULL, deleted_at {ts} NULL, FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)`)
		m, _ := db.Adopt(ctx, AdoptOptions{Tables: []string{"users"}})
		if err := db.ApplyMigration(ctx, m, false); err != nil {
			t.Fatal(err)
		}
		exec(t, db, "INSERT INTO users (id, email, created_at, updated_at) VALUES (1, 'a@x', '2020-01-01 00:00:00', '2020-01-01 00:00:00')")
		exec(t, db, "INSERT INTO posts (id, user_id) VALUES (1, 1), (2, 1)")
		op, err := db.Delete(ctx, "users", 1)
		if err != nil {
			t.Fatal(err)
		}
		exec(t, db, "INSERT INTO users (id, email, created_at, updated_at) VALUES (2, 'a@x', '2020-01-01 00:00:00', '2020-01-01 00:00:00')")
		before := state(t, db, "users", "posts")
		_, err = db.Undo(ctx, op.ID)
		var ce *ConflictError
		if !errors.As(err, &ce) || fmt.Sprint(ce.LiveKey[0]) != "2" {
			t.Fatalf("undo onto a taken email: %v", err)
		}
		if got := state(t, db, "users", "posts"); got != before {
			t.Fatalf("failed undo changed data:\n%s", got)
		}
	})
}

func TestHooksSeeKeysAndVeto(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		var seen []string
		var batches int
		veto := false
		db.AddHooks(Hooks{
			Before: func(ctx context.Context, ev *Event) error {
				if ev.Op.Kind == OpDelete {
					for _, tbl := range []string{"orders", "items"} {
						err := ev.Keys(ctx, tbl, 2, func(keys [][]any) error {
							batches++
							for _, k := range keys {
								seen = append(seen, fmt.Sprintf("%s:%v", tbl, k[0]))
							}
							return nil
						})
						if err != nil {
							return err
						}
					}
				}
				if veto {
					return errors.New("legal hold")
				}
				return nil
			},
		})
		if _, err := db.Delete(ctx, "customers", 1); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(seen) != "[orders:10 orders:11 items:100 items:101 items:102]" || batches != 3 {
			t.Fatalf("hook saw %v in %d batches", seen, batches)
		}
		veto = true
		before := state(t, db, shopTables...)
		ops, _ := db.Operations(ctx, OpFilter{})
		for _, f := range []func() error{
			func() error { _, err := db.Restore(ctx, "customers", 1); return err },
			func() error { _, err := db.Delete(ctx, "customers", 2); return err },
			func() error { _, err := db.Undo(ctx, ops[0].ID); return err },
		} {
			if err := f(); !errors.Is(err, ErrVetoed) {
				t.Fatalf("vetoed operation: %v", err)
			}
			if got := state(t, db, shopTables...); got != before {
				t.Fatalf("vetoed operation changed data:\n%s", got)
			}
		}
		after, _ := db.Operations(ctx, OpFilter{})
		if len(after) != len(ops) {
			t.Fatal("vetoed operations were logged")
		}
	})
}
