package admin

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/softdelete-go/softdelete"
)

// Delete: the confirmation page lists what the delete hides per table,
// from PlanDelete; the delete redirects with a message and an Undo for its
// operation; the undo brings everything back.
func TestDeleteConfirmListsCascadeThenUndo(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		r := e.get("/t/orders/r/1/delete").status(200)
		r.has(`data-allowed="true"`, `id="confirm-delete"`, `name="reason"`)
		r.match(`<tr data-table="orders"><td>orders</td><td class="num count" data-count="1">`)
		r.match(`<tr data-table="order_items"><td>order_items</td><td class="num count" data-count="3">`)
		if !e.alive("orders", 1) {
			t.Fatal("the confirmation page deleted")
		}
		e.user = "carol"
		loc := e.post("/t/orders/r/1/delete", url.Values{"reason": {"duplicate order"}}).status(303).location("/t/orders/r/1/delete")
		if !strings.HasPrefix(loc, "/t/orders?op=") {
			t.Fatalf("redirect to %q", loc)
		}
		op := mustOp(t, loc)
		for _, id := range []int{1, 2, 3} {
			if e.alive("order_items", id) {
				t.Fatalf("order item %d still alive", id)
			}
		}
		page := e.get(loc).status(200)
		page.has(`id="flash"`, `data-op="`+op+`"`, "Deleted orders 1: 4 rows hidden (order_items 3, orders 1)", `id="undo-button"`, `action="../op/`+op+`/undo"`)
		page.lacks(`data-key="1"`) // the alive view no longer lists it
		// The operation records the user and the reason.
		o, err := e.db.Operation(context.Background(), atoi(t, op))
		if err != nil || o.Actor != "carol" || o.Reason != "duplicate order" {
			t.Fatalf("operation %+v, %v", o, err)
		}
		// The deleted view marks the row with its operation.
		e.get("/t/orders?deleted=only").status(200).match(`data-key="1" data-deleted="true" class="deleted">[\s\S]*?href="../trash/` + op + `"`)
		e.get("/t/orders/r/1").status(200).has(`id="row-deleted"`, `id="hidden-by-op"`, `href="../../../trash/`+op+`"`, "carol")
		// Undo, from the message; it comes back to the table page.
		back := page.match(`name="back" value="([^"]*)"`)[1]
		loc = e.post("/op/"+op+"/undo", url.Values{"back": {back}, "reason": {"oops"}}).status(303).location("/op/" + op + "/undo")
		if !strings.HasPrefix(loc, "/t/orders?op=") {
			t.Fatalf("undo redirect to %q", loc)
		}
		e.get(loc).status(200).has("Undid operation "+op+": 4 rows came back", `data-key="1"`)
		if !e.alive("orders", 1) || !e.alive("order_items", 3) {
			t.Fatal("undo did not bring the rows back")
		}
	})
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// RESTRICT: the confirmation page says what blocks the delete and links
// the referencing rows; the POST (a race past the page) is refused with
// the same message, never a 500.
func TestRestrictMessage(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		r := e.get("/t/products/r/1/delete").status(200)
		r.has(`data-kind="restricted"`, `data-allowed="false"`, `data-testid="blocker-link"`, `href="../../../../t/order_items?f.product_id=1"`, "4 live rows")
		r.lacks(`id="confirm-delete"`)
		r = e.post("/t/products/r/1/delete", url.Values{}).status(409)
		r.has(`data-kind="restricted"`, `href="../../../../t/order_items?f.product_id=1"`)
		if !e.alive("products", 1) {
			t.Fatal("a restricted delete deleted")
		}
		// The link shows exactly the blocking rows.
		e.get("/t/order_items?f.product_id=1").status(200).has(`data-key="1"`, `data-key="4"`)
		// Product 2 has no items: its review goes with it.
		e.get("/t/products/r/2/delete").status(200).has(`data-allowed="true"`).match(`data-table="reviews"><td>reviews</td><td class="num count" data-count="1">`)
	})
}

// Restore onto a taken alive-only unique value: the message names the key
// and links the live row that holds it.
func TestRestoreConflictMessage(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.post("/t/customers/r/2/delete", url.Values{}).status(303)
		e.exec(`INSERT INTO customers (id, name, email) VALUES (3, 'Bobby', 'bob@example.com')`)
		// The confirmation page answers with the refusal (a 200: the
		// page did its job), from PlanRestore.
		r := e.get("/t/customers/r/2/restore").status(200)
		r.has(`data-kind="conflict"`, "customers(email)", `id="conflict-live-row"`, `href="../../../../t/customers/r/3"`)
		r.lacks(`id="confirm-restore"`)
		r = e.post("/t/customers/r/2/restore", url.Values{}).status(409)
		r.has(`data-kind="conflict"`, "customers(email)", `href="../../../../t/customers/r/3"`, "Nothing was changed.")
		if e.alive("customers", 2) {
			t.Fatal("a conflicting restore restored")
		}
		// Once the live row gives the value up, the restore goes through.
		e.exec(`UPDATE customers SET email = 'bobby@example.com' WHERE id = 3`)
		// The plan: the customer and the order its delete hid.
		r = e.get("/t/customers/r/2/restore").status(200).has(`id="confirm-restore"`)
		r.match(`data-table="orders"><td>orders</td><td class="num count" data-count="1">`)
		r.match(`data-table="customers"><td>customers</td><td class="num count" data-count="1">`)
		r.lacks(`data-kind="conflict"`)
		loc := e.post("/t/customers/r/2/restore", url.Values{"reason": {"back"}}).status(303).location("/t/customers/r/2/restore")
		e.get(loc).status(200).has(`id="flash"`, "Restored customers 2", `id="row-alive"`)
	})
}

// Restore of a row whose parent is deleted: the message names the
// relation, offers "restore with parents" and says what that brings back.
func TestRestoreParentDeleted(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		// Item 4 deleted on its own, then its order (with nothing else).
		e.post("/t/order_items/r/4/delete", url.Values{}).status(303)
		e.post("/t/orders/r/2/delete", url.Values{}).status(303)
		r := e.get("/t/order_items/r/4/restore").status(200)
		r.has(`data-kind="parent-deleted"`, "order_items.order_id", `id="restore-with-parents-form"`, `name="with_parents" value="1"`, `data-testid="parent-link"`)
		r.lacks(`id="confirm-restore"`)
		r.match(`(?s)id="restore-with-parents".*data-table="orders"><td>orders</td><td class="num count" data-count="1">`)
		r.match(`(?s)id="restore-with-parents".*data-table="order_items"><td>order_items</td><td class="num count" data-count="1">`)
		e.post("/t/order_items/r/4/restore", url.Values{}).status(409).has(`data-kind="parent-deleted"`, `id="confirm-restore-with-parents"`)
		if e.alive("order_items", 4) {
			t.Fatal("restored under a deleted parent")
		}
		e.get("/t/order_items/r/4").status(200).has(`data-table="orders" data-columns="order_id" data-deleted="true"`, `href="../../../t/orders/r/2"`)
		// Confirmation pages of actions that do not apply say so (200).
		e.get("/t/orders/r/2/delete").status(200).has(`data-kind="deleted"`).lacks(`id="confirm-delete"`)
		e.get("/t/orders/r/1/restore").status(200).has(`data-kind="not-deleted"`).lacks(`id="confirm-restore"`, `id="plan"`)
		e.post("/t/order_items/r/4/restore", url.Values{"with_parents": {"1"}}).status(303)
		if !e.alive("order_items", 4) || !e.alive("orders", 2) {
			t.Fatal("restore with parents did not restore both")
		}
	})
}

// Delete permanently: deleted rows only, with a confirmation page that
// says what the database's foreign keys do to the rows that refer to it;
// audited as an operation with the actor and the reason; the library's
// refusals are messages (200 on the confirmation page, 409 on the POST).
func TestDeletePermanently(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		// An alive row: no button, the page refuses, the POST too.
		e.get("/t/reviews/r/1").status(200).lacks(`id="purge-link"`)
		e.get("/t/reviews/r/1/purge").status(200).has(`data-kind="not-deleted"`).lacks(`id="confirm-purge"`)
		e.post("/t/reviews/r/1/purge", url.Values{"reason": {"spam"}}).status(409).has(`data-kind="not-deleted"`, "Nothing was changed.")
		if !e.alive("reviews", 1) {
			t.Fatal("an alive row was deleted permanently")
		}
		e.post("/t/reviews/r/1/delete", url.Values{}).status(303)
		e.get("/t/reviews/r/1").status(200).has(`id="purge-link"`)
		e.get("/t/reviews/r/1/purge").status(200).has(`id="confirm-purge"`, `name="reason"`).lacks(`id="purge-refs"`)
		if !e.exists("reviews", 1) {
			t.Fatal("the confirmation page deleted")
		}
		e.user = "mallory-cleaner"
		loc := e.post("/t/reviews/r/1/purge", url.Values{"reason": {"spam"}}).status(303).location("/t/reviews/r/1/purge")
		op := mustOp(t, loc)
		e.get(loc).status(200).has("Deleted permanently reviews 1")
		e.get("/t/reviews/r/1").status(404)
		if e.exists("reviews", 1) {
			t.Fatal("the row is still there")
		}
		// Audited: the operation, its actor and reason.
		o, err := e.db.Operation(context.Background(), atoi(t, op))
		if err != nil || o.Kind != softdelete.OpHardDelete || o.Actor != "mallory-cleaner" || o.Reason != "spam" || o.Table != "reviews" {
			t.Fatalf("operation %+v, %v", o, err)
		}
		e.get("/audit?kind="+softdelete.OpHardDelete).status(200).has(`data-op="`+op+`"`, "mallory-cleaner", "spam")
		e.user = "alice"

		// A customer: its deleted order goes with it (CASCADE, the
		// database's), its review is cleared (SET NULL); the page says so.
		e.post("/t/customers/r/1/delete", url.Values{}).status(303)
		r := e.get("/t/customers/r/1/purge").status(200).has(`id="confirm-purge"`, `id="purge-refs"`)
		r.has(`data-table="orders" data-rule="CASCADE"`)

		// A product still referenced by (deleted) items through a
		// RESTRICT key: the page says what blocks it, with the rows
		// linked (alive or deleted), and the POST is refused alike.
		e.post("/t/orders/r/2/delete", url.Values{}).status(303)
		e.exec(`UPDATE products SET deleted_at = CURRENT_TIMESTAMP WHERE id = 1`)
		r = e.get("/t/products/r/1/purge").status(200)
		r.has(`data-kind="restricted"`, `data-testid="blocker-link"`, `order_items?deleted=all&amp;f.product_id=1`, "4 rows").lacks(`id="confirm-purge"`, "live rows")
		e.post("/t/products/r/1/purge", url.Values{}).status(409).has(`data-kind="restricted"`, `order_items?deleted=all&amp;f.product_id=1`, "Nothing was changed.")
		if !e.exists("products", 1) {
			t.Fatal("a restricted row was deleted permanently")
		}
		// Bulk: one row refused, one done.
		e.post("/t/products/r/2/delete", url.Values{}).status(303)
		e.post("/t/products/bulk", url.Values{"action": {"purge"}, "all": {"1"}, "deleted": {"only"}}).status(200).
			has("1 of 2 done.", `data-kind="restricted"`)
		if e.exists("products", 2) || !e.exists("products", 1) {
			t.Fatal("bulk delete permanently")
		}
	})
}

func TestTrashAndAudit(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.user = "dave"
		op1 := mustOp(t, e.post("/t/orders/r/1/delete", url.Values{"reason": {"r1"}}).status(303).location("/x/y"))
		e.user = "erin"
		op2 := mustOp(t, e.post("/t/products/r/2/delete", url.Values{"reason": {"r2"}}).status(303).location("/x/y"))
		tr := e.get("/trash").status(200)
		tr.has(`data-op="`+op1+`"`, `data-op="`+op2+`"`, "dave", "erin", "r1", `data-testid="undo-`+op1+`"`)
		if strings.Index(tr.Body, `data-op="`+op2+`"`) > strings.Index(tr.Body, `data-op="`+op1+`"`) {
			t.Fatal("trash is not newest first")
		}
		tr.match(`data-table="order_items" data-count="3"`)
		// The operation's page lists the rows it still hides.
		e.get("/trash/"+op1).status(200).has(`data-table="order_items"`, `href="../t/order_items/r/1"`, `href="../t/order_items/r/3"`, `id="undo-button"`)
		// Restoring one item by hand: the operation hides one row less.
		e.post("/t/order_items/r/3/restore", url.Values{}).status(409) // its order is still deleted
		// Undo from the trash.
		loc := e.post("/op/"+op1+"/undo", url.Values{"back": {"trash"}}).status(303).location("/op/" + op1 + "/undo")
		if !strings.HasPrefix(loc, "/trash?op=") {
			t.Fatalf("undo redirect %q", loc)
		}
		e.get(loc).status(200).has(`id="flash"`).lacks(`data-op="` + op1 + `"`)
		// Undo twice: refused with a message.
		e.post("/op/"+op1+"/undo", url.Values{}).status(409)
		// Audit: everything, filtered.
		e.get("/audit").status(200).has(`data-kind="undo"`, `data-op="`+op1+`"`, `data-op="`+op2+`"`)
		e.get("/audit?actor=erin").status(200).has(`data-op="` + op2 + `"`).lacks(`data-op="` + op1 + `"`)
		e.get("/audit?table=orders").status(200).has(`data-op="` + op1 + `"`).lacks(`data-op="` + op2 + `"`)
		e.get("/audit?kind=undo").status(200).has(`data-kind="undo"`).lacks(`data-kind="delete"`)
		e.get("/audit?since=2999-01-01").status(200).has(`id="audit-empty"`)
		e.get("/audit?until=2000-01-01T00:00").status(200).has(`id="audit-empty"`)
		// Unsafe "back" targets fall back to the trash.
		op3 := mustOp(t, e.post("/t/orders/r/2/delete", url.Values{}).status(303).location("/x/y"))
		loc = e.post("/op/"+op3+"/undo", url.Values{"back": {"//evil.example/x"}}).status(303).H.Get("Location")
		if !strings.HasPrefix(loc, "../../trash?op=") {
			t.Fatalf("undo with a foreign back went to %q", loc)
		}
	})
}

// Bulk: a selection and "all matching", each re-evaluated on the server,
// reporting "X of Y done" and why each of the rest failed.
func TestBulkActions(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		// Selection: delete items 1, 2 and order 1's item 3... and a
		// missing key.
		e.get("/t/order_items/bulk?action=delete&key=1&key=2&key=99").status(200).has(`data-count="3"`, `id="confirm-bulk"`)
		r := e.post("/t/order_items/bulk", url.Values{"action": {"delete"}, "key": {"1", "2", "99"}, "reason": {"bulk"}}).status(200)
		r.has(`data-done="2" data-total="3"`, "2 of 3 done.", `data-kind="not-found"`)
		// All matching: restore every deleted item of order 1. Between the
		// confirmation and the POST one more item is deleted: the POST
		// acts on what matches then.
		c := e.get("/t/order_items/bulk?action=restore&all=1&deleted=only&f.order_id=1").status(200)
		c.has(`data-count="2"`, `name="f.order_id" value="1"`, `name="all" value="1"`)
		e.post("/t/order_items/r/3/delete", url.Values{}).status(303)
		r = e.post("/t/order_items/bulk", url.Values{"action": {"restore"}, "all": {"1"}, "deleted": {"only"}, "f.order_id": {"1"}}).status(200)
		r.has("3 of 3 done.")
		for _, id := range []int{1, 2, 3} {
			if !e.alive("order_items", id) {
				t.Fatalf("item %d not restored", id)
			}
		}
		// Failures say why: a restore under a deleted parent.
		e.post("/t/order_items/r/4/delete", url.Values{}).status(303)
		e.post("/t/orders/r/2/delete", url.Values{}).status(303)
		e.post("/t/order_items/bulk", url.Values{"action": {"restore"}, "key": {"4"}}).status(200).has("0 of 1 done.", `data-kind="parent-deleted"`)
		e.post("/t/order_items/bulk", url.Values{"action": {"restore"}, "key": {"4"}, "with_parents": {"1"}}).status(200).has("1 of 1 done.")
		// Delete all alive products: one is restricted.
		r = e.post("/t/products/bulk", url.Values{"action": {"delete"}, "all": {"1"}}).status(200)
		r.has("1 of 2 done.", `data-kind="restricted"`)
	})
}

func TestBulkLimit(t *testing.T) {
	e := newEnv(t, "sqlite")
	h, err := New(e.db, Options{Authenticate: func(*http.Request) (User, bool) { return User{Name: "x"}, true }, Permissions: AllowAll, MaxBulk: 2,
		Logger: slog.New(&failOnError{t: t})})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	e.post("/t/order_items/bulk", url.Values{"action": {"delete"}, "key": {"1", "2", "3"}}).status(400).has("at most 2")
	e.get("/t/order_items/bulk?action=delete&all=1").status(200).has(`data-kind="too-many"`).lacks(`id="confirm-bulk"`)
	e.post("/t/order_items/bulk", url.Values{"action": {"delete"}, "all": {"1"}}).status(400).has("at most 2")
	e.post("/t/order_items/bulk", url.Values{"action": {"delete"}, "all": {"1"}, "f.order_id": {"1"}, "f.qty": {"1"}}).status(200).has("1 of 1 done.")
	if !e.alive("order_items", 2) || e.alive("order_items", 1) {
		t.Fatal("bulk limit")
	}
}
