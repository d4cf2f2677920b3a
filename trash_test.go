package softdelete

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The trash lists only deletes that still hide rows: not one restored by
// hand, nor one whose rows were purged, and pages past them to fill Limit.
func TestTrashListsOnlyWhatStillHides(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		bigShop(t, db)
		del := func(c int) *Operation {
			t.Helper()
			op, err := db.Delete(ctx, "customers", c)
			if err != nil {
				t.Fatal(err)
			}
			return op
		}
		purged := del(5)
		if _, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
		kept := del(1)
		restored := del(4)
		if _, err := db.Restore(ctx, "customers", 4); err != nil {
			t.Fatal(err)
		}
		undone := del(3)
		if _, err := db.Undo(ctx, undone.ID); err != nil {
			t.Fatal(err)
		}
		kept2 := del(6)
		var ids []string
		ops, err := db.Operations(ctx, OpFilter{Trash: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			ids = append(ids, fmt.Sprint(op.ID))
		}
		want := fmt.Sprintf("%d %d", kept2.ID, kept.ID)
		if got := strings.Join(ids, " "); got != want {
			t.Fatalf("trash: %s, want %s (purged %d, restored %d, undone %d)", got, want, purged.ID, restored.ID, undone.ID)
		}
		// Limit 1 then paging: the restored delete between is skipped.
		page, err := db.Operations(ctx, OpFilter{Trash: true, Limit: 1, BeforeID: kept2.ID})
		if err != nil || len(page) != 1 || page[0].ID != kept.ID {
			t.Fatalf("second page: %+v %v", page, err)
		}
		if _, err := db.Undo(ctx, restored.ID); !errors.Is(err, ErrNotDeleted) {
			t.Fatalf("undo of a restored delete: %v", err)
		}
	})
}

// An unknown operation id is said to be one, with ErrNotFound.
func TestUnknownOperation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		check := func(what string, err error) {
			t.Helper()
			var oe *OperationNotFoundError
			if !errors.Is(err, ErrNotFound) || !errors.As(err, &oe) || oe.ID != 424242 || !strings.Contains(err.Error(), "no operation 424242") {
				t.Fatalf("%s: %v", what, err)
			}
		}
		_, err := db.Operation(ctx, 424242)
		check("Operation", err)
		_, err = db.Undo(ctx, 424242)
		check("Undo", err)
		check("OperationKeys", db.OperationKeys(ctx, 424242, "customers", 10, func([][]any) error { return nil }))
	})
}

// A composite root key is logged as (a,b), not flat.
func TestCompositeKeyLogged(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE pairs (a {big} NOT NULL, b {big} NOT NULL, deleted_at {ts} NULL, PRIMARY KEY (a, b))`)
		exec(t, db, "INSERT INTO pairs (a, b) VALUES (1, 2), (12, 3)")
		op, err := db.Delete(ctx, "pairs", 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Operation(ctx, op.ID)
		if err != nil || got.Key != "(1,2)" {
			t.Fatalf("key %q %v", got.Key, err)
		}
	})
}
