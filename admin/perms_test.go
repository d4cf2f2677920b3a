package admin

import (
	"net/url"
	"testing"
)

// deny refuses one action on one table ("" = every table) and allows the
// rest.
func deny(table string, a Action) Permissions {
	return PermissionsFunc(func(_ User, t string, x Action) bool { return !(x == a && (table == "" || t == table)) })
}

func TestPermissionsPerTableAndAction(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		// Something deleted, as an allowed user.
		loc := e.post("/t/orders/r/2/delete", url.Values{}).status(303).location("/t/orders/r/2/delete")
		op := mustOp(t, loc)

		t.Run("delete", func(t *testing.T) {
			e.perms = deny("orders", ActionDelete)
			e.get("/t/orders/r/1").status(200).lacks(`id="delete-link"`)
			e.get("/t/orders").status(200).lacks(`data-testid="bulk-delete"`, `data-testid="bulk-all-delete"`)
			e.get("/t/orders/r/1/delete").status(403).has(`data-kind="forbidden"`)
			e.post("/t/orders/r/1/delete", url.Values{}).status(403)
			e.get("/t/orders/bulk?action=delete&key=1").status(403)
			e.post("/t/orders/bulk", url.Values{"action": {"delete"}, "key": {"1"}}).status(403)
			e.post("/t/orders/bulk", url.Values{"action": {"delete"}, "all": {"1"}}).status(403)
			if !e.alive("orders", 1) {
				t.Fatal("deleted without permission")
			}
			// Other tables are not affected.
			e.get("/t/customers/r/1").status(200).has(`id="delete-link"`)
		})
		t.Run("view-deleted", func(t *testing.T) {
			e.perms = deny("orders", ActionViewDeleted)
			e.get("/t/orders").status(200).lacks(`id="scope-only"`, `id="deleted-filter"`)
			e.get("/t/orders?deleted=only").status(403)
			e.get("/t/orders?deleted=all").status(403)
			e.get("/t/orders/r/2").status(403)
			e.get("/trash").status(200).lacks(`data-op="` + op + `"`)
			e.get("/t/customers/r/2").status(200).lacks(`t/orders?deleted=only`).has(`t/orders?f.customer_id=2`)
		})
		t.Run("restore", func(t *testing.T) {
			e.perms = deny("orders", ActionRestore)
			e.get("/t/orders/r/2").status(200).lacks(`id="restore-link"`).has(`id="purge-link"`)
			e.get("/t/orders?deleted=only").status(200).lacks(`data-testid="bulk-restore"`, `data-testid="bulk-all-restore"`).has(`data-testid="bulk-purge"`)
			e.get("/t/orders/r/2/restore").status(403)
			e.post("/t/orders/r/2/restore", url.Values{}).status(403)
			e.post("/t/orders/bulk", url.Values{"action": {"restore"}, "key": {"2"}}).status(403)
			if e.alive("orders", 2) {
				t.Fatal("restored without permission")
			}
		})
		t.Run("delete-permanently", func(t *testing.T) {
			e.perms = deny("orders", ActionDeletePermanently)
			e.get("/t/orders/r/2").status(200).lacks(`id="purge-link"`).has(`id="restore-link"`)
			e.get("/t/orders?deleted=only").status(200).lacks(`data-testid="bulk-purge"`, `data-testid="bulk-all-purge"`)
			e.get("/t/orders/r/2/purge").status(403)
			e.post("/t/orders/r/2/purge", url.Values{}).status(403)
			e.post("/t/orders/bulk", url.Values{"action": {"purge"}, "key": {"2"}}).status(403)
			e.post("/t/orders/bulk", url.Values{"action": {"purge"}, "all": {"1"}, "deleted": {"only"}}).status(403)
			if !e.exists("orders", 2) {
				t.Fatal("deleted permanently without permission")
			}
			// Other tables are not affected.
			e.get("/t/customers/r/1").status(200).lacks(`id="purge-link"`) // alive: no button either
		})
		t.Run("undo", func(t *testing.T) {
			e.perms = deny("orders", ActionUndo)
			e.get("/trash").status(200).has(`data-op="` + op + `"`).lacks(`data-testid="undo-` + op + `"`)
			e.get("/trash/" + op).status(200).lacks(`id="undo-button"`)
			e.get(loc).status(200).has(`id="flash"`).lacks(`id="undo-button"`)
			e.post("/op/"+op+"/undo", url.Values{}).status(403)
			if e.alive("orders", 2) {
				t.Fatal("undone without permission")
			}
		})
		t.Run("view", func(t *testing.T) {
			e.perms = deny("orders", ActionView)
			e.get("/").status(200).lacks(`data-table="orders"`).has(`data-table="customers"`)
			e.get("/t/orders").status(403)
			e.get("/t/orders/r/1").status(403)
			e.get("/t/orders/bulk?action=delete&key=1").status(403)
			e.get("/audit").status(200).lacks(`data-op="` + op + `"`)
			e.get("/trash/" + op).status(403)
			// The parent row's page does not count or link the hidden table.
			e.get("/t/customers/r/1").status(200).lacks(`data-table="orders"`)
		})
		t.Run("read-only", func(t *testing.T) {
			e.perms = ReadOnly
			e.get("/t/orders?deleted=all").status(200).lacks(`id="bulk-bar"`, `id="bulk-all-form"`)
			e.get("/t/orders/r/1").status(200).lacks(`id="delete-link"`, `id="restore-link"`, `id="purge-link"`)
			e.get("/trash").status(200).lacks(`class="undo-button"`)
		})
		// Back to everything: the undo goes through.
		e.perms = AllowAll
		e.post("/op/"+op+"/undo", url.Values{}).status(303)
		if !e.alive("orders", 2) {
			t.Fatal("undo did not restore")
		}
	})
}
