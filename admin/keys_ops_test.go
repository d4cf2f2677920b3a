package admin

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Rows whose primary key is an empty string, or a composite key with empty
// or odd parts, are addressed by their URLs on every page: table links,
// the row page, delete, the operation that hid it, the trash's link back,
// restore.
func TestEmptyAndCompositeKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ddl(t, e.db, `CREATE TABLE ekeys (k {text} NOT NULL PRIMARY KEY, v {text} NULL, deleted_at {ts} NULL)`,
			`CREATE TABLE ckeys (a {text} NOT NULL, b {big} NOT NULL, v {text} NULL, deleted_at {ts} NULL, PRIMARY KEY (a, b))`)
		keys := []string{"", ",", "%00", "%", "a,b", ".", "%2C", "é", "a%2Cb"}
		for i, k := range keys {
			e.exec(fmt.Sprintf(`INSERT INTO ekeys (k, v) VALUES ('%s', 'value %d')`, k, i),
				fmt.Sprintf(`INSERT INTO ckeys (a, b, v) VALUES ('%s', 0, 'pair %d.0'), ('%s', 1, 'pair %d.1')`, k, i, k, i))
		}
		if err := e.db.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		href := func(rel string) string { return `href="../` + strings.ReplaceAll(rel, "&", "&amp;") + `"` }
		ep := e.get("/t/ekeys").status(200)
		cp := e.get("/t/ckeys").status(200)
		seen := map[string]bool{}
		for i, k := range keys {
			rel := rowRel("ekeys", []any{k}, "")
			if seen[rel] {
				t.Fatalf("two keys have the URL %s", rel)
			}
			seen[rel] = true
			ep.has(href(rel))
			e.get("/" + rel).status(200).has(fmt.Sprintf("value %d", i))
			for b := 0; b < 2; b++ {
				rel := rowRel("ckeys", []any{k, int64(b)}, "")
				if seen[rel] {
					t.Fatalf("two keys have the URL %s", rel)
				}
				seen[rel] = true
				cp.has(href(rel))
				e.get("/" + rel).status(200).has(fmt.Sprintf("pair %d.%d", i, b))
			}
		}
		// Delete, find the operation, restore: the empty key and a
		// composite key with an empty part.
		for _, c := range []struct {
			table string
			key   []any
		}{{"ekeys", []any{""}}, {"ckeys", []any{"", int64(1)}}, {"ckeys", []any{",", int64(0)}}} {
			row := "/" + rowRel(c.table, c.key, "")
			loc := e.post("/"+rowRel(c.table, c.key, "/delete"), nil).status(303).H.Get("Location")
			m := regexp.MustCompile(`op=(\d+)`).FindStringSubmatch(loc)
			if m == nil {
				t.Fatalf("delete %v: redirected to %q", c.key, loc)
			}
			op := m[1]
			e.get(row).status(200).has(`id="row-deleted"`, `id="hidden-by-op"`, `trash/`+op+`"`)
			e.get("/t/" + c.table + "?deleted=only").status(200).has(`href="../trash/` + op + `"`)
			e.get("/trash/" + op).status(200).has(href(rowRel(c.table, c.key, "")))
			e.post("/"+rowRel(c.table, c.key, "/restore"), nil).status(303)
			e.get(row).status(200).has(`id="row-alive"`)
		}
		// The other rows were not touched.
		if n := strings.Count(e.get("/t/ckeys?deleted=only").status(200).Body, `data-testid="row"`); n != 0 {
			t.Fatalf("%d deleted rows left", n)
		}
	})
}

// The trash page of a large delete pages its rows by key (a cursor in the
// "More" link, no OFFSET), every row once.
func TestTrashPagesByKey(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		var vals []string
		for i := 100; i < 100+2*opKeysPage+17; i++ {
			vals = append(vals, fmt.Sprintf("(%d, 1, 'bulk %d')", i, i))
		}
		e.exec(`INSERT INTO orders (id, customer_id, note) VALUES ` + strings.Join(vals, ", "))
		loc := e.post("/t/customers/r/1/delete", nil).status(303).H.Get("Location")
		op := regexp.MustCompile(`op=(\d+)`).FindStringSubmatch(loc)[1]
		e.log.reset()
		next := "/trash/" + op + "?t=orders"
		var got []string
		for pages := 0; next != "" && pages < 10; pages++ {
			r := e.get(next).status(200)
			for _, m := range regexp.MustCompile(`href="../t/orders/r/(\d+)"`).FindAllStringSubmatch(r.Body, -1) {
				got = append(got, m[1])
			}
			next = ""
			if m := regexp.MustCompile(`href="../(trash/[^"]*)" class="next-keys"`).FindStringSubmatch(r.Body); m != nil {
				next = "/" + strings.ReplaceAll(m[1], "&amp;", "&")
				if !strings.Contains(next, "after=") {
					t.Fatalf("next link %s", next)
				}
				u, _ := url.Parse(next)
				if u.Query().Get("p") != "" {
					t.Fatalf("next link pages by number: %s", next)
				}
			}
		}
		if len(got) != 2*opKeysPage+17+1 { // and order 1 of customer 1
			t.Fatalf("%d rows over the pages", len(got))
		}
		dup := map[string]bool{}
		for _, k := range got {
			if dup[k] {
				t.Fatalf("row %s twice", k)
			}
			dup[k] = true
		}
		if s := e.log.containing("OFFSET"); len(s) > 0 {
			t.Fatalf("OFFSET: %q", s)
		}
	})
}

// The table and row pages name the operation that hid a row from the row's
// stamp, whenever the operation was logged: the pages used to look for
// deletes logged within 30 s after the stamps (an operation whose log
// entry is dated otherwise, e.g. by a clock that differs from the
// database's, was shown as no operation).
func TestHidingOperationByStamp(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		loc := e.post("/t/orders/r/1/delete", nil).status(303).H.Get("Location")
		op := regexp.MustCompile(`op=(\d+)`).FindStringSubmatch(loc)[1]
		e.exec(`UPDATE softdelete_operations SET created_at = ` + map[string]string{
			"sqlite":   "strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+2 hours')",
			"postgres": "created_at + interval '2 hours'", "mysql": "created_at + INTERVAL 2 HOUR"}[e.db.Dialect()] + ` WHERE id = ` + op)
		e.get("/t/orders?deleted=only").status(200).has(`href="../trash/` + op + `"`)
		e.get("/t/orders/r/1").status(200).has(`id="hidden-by-op"`, `href="../../../trash/`+op+`"`)
		e.get("/t/order_items?deleted=only").status(200).has(`href="../trash/` + op + `"`)
		// A row hidden outside softdelete has no operation.
		e.exec(`UPDATE orders SET deleted_at = ` + map[string]string{"sqlite": "'2020-01-01 00:00:00'",
			"postgres": "'2020-01-01 00:00:00+00'", "mysql": "'2020-01-01 00:00:00'"}[e.db.Dialect()] + ` WHERE id = 2`)
		e.get("/t/orders/r/2").status(200).has(`id="row-deleted"`, "no logged operation has this stamp").lacks(`id="hidden-by-op"`)
	})
}
