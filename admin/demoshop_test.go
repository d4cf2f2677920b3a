package admin

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/softdelete-go/softdelete"
	"github.com/softdelete-go/softdelete/internal/demoshop"
)

// The demo shop (what `softdelete demo` serves and the browser tests walk)
// through the admin's HTTP interface: every page of every table and row
// renders without a server error, and each scenario of the browser tests
// shows what they look for.
func TestDemoShop(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			e := &env{t: t, log: &stmtLog{}, user: "tester", perms: AllowAll}
			e.db = openTest(t, d)
			if err := demoshop.Create(context.Background(), e.db); err != nil {
				t.Fatal(err)
			}
			h, err := New(e.db, Options{Authenticate: func(r *http.Request) (User, bool) { return User{Name: "tester"}, true },
				Permissions: AllowAll, Logger: slog.New(&failOnError{t: t})})
			if err != nil {
				t.Fatal(err)
			}
			e.h = h
			e.get("/").status(200).has(`data-table="order_items"`)
			for _, tbl := range demoshop.Tables {
				for _, scope := range []string{"alive", "all", "only"} {
					r := e.get("/t/" + tbl + "?deleted=" + scope).status(200)
					r.lacks("softdelete_alive") // softdelete's own helper column is not shown
					for _, k := range rowKeys(r.Body) {
						e.get("/t/" + tbl + "/r/" + k).status(200)
					}
				}
			}
			e.get("/trash").status(200).has(demoshop.ErasureReason, demoshop.SpamActor)
			e.get("/audit").status(200)

			// Delete an order: its items go with it.
			e.get(fmt.Sprintf("/t/orders/r/%d/delete", demoshop.OrderWithItems)).status(200).
				has(fmt.Sprintf(`data-table="order_items"><td>order_items</td><td class="num count" data-count="%d">`, demoshop.OrderItemCount))
			// The blocked product.
			e.get(fmt.Sprintf("/t/products/r/%d/delete", demoshop.BlockedProduct)).status(200).
				has(`data-kind="restricted"`, `data-testid="blocker-link"`).lacks(`id="confirm-delete"`)
			// The conflict.
			e.post(fmt.Sprintf("/t/customers/r/%d/restore", demoshop.ConflictCustomer), url.Values{}).status(409).
				has(`data-kind="conflict"`, fmt.Sprintf(`t/customers/r/%d"`, demoshop.ConflictHolder))
			// The orphaned order needs its parent.
			e.post(fmt.Sprintf("/t/orders/r/%d/restore", demoshop.OrphanedOrder), url.Values{}).status(409).
				has(`data-kind="parent-deleted"`, `id="restore-with-parents-form"`)
			// The XSS review renders inert.
			r := e.get(fmt.Sprintf("/t/reviews/r/%d", demoshop.XSSReview)).status(200)
			if strings.Contains(r.Body, "<img src=x") || strings.Contains(r.Body, "<script>alert") {
				t.Fatal("the XSS review is live markup")
			}
			// Bulk restore of every deleted review.
			c := e.get("/t/reviews/bulk?action=restore&all=1&deleted=only").status(200)
			c.has(fmt.Sprintf(`data-count="%d"`, demoshop.SpamReviews))
			e.post("/t/reviews/bulk", url.Values{"action": {"restore"}, "all": {"1"}, "deleted": {"only"}}).status(200).
				has(fmt.Sprintf("%d of %d done.", demoshop.SpamReviews, demoshop.SpamReviews))
			// Undo the erasure from the trash.
			ops, err := e.db.Operations(context.Background(), softdelete.OpFilter{Actor: demoshop.ErasureActor, Trash: true})
			if err != nil {
				t.Fatal(err)
			}
			var op int64
			for _, o := range ops {
				if o.Reason == demoshop.ErasureReason {
					op = o.ID
				}
			}
			e.get("/trash").status(200).has(fmt.Sprintf(`data-testid="undo-%d"`, op))
			e.post(fmt.Sprintf("/op/%d/undo", op), url.Values{"back": {"trash"}}).status(303)
			if !e.alive("customers", demoshop.ErasedCustomer) {
				t.Fatal("undo of the erasure")
			}
		})
	}
}
