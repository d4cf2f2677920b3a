package admin

import (
	"net/url"
	"testing"
)

// Every table, column, sort and filter name is checked against the schema:
// an unknown one, or one carrying SQL, is a 400 that says what is wrong,
// and nothing of it reaches the database.
func TestUnknownNamesAre400(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		inj := "id; DROP TABLE orders --"
		cases := []struct{ path, says string }{
			{"/t/orders?sort=nope", `no column`},
			{"/t/orders?sort=" + url.QueryEscape(inj), `no column`},
			{"/t/orders?sort=" + url.QueryEscape("-id desc, (select 1)"), `no column`},
			{"/t/orders?sort=" + url.QueryEscape("1"), `no column`},
			{"/t/orders?f.nope=1", `no column`},
			{"/t/orders?f." + url.QueryEscape("id OR 1=1") + "=1", `no column`},
			{"/t/orders?f." + url.QueryEscape(inj) + "=1", `no column`},
			{"/t/orders?deleted=maybe", `deleted=`},
			{"/t/orders?deleted=" + url.QueryEscape("1 OR 1=1"), `deleted=`},
			{"/t/nope", `no table`},
			{"/t/" + url.PathEscape("orders; DROP TABLE orders"), `no table`},
			{"/t/" + url.PathEscape("orders\" --"), `no table`},
			{"/t/nope/r/1", `no table`},
			{"/t/nope/r/1/delete", `no table`},
			{"/t/orders/r/" + url.PathEscape("1 OR 1=1"), `integer column`},
			{"/t/orders/r/1,2", `primary key`},
			{"/t/orders/bulk?action=drop&key=1", `action=`},
			{"/t/orders/bulk?action=delete&key=" + url.QueryEscape("1;DROP"), `integer column`},
			{"/t/orders/bulk?action=delete&all=1&f.nope=1", `no column`},
			{"/t/orders/bulk?action=delete&all=1&sort=" + url.QueryEscape(inj), `no column`},
			{"/audit?table=nope", `no table`},
			{"/audit?table=" + url.QueryEscape(inj), `no table`},
			{"/audit?kind=" + url.QueryEscape("delete' OR '1'='1"), `kind=`},
			{"/audit?since=yesterday", `since=`},
			{"/trash?table=nope", `no table`},
			{"/trash/abc", `not an operation`},
			{"/trash?before=-1", `before=`},
			{"/t/orders?after=" + url.QueryEscape("not a cursor"), ``},
		}
		for _, c := range cases {
			e.log.reset()
			r := e.get(c.path)
			if r.Code != 400 {
				t.Errorf("GET %s: %d, want 400\n%s", c.path, r.Code, excerpt(r.Body))
				continue
			}
			r.has(`data-kind="bad-request"`)
			if c.says != "" {
				r.has(c.says)
			}
			for _, bad := range []string{"DROP", "OR 1=1", "(select", "nope"} {
				if q := e.log.containing(bad); len(q) > 0 {
					t.Errorf("GET %s: %q reached SQL: %q", c.path, bad, q)
				}
			}
		}
		// POSTs check the same way.
		for _, c := range []struct {
			path string
			form url.Values
		}{
			{"/t/nope/r/1/delete", url.Values{}},
			{"/t/orders/bulk", url.Values{"action": {"delete"}, "all": {"1"}, "f.nope": {"1"}}},
			{"/t/orders/bulk", url.Values{"action": {"delete"}, "all": {"1"}, "f.id OR 1=1": {"1"}}},
			{"/t/orders/bulk", url.Values{"action": {"delete"}}},
		} {
			e.log.reset()
			e.post(c.path, c.form).status(400)
			if q := e.log.containing("nope"); len(q) > 0 {
				t.Errorf("POST %s: reached SQL: %q", c.path, q)
			}
		}
		if !e.alive("orders", 1) || !e.alive("orders", 2) {
			t.Fatal("a refused request deleted")
		}
	})
}
