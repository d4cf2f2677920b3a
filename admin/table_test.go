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

// The search box: starts with on the indexed text columns by default,
// equals and contains on request (kept in the URL), and the page says
// which columns it searched and how.
func TestTableSearchModes(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.exec(`CREATE INDEX customers_email ON customers (email)`,
			`INSERT INTO settings (k, v) VALUES ('th%me', 'light'), ('t_eme', 'x'), ('other', 'theme')`)
		if err := e.db.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		note := regexp.MustCompile(`data-testid="search-note">([^<]*)<`)
		noteOf := func(body string) string {
			m := note.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no search note:\n%.3000s", body)
			}
			return m[1]
		}
		keys := func(path string) ([]string, string) {
			r := e.get(path).status(200)
			return rowKeys(r.Body), r.Body
		}
		// settings: k is the primary key (indexed), v is not.
		got, body := keys("/t/settings?q=th")
		if strings.Join(got, ",") != "th%25me,theme" {
			t.Fatalf("prefix th: %v", got)
		}
		if n := noteOf(body); !strings.Contains(n, "Searched k for values starting with") || strings.Contains(n, " v ") {
			t.Fatalf("note %q", n)
		}
		if !strings.Contains(body, `<option value="prefix" selected>`) {
			t.Fatal("prefix not selected")
		}
		// Wildcards are literal.
		for q, want := range map[string]string{"th%": "th%25me", "t_": "t_eme", "%": "", "_": "", `\`: "", "'": ""} {
			if got, _ := keys("/t/settings?q=" + url.QueryEscape(q)); strings.Join(got, ",") != want {
				t.Errorf("prefix %q: %v, want %q", q, got, want)
			}
		}
		got, body = keys("/t/settings?q=theme&match=exact")
		if strings.Join(got, ",") != "theme" || !strings.Contains(noteOf(body), "equal to") {
			t.Fatalf("exact: %v %q", got, noteOf(body))
		}
		got, body = keys("/t/settings?q=HEM&match=contains")
		if strings.Join(got, ",") != "other,theme" || !strings.Contains(noteOf(body), "reads every row") ||
			!strings.Contains(body, `<option value="contains" selected>`) {
			t.Fatalf("contains: %v %q", got, noteOf(body))
		}
		e.get("/t/settings?q=x&match=regexp").status(400)
		e.get("/t/settings?q=x%00").status(400)
		// customers: email indexed, name not.
		got, body = keys("/t/customers?q=bob")
		if strings.Join(got, ",") != "2" || !strings.Contains(noteOf(body), "Searched email for values starting with") {
			t.Fatalf("customers: %v %q", got, noteOf(body))
		}
		// orders has no indexed text column: the search falls back to
		// contains, and says so.
		for i := 3; i <= 72; i++ {
			e.exec(fmt.Sprintf(`INSERT INTO orders (id, customer_id, note) VALUES (%d, %d, 'note %d')`, i, 1+i%2, i))
		}
		got, body = keys("/t/orders?q=NOTE")
		if len(got) != 50 || !strings.Contains(noteOf(body), "No indexed text column") {
			t.Fatalf("orders: %d rows, %q", len(got), noteOf(body))
		}
		// The match is kept by the next page, the scope links and the bulk form.
		_, body = keys("/t/orders?q=note&match=contains")
		if !strings.Contains(body, `match=contains`) || !regexp.MustCompile(`href="[^"]*after=[^"]*"`).MatchString(body) {
			t.Errorf("no next page link:\n%.4000s", body)
		}
		for _, want := range []string{`href="../t/orders?deleted=all&amp;match=contains&amp;q=note"`,
			`name="match" value="contains"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
	})
}
