package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/softdelete-go/softdelete"
	"github.com/softdelete-go/softdelete/admin"
	"github.com/softdelete-go/softdelete/internal/testdb"
)

// BenchmarkAdminPages measures the server time of the admin's pages on
// large tables: SOFTDELETE_BENCH_TABLES tables (default 20) of
// SOFTDELETE_BENCH_ROWS rows (default 1,000,000), 90 % of them deleted, on
// each dialect. The handler is called directly (no network, no browser).
// See docs/admin-benchmarks.md for the command and the figures.
func BenchmarkAdminPages(b *testing.B) {
	rows := envInt(b, "SOFTDELETE_BENCH_ROWS", 1_000_000)
	tables := envInt(b, "SOFTDELETE_BENCH_TABLES", 20)
	for _, d := range testdb.Dialects {
		b.Run(d, func(b *testing.B) {
			ctx := context.Background()
			db := testdb.Open(b, d)
			start := time.Now()
			if err := bigTables(ctx, db, tables, rows); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %d tables of %d rows (90%% deleted) loaded in %s", d, tables, rows, time.Since(start).Round(time.Second))
			h, err := admin.New(db, admin.Options{
				Authenticate: func(*http.Request) (admin.User, bool) { return admin.User{Name: "bench"}, true },
				Permissions:  admin.AllowAll,
			})
			if err != nil {
				b.Fatal(err)
			}
			// A cursor half-way through the alive rows, as the "next page"
			// links give it.
			var deep string
			for range rows / 10 / 2 / 1000 {
				page, err := db.Rows(ctx, softdelete.RowsQuery{Table: "events_01", Limit: 1000, After: deep})
				if err != nil {
					b.Fatal(err)
				}
				deep = page.Next
			}
			probe := fmt.Sprintf("user%d@example.com", rows/2/10*10) // an alive row in the middle
			for _, p := range []struct{ name, path string }{
				{"first-page", "/t/events_01"},
				{"deep-page", "/t/events_01?after=" + url.QueryEscape(deep)},
				{"only-deleted", "/t/events_01?deleted=only"},
				{"filter-indexed-email", "/t/events_01?f.email=" + url.QueryEscape(probe)},
				// The search box: starts with (the default: the indexed text
				// columns, email here), equals, and contains (every text
				// column, no index can serve it).
				{"search-prefix", "/t/events_01?q=" + url.QueryEscape(probe)},
				{"search-prefix-short", "/t/events_01?q=" + url.QueryEscape(probe[:len(probe)-len("0@example.com")])},
				{"search-prefix-broad", "/t/events_01?q=user"}, // every row matches
				{"search-exact", "/t/events_01?match=exact&q=" + url.QueryEscape(probe)},
				{"search-contains", "/t/events_01?match=contains&q=" + url.QueryEscape(probe)},
				{"row", "/t/events_01/r/" + strconv.Itoa(rows/2)},
				{fmt.Sprintf("overview-%d-tables", tables), "/"},
			} {
				b.Run(p.name, func(b *testing.B) {
					get := func() *httptest.ResponseRecorder {
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, httptest.NewRequest("GET", p.path, nil))
						return rec
					}
					first := time.Now()
					rec := get()
					firstView := time.Since(first)
					if rec.Code != 200 || strings.Contains(rec.Body.String(), `id="no-rows"`) && p.name != "only-deleted" && !strings.HasPrefix(p.name, "overview") && p.name != "row" {
						b.Fatalf("GET %s: %d\n%.2000s", p.path, rec.Code, rec.Body.String())
					}
					if rec := get(); testing.Verbose() {
						b.Logf("GET %s: %d, %d bytes, %d rows", p.path, rec.Code, rec.Body.Len(), strings.Count(rec.Body.String(), `data-testid="row"`))
						if strings.HasPrefix(p.name, "overview") {
							// What the page says against the truth (rows/10 alive).
							counts := regexp.MustCompile(`data-table="(events_\d+)" data-testid="table-row" data-estimated="(\w+)">[\s\S]*?alive-count" data-count="(\d+)"[\s\S]*?deleted-count" data-count="(\d+)"`).FindAllStringSubmatch(rec.Body.String(), -1)
							for _, c := range counts {
								b.Logf("%s: estimated %s, alive %s, deleted %s (exact %d / %d)", c[1], c[2], c[3], c[4], rows/10, rows-rows/10)
							}
						}
					}
					b.ResetTimer()
					for b.Loop() {
						get()
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
					// The first view, before the database's caches hold what
					// the page reads (as cold as the load left them).
					b.ReportMetric(float64(firstView.Microseconds())/1000, "ms/first-view")
				})
			}
		})
	}
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// bigTables creates events_01 .. events_NN, each with rows rows; 9 of 10
// are deleted (each with its own stamp, as if deleted one by one).
// account_id and email are indexed.
func bigTables(ctx context.Context, db *softdelete.DB, tables, rows int) error {
	var create, fill string
	switch db.Dialect() {
	case "sqlite":
		create = `CREATE TABLE %s (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, email TEXT NOT NULL, note TEXT, deleted_at DATETIME)`
		fill = `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
INSERT INTO %s (id, account_id, email, note, deleted_at)
SELECT i, i %% 5000, 'user' || i || '@example.com', 'note ' || i,
  CASE WHEN i %% 10 = 0 THEN NULL ELSE strftime('%%Y-%%m-%%d %%H:%%M:%%f', '2026-01-01', '+' || i || ' seconds') END FROM c`
	case "postgres":
		create = `CREATE TABLE %s (id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL, email TEXT NOT NULL, note TEXT, deleted_at TIMESTAMPTZ)`
		fill = `INSERT INTO %[2]s (id, account_id, email, note, deleted_at)
SELECT i, i %% 5000, 'user' || i || '@example.com', 'note ' || i,
  CASE WHEN i %% 10 = 0 THEN NULL ELSE timestamptz '2026-01-01 00:00:00+00' + i * interval '1 millisecond' END
FROM generate_series(1, %[1]d) AS i`
	default:
		create = `CREATE TABLE %s (id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL, email VARCHAR(191) NOT NULL, note VARCHAR(191), deleted_at DATETIME(6))`
		fill = `INSERT INTO %[2]s (id, account_id, email, note, deleted_at)
SELECT seq, seq %% 5000, CONCAT('user', seq, '@example.com'), CONCAT('note ', seq),
  IF(seq %% 10 = 0, NULL, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq * 1000 MICROSECOND)
FROM seq_1_to_%[1]d`
	}
	exec := func(q string) error {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%.200s: %w", q, err)
		}
		return nil
	}
	for i := 1; i <= tables; i++ {
		name := fmt.Sprintf("events_%02d", i)
		if err := exec(fmt.Sprintf(create, name)); err != nil {
			return err
		}
		if i == 1 {
			if err := exec(fmt.Sprintf(fill, rows, name)); err != nil {
				return err
			}
		} else if err := exec("INSERT INTO " + name + " SELECT * FROM events_01"); err != nil {
			return err
		}
		for _, col := range []string{"account_id", "email"} {
			if err := exec(fmt.Sprintf("CREATE INDEX %s_%s ON %s (%s)", name, col, name, col)); err != nil {
				return err
			}
		}
	}
	switch db.Dialect() {
	case "sqlite":
		if err := exec("ANALYZE"); err != nil {
			return err
		}
	case "postgres":
		if err := exec("ANALYZE"); err != nil {
			return err
		}
	default:
		for i := 1; i <= tables; i++ {
			if err := exec(fmt.Sprintf("ANALYZE TABLE events_%02d", i)); err != nil {
				return err
			}
		}
	}
	return db.Refresh(ctx)
}
