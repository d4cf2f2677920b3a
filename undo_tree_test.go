package softdelete

import (
	"context"
	"testing"
)

// Undo of a delete on a self-referencing table brings the whole tree back:
// the parents of the non-root rows carry the operation's own stamp and come
// back with them (found by TestAdversarialStress; before the fix Undo said
// ErrParentDeleted on every dialect).
func TestUndoOfTreeDelete(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		advSchema(t, db)
		advSeed(t, db, advSeedSize{customers: 1, ordersPer: 1, itemsPer: 1, products: 1, coupons: 1, nodes: 10})
		before := advStatus(t, db)
		op, err := db.Delete(ctx, "nodes", 1)
		if err != nil {
			t.Fatal(err)
		}
		if op.Counts["nodes"] != 10 {
			t.Fatalf("tree delete hid %v", op.Counts)
		}
		if _, err := db.Undo(ctx, op.ID); err != nil {
			t.Fatalf("undo of a tree delete: %v", err)
		}
		if got := advStatus(t, db); got != before {
			t.Fatalf("undo of a tree delete: %s", advStatusDiff(before, got))
		}
		// A bulk delete of a root and an inner node: one operation, one undo.
		nodes, err := NewManager[advNode](db, "nodes")
		if err != nil {
			t.Fatal(err)
		}
		if n, err := nodes.Where("id IN (?)", []int64{2, 6}).Delete(ctx); err != nil || n != 4 {
			t.Fatalf("bulk delete of a subtree: %d, %v", n, err)
		}
		ops, err := db.Operations(ctx, OpFilter{Trash: true, Limit: 1})
		if err != nil || len(ops) != 1 {
			t.Fatalf("trash: %v %v", ops, err)
		}
		if _, err := db.Undo(ctx, ops[0].ID); err != nil {
			t.Fatalf("undo of a bulk tree delete: %v", err)
		}
		if got := advStatus(t, db); got != before {
			t.Fatalf("undo of a bulk tree delete: %s", advStatusDiff(before, got))
		}
	})
}
