package admin

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/softdelete-go/softdelete"
	"github.com/softdelete-go/softdelete/internal/testdb"
)

// The admin on schemas we did not design: each public sample database
// (Chinook on the three dialects, Pagila, Sakila), adopted, with rows
// deleted by the library (cascades) and hidden by another tool, is crawled
// by following every link of every page (GET only) across every shape of
// page: overview, table pages in each order and scope, searches, row pages,
// the delete, restore and permanent-delete confirmations, trash, audit.
// No page may fail (5xx, or an error logged), and a crawl of GETs changes
// nothing in the database.
func TestSampleDBCrawl(t *testing.T) {
	for _, s := range testdb.Samples {
		t.Run(s.Name+"/"+s.Dialect, func(t *testing.T) {
			t.Parallel()
			crawlSample(t, s.Name, s.Dialect)
		})
	}
}

func crawlSample(t *testing.T, sample, dialect string) {
	ctx := context.Background()
	u := testdb.LoadSample(t, sample, dialect)
	db, err := softdelete.Open(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := db.Adopt(ctx, softdelete.AdoptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyMigration(ctx, m, false); err != nil {
		t.Fatal(err)
	}
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := db.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := func(id string) string { return quoteIdent(dialect, id) }
	// Deletes through the library (whatever the foreign keys allow:
	// cascades, refusals), then rows hidden by another tool.
	deleted := 0
	for _, ti := range s.Tables {
		if !ti.SoftDelete() || len(ti.PrimaryKey) != 1 {
			continue
		}
		var key any
		if err := db.SQL().QueryRowContext(ctx, "SELECT MAX("+q(ti.PrimaryKey[0])+") FROM "+q(ti.Name)).Scan(&key); err != nil || key == nil {
			continue
		}
		if _, err := db.Delete(ctx, ti.Name, key); err == nil {
			deleted++
		}
		if c, _ := ti.Column(ti.PrimaryKey[0]); c.Kind == softdelete.KindInteger && ti.PartOf == "" {
			if _, err := db.SQL().ExecContext(ctx, "UPDATE "+q(ti.Name)+" SET "+q(ti.DeletedColumn)+
				" = CURRENT_TIMESTAMP WHERE "+q(ti.DeletedColumn)+" IS NULL AND "+q(ti.PrimaryKey[0])+" % 7 = 0"); err != nil {
				t.Fatalf("hiding rows of %s: %v", ti.Name, err)
			}
		}
	}
	if deleted == 0 {
		t.Fatal("no delete went through")
	}
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, log: &stmtLog{}, user: "alice", perms: AllowAll}
	h, err := New(db, Options{
		Authenticate: func(r *http.Request) (User, bool) {
			u := r.Header.Get("X-Test-User")
			return User{Name: u}, u != ""
		},
		Permissions: AllowAll,
		Logger:      slog.New(&failOnError{t: t}),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h

	before := counts(t, db, s, q)
	type item struct{ target, shape string }
	var queue []item
	queued := map[string]bool{}
	push := func(target string) {
		if !queued[target] {
			queued[target] = true
			queue = append(queue, item{target, shape(target)})
		}
	}
	push("/")
	push("/trash")
	push("/audit")
	for _, ti := range s.Tables {
		for _, v := range []string{"?deleted=only", "?q=a", "?q=%27+OR+1%3D1--&match=contains"} {
			push("/t/" + url.PathEscape(ti.Name) + v)
		}
	}
	shapes := map[string]int{}
	var seenTargets []string
	href := regexp.MustCompile(`href="([^"]+)"`)
	pages, byCode := 0, map[int]int{}
	for len(queue) > 0 && pages < 800 {
		// A page of a shape not seen yet goes first (every kind of page
		// is reached before the crawl spends its budget on variants).
		next := 0
		for i, c := range queue {
			if shapes[c.shape] == 0 {
				next = i
				break
			}
		}
		it := queue[next]
		queue = append(queue[:next], queue[next+1:]...)
		if shapes[it.shape] >= 3 {
			continue
		}
		shapes[it.shape]++
		pages++
		target := it.target
		seenTargets = append(seenTargets, target)
		r := e.get(target)
		byCode[r.Code]++
		if r.Code >= 500 || (r.Code != 200 && r.Code != 303 && r.Code != 302) {
			t.Errorf("GET %s: %d\n%s", target, r.Code, excerpt(r.Body))
			continue
		}
		if r.Code != 200 {
			continue
		}
		for _, m := range href.FindAllStringSubmatch(r.Body, -1) {
			link := html.UnescapeString(m[1])
			base, _ := url.Parse(target)
			lu, err := base.Parse(link)
			if err != nil {
				t.Errorf("page %s links to %q: %v", target, link, err)
				continue
			}
			if lu.Scheme != "" || lu.Host != "" || strings.Contains(lu.Path, "/static/") || strings.Contains(lu.Path, "logout") {
				continue
			}
			lu.Fragment = ""
			push(lu.RequestURI())
		}
	}
	t.Logf("%s/%s: %d pages crawled, %d shapes, status %v", sample, dialect, pages, len(shapes), byCode)

	// Hostile input in every place a URL carries it: each query value of
	// the pages crawled (orders, scopes, filters, cursors, search modes),
	// the sort and a filter on every column of the table, and the table and
	// key in the path.
	// A clear refusal (400, 404) or a page, never a failure.
	hostile := []string{"' OR '1'='1", "1; DROP TABLE x", "\x00", "%00", "%", "_", "\\", "-1", "99999999999999999999999",
		"1e309", "NaN", "true", "", " ", "é", "<script>alert(1)</script>", "../../etc/passwd", "$1", "?", "NULL", "0x41",
		"eyJ0IjoieCJ9", strings.Repeat("A", 5000), "\xff\xfe", "2024-13-45", "{1,2}", "*", "id DESC", "(SELECT 1)"}
	mutated := map[int]int{}
	tried := 0
	visited := slices.Sorted(slices.Values(seenTargets))
	for i, target := range visited {
		if i%20 != 0 {
			continue // a twentieth of the pages, of many kinds
		}
		tu, err := url.Parse(target)
		if err != nil {
			continue
		}
		var variants []string
		for k := range tu.Query() {
			for _, h := range hostile {
				v := tu.Query()
				v.Set(k, h)
				variants = append(variants, tu.Path+"?"+v.Encode())
			}
		}
		if strings.HasPrefix(tu.Path, "/t/") {
			parts := strings.Split(tu.Path, "/")
			for _, h := range hostile[:12] {
				for j := 1; j < len(parts); j++ {
					if parts[j-1] == "t" || parts[j-1] == "r" {
						p := slices.Clone(parts)
						p[j] = url.PathEscape(h)
						variants = append(variants, strings.Join(p, "/"))
					}
				}
				v := tu.Query()
				v.Set("sort", h)
				variants = append(variants, tu.Path+"?"+v.Encode())
			}
			if ti := s.Table(parts[2]); ti != nil {
				for _, c := range ti.Columns {
					for _, h := range hostile[:4] {
						v := tu.Query()
						v.Set("f."+c.Name, h)
						variants = append(variants, tu.Path+"?"+v.Encode())
					}
				}
			}
		}
		for _, v := range variants {
			tried++
			r := e.get(v)
			mutated[r.Code]++
			if r.Code != 200 && r.Code != 400 && r.Code != 404 {
				t.Errorf("GET %s: %d\n%s", v, r.Code, excerpt(r.Body))
			}
		}
	}
	t.Logf("%s/%s: %d hostile URLs, status %v", sample, dialect, tried, mutated)
	if pages < 50 {
		t.Errorf("only %d pages reached", pages)
	}
	for _, want := range []string{"/r/*/delete", "/r/*/restore", "/r/*/purge", "/trash", "/audit"} {
		if !slices.ContainsFunc(keys(shapes), func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("the crawl never reached a page like %s", want)
		}
	}
	if after := counts(t, db, s, q); !maps.Equal(before, after) {
		t.Fatalf("GETs changed the data: before %v, after %v", before, after)
	}

	// Then the actions: the first alive row of each table is deleted
	// through the admin (a refusal is a 409 page, never a failure), and
	// each delete is undone from its flash: the data comes back exactly.
	dataKey := regexp.MustCompile(`href="([^"]*/r/[^"/?]+)"`)
	undoURL := regexp.MustCompile(`action="([^"]*op/(\d+)/undo)"`)
	done, refused, undoRefused := 0, 0, 0
	for _, ti := range s.Tables {
		if !ti.SoftDelete() {
			continue
		}
		page := "/t/" + url.PathEscape(ti.Name)
		r := e.get(page).status(200)
		// The first of the page's rows (at most 10) that its foreign
		// keys let go.
		var row string
		var d *resp
		tried := map[string]bool{}
		for _, m := range dataKey.FindAllStringSubmatch(r.Body, -1) {
			base, _ := url.Parse(page)
			ru, _ := base.Parse(html.UnescapeString(m[1]))
			row = ru.EscapedPath()
			if tried[row] || len(tried) == 10 {
				continue
			}
			tried[row] = true
			d = e.do(http.MethodPost, row+"/delete", url.Values{"reason": {"crawl"}})
			if d.Code != 409 {
				break
			}
			refused++
		}
		if d == nil || d.Code == 409 {
			continue
		}
		if d.Code != 303 {
			t.Errorf("POST %s/delete: %d\n%s", row, d.Code, excerpt(d.Body))
			continue
		}
		flash := e.get(d.location(row + "/delete")).status(200)
		um := undoURL.FindStringSubmatch(flash.Body)
		if um == nil {
			t.Errorf("no undo after deleting %s\n%s", row, excerpt(flash.Body))
			continue
		}
		mid := counts(t, db, s, q)
		u := e.post("/op/"+um[2]+"/undo", url.Values{"back": {"trash"}})
		if u.Code == 409 && strings.Contains(u.Body, `data-kind="parent-deleted"`) {
			// The delete hid a row whose other parent the other tool hid:
			// bringing it back would make a live row point at a deleted
			// parent, so the undo is refused, and changes nothing.
			if after := counts(t, db, s, q); !maps.Equal(mid, after) {
				t.Fatalf("refused undo of %s changed the data: before %v, after %v", row, mid, after)
			}
			undoRefused++
			before = mid
			continue
		}
		u.status(303)
		if after := counts(t, db, s, q); !maps.Equal(before, after) {
			t.Fatalf("delete and undo of %s through the admin: before %v, after %v", row, before, after)
		}
		done++
	}
	t.Logf("%s/%s: %d deletes undone, %d refused (409), %d undos refused (a parent hidden by the other tool)", sample, dialect, done, refused, undoRefused)
	if done == 0 {
		t.Error("no delete went through the admin")
	}
}

// shape is a page's kind: its path with keys replaced by * and its query's
// names and values, without cursors, searches and flash ids.
func shape(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	parts := strings.Split(u.EscapedPath(), "/")
	for i := range parts {
		if i > 0 && parts[i-1] == "r" {
			parts[i] = "*"
		}
	}
	qv := u.Query()
	for _, k := range []string{"after", "q", "p", "flash", "op", "before"} {
		qv.Del(k)
	}
	return strings.Join(parts, "/") + "?" + qv.Encode()
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func counts(t *testing.T, db *softdelete.DB, s *softdelete.Schema, q func(string) string) map[string]string {
	out := map[string]string{}
	for _, ti := range s.Tables {
		var n, d int64
		expr := "0"
		if ti.SoftDelete() {
			expr = "COUNT(" + q(ti.DeletedColumn) + ")"
		}
		if err := db.SQL().QueryRow("SELECT COUNT(*), "+expr+" FROM "+q(ti.Name)).Scan(&n, &d); err != nil {
			t.Fatal(err)
		}
		out[ti.Name] = fmt.Sprint(n, "/", d)
	}
	return out
}

func quoteIdent(dialect, id string) string {
	if dialect == "mysql" {
		return "`" + strings.ReplaceAll(id, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
}
