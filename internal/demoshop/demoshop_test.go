package demoshop_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/softdelete-go/softdelete"
	"github.com/softdelete-go/softdelete/internal/demoshop"
	"github.com/softdelete-go/softdelete/internal/testdb"
)

// The shop says what the demo and the browser tests rely on, on every
// dialect: its history is in the log, each rule does what the admin will
// show, and doctor has nothing to say about its schema.
func TestShop(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := testdb.Open(t, d)
			if ok, err := demoshop.Exists(ctx, db); err != nil || ok {
				t.Fatalf("Exists on an empty database: %v %v", ok, err)
			}
			if err := demoshop.Create(ctx, db); err != nil {
				t.Fatal(err)
			}
			if ok, err := demoshop.Exists(ctx, db); err != nil || !ok {
				t.Fatalf("Exists after Create: %v %v", ok, err)
			}
			findings, err := db.Doctor(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				if f.Severity != softdelete.Info {
					t.Errorf("doctor: %s: %s (%s)", f.Table, f.Problem, f.Severity)
				}
			}
			want := map[string][2]int{ // alive, deleted
				"customers": {6, 2}, "products": {8, 2}, "orders": {7, 3},
				"order_items": {11, 4}, "reviews": {8, 3},
			}
			for tbl, w := range want {
				var alive, deleted int
				q := fmt.Sprintf("SELECT COUNT(*) - COUNT(deleted_at), COUNT(deleted_at) FROM %s", tbl)
				if err := db.SQL().QueryRowContext(ctx, q).Scan(&alive, &deleted); err != nil {
					t.Fatal(err)
				}
				if alive != w[0] || deleted != w[1] {
					t.Errorf("%s: %d alive, %d deleted; want %v", tbl, alive, deleted, w)
				}
			}
			ops, err := db.Operations(ctx, softdelete.OpFilter{Trash: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(ops) != 8 {
				t.Fatalf("trash holds %d operations, want 8", len(ops))
			}
			var erasure *softdelete.Operation
			for _, op := range ops {
				if op.Actor == "" || op.Reason == "" {
					t.Errorf("operation %d without actor or reason", op.ID)
				}
				if op.Reason == demoshop.ErasureReason {
					erasure = &op
				}
			}
			if erasure == nil || erasure.Counts["orders"] != 1 || erasure.Counts["order_items"] != 2 {
				t.Fatalf("erasure operation: %+v", erasure)
			}
			var nulls int
			if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM reviews WHERE customer_id IS NULL AND deleted_at IS NULL").Scan(&nulls); err != nil || nulls != 2 {
				t.Fatalf("reviews whose customer was erased (SET NULL): %d %v", nulls, err)
			}

			plan, err := db.PlanDelete(ctx, "orders", demoshop.OrderWithItems)
			if err != nil || !plan.Allowed() || plan.Counts["order_items"] != demoshop.OrderItemCount {
				t.Fatalf("plan for order %d: %+v %v", demoshop.OrderWithItems, plan, err)
			}
			plan, err = db.PlanDelete(ctx, "products", demoshop.BlockedProduct)
			if err != nil || plan.Allowed() || plan.Blockers["order_items"] != 2 {
				t.Fatalf("plan for product %d: %+v %v", demoshop.BlockedProduct, plan, err)
			}
			var ce *softdelete.ConflictError
			_, err = db.Restore(ctx, "customers", demoshop.ConflictCustomer)
			if !errors.As(err, &ce) || fmt.Sprint(ce.Columns) != "[email]" || fmt.Sprint(ce.LiveKey) != fmt.Sprint([]any{demoshop.ConflictHolder}) {
				t.Fatalf("restore of customer %d: %v (%+v)", demoshop.ConflictCustomer, err, ce)
			}
			if _, err = db.Restore(ctx, "orders", demoshop.OrphanedOrder); !errors.Is(err, softdelete.ErrParentDeleted) {
				t.Fatalf("restore of order %d: %v", demoshop.OrphanedOrder, err)
			}
			if _, err := db.Undo(ctx, erasure.ID); err != nil {
				t.Fatalf("undo of the erasure: %v", err)
			}
			if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM reviews WHERE customer_id IS NULL AND deleted_at IS NULL").Scan(&nulls); err != nil || nulls != 0 {
				t.Fatalf("reviews without a customer after the undo: %d %v", nulls, err)
			}
			if _, err = db.Restore(ctx, "orders", demoshop.OrphanedOrder); err != nil {
				t.Fatalf("restore of order %d once its customer is back: %v", demoshop.OrphanedOrder, err)
			}
			if _, err := db.SQL().ExecContext(ctx, "INSERT INTO customers (name, email, created_at) VALUES ('New', 'new@example.com', CURRENT_TIMESTAMP)"); err != nil {
				t.Fatalf("insert after the seed's explicit keys: %v", err)
			}
		})
	}
}

func TestDDLUnknownDialect(t *testing.T) {
	if _, err := demoshop.DDL("oracle"); err == nil {
		t.Fatal("no error for an unknown dialect")
	}
}
