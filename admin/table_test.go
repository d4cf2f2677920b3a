package admin

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func rowKeys(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`data-testid="row" data-key="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// The table page: the three-state Deleted filter kept in every link,
// search, column filters, sort, and keyset pages that cover every row once.
func TestTablePage(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		for i := 3; i <= 72; i++ {
			e.exec(fmt.Sprintf(`INSERT INTO orders (id, customer_id, note) VALUES (%d, %d, 'note %d')`, i, 1+i%2, i))
		}
		e.post("/t/orders/r/2/delete", url.Values{}).status(303)
		e.post("/t/orders/r/9/delete", url.Values{}).status(303)

		// Pages: 50 + 20 alive rows, each once, in key order.
		p1 := e.get("/t/orders").status(200)
		keys := rowKeys(p1.Body)
		if len(keys) != 50 || keys[0] != "1" {
			t.Fatalf("first page: %v", keys)
		}
		next := strings.ReplaceAll(p1.match(`href="([^"]+)" id="next-page"`)[1], "&amp;", "&")
		p2 := e.get("/t/" + strings.TrimPrefix(next, "../t/")).status(200)
		keys2 := rowKeys(p2.Body)
		if len(keys2) != 20 || strings.Contains(p2.Body, `id="next-page"`) || !strings.Contains(p2.Body, `id="first-page"`) {
			t.Fatalf("second page: %v", keys2)
		}
		seen := map[string]bool{}
		for _, k := range append(keys, keys2...) {
			if seen[k] || k == "2" || k == "9" {
				t.Fatalf("row %s twice or deleted", k)
			}
			seen[k] = true
		}
		// Scopes.
		only := e.get("/t/orders?deleted=only").status(200)
		if got := rowKeys(only.Body); strings.Join(got, ",") != "2,9" {
			t.Fatalf("only deleted: %v", got)
		}
		only.has(`data-scope="only"`, `id="scope-only" data-testid="scope-only" class="active"`)
		all := e.get("/t/orders?deleted=all&sort=-id").status(200)
		// 72..23 on the first page, sorted by id descending.
		if got := rowKeys(all.Body); len(got) != 50 || got[0] != "72" || got[49] != "23" {
			t.Fatalf("all, -id: %v", got)
		}
		// The scope and sort are kept by the sort links, the scope links and the search form.
		all.has(`href="../t/orders?deleted=all&amp;sort=id"`, `href="../t/orders?sort=-id"`, `name="deleted" value="all"`, `name="sort" value="-id"`)
		// Search and filters, with the scope.
		s := e.get("/t/orders?q=" + url.QueryEscape("NOTE 1")).status(200)
		for _, k := range rowKeys(s.Body) {
			if !strings.HasPrefix(k, "1") {
				t.Fatalf("search 'NOTE 1' shows %s", k)
			}
		}
		// "note 1" (case-insensitive): orders 10..19 (and 1x: none else).
		if got := rowKeys(s.Body); len(got) != 10 {
			t.Fatalf("search: %v", got)
		}
		f := e.get("/t/orders?deleted=all&f.customer_id=1").status(200)
		for _, k := range rowKeys(f.Body) {
			var id int
			fmt.Sscan(k, &id)
			if id != 1 && id%2 != 0 {
				t.Fatalf("customer filter shows order %d", id)
			}
		}
		f.has(`name="f.customer_id" value="1"`, `id="clear-filters"`)
		e.get("/t/orders?deleted=all&f.customer_id=2&f.id=9").status(200).has(`data-key="9" data-deleted="true"`)
		// A table that is not soft-deletable has no Deleted filter and no actions.
		e.get("/t/settings").status(200).lacks(`id="deleted-filter"`, `id="bulk-bar"`).has(`data-key="theme"`)
		e.get("/t/settings?deleted=only").status(400)
	})
}
