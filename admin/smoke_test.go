package admin

import (
	"net/url"
	"testing"
)

func TestPagesRender(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.get("/").status(200).has(`data-page="overview"`, `data-table="orders"`, `data-table="settings"`)
		e.get("/t/orders").status(200).has(`id="rows"`, `data-key="1"`, `id="scope-only"`)
		e.get("/t/orders/r/1").status(200).has(`id="row-fields"`, `id="delete-link"`, `data-table="order_items"`)
		e.get("/t/orders/r/1/delete").status(200).has(`id="confirm-delete"`)
		r := e.post("/t/orders/r/1/delete", url.Values{"reason": {"test"}}).status(303)
		loc := r.location("/t/orders/r/1/delete")
		e.get(loc).status(200).has(`id="flash"`, `id="undo-button"`)
		e.get("/t/orders?deleted=only").status(200).has(`data-key="1"`, `hidden-by-op`)
		e.get("/trash").status(200).has(`data-testid="trash-op"`)
		e.get("/audit").status(200).has(`data-testid="audit-op"`)
		e.get("/t/orders/r/1/restore").status(200).has(`id="confirm-restore"`)
		e.get("/t/orders/bulk?action=restore&all=1&deleted=only").status(200).has(`id="confirm-bulk"`)
		e.get("/t/settings").status(200).has(`id="read-only"`)
		e.get("/t/settings/r/theme").status(200)
	})
}
