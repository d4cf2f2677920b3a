package softdelete

// BenchmarkRows measures DB.Rows against the hand-written SQL a developer
// would send for the same page, on the 1,000,000-row items table of
// BenchmarkAliveIndex (90% soft-deleted, alive rows spread evenly: id n
// is alive when ((n-1)/1000 + (n-1)%1000) % 10 = 0; an index on grp), on
// every dialect:
//
//	first     alive rows, first page by primary key
//	deep      alive rows, the page after id 900,000 (keyset cursor)
//	deleted   only deleted rows, first page
//	grp-desc  alive rows ordered by grp DESC, second page (keyset on grp, id)
//	search    alive rows whose name contains "item 99999" (no index can serve
//	          a substring search: a scan in both)
//	counts    TableCounts(items, 100000): the catalog estimate
//
// Each sub-benchmark alternates Rows and the hand-written query (scanned
// into []any, as generic code must) and reports the median of each
// (rows-us, raw-us) and their ratio (rows/raw-x); ns/op is one pair.
// With -v it prints the exact statements Rows sent and their plans.
//
//	go test -run '^$' -bench BenchmarkRows -benchtime 300x -timeout 30m -v .
//
// TestRowsPlansUseIndexes checks the plans on a smaller table in every run.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func BenchmarkRows(b *testing.B) {
	for _, dialect := range allDialects {
		b.Run(dialect, func(b *testing.B) { benchRowsReader(b, dialect) })
	}
}

const rowsBenchCols = "id, grp, name, price, created_at, updated_at, deleted_at"

func benchRowsReader(b *testing.B, dialect string) {
	var h aliveBenchHook
	db := openTest(b, dialect, WithStatementHook(h.hook))
	ctx := context.Background()
	aliveBenchBuild(b, db)
	if dialect == "postgres" {
		// InnoDB and SQLite indexes end with the primary key already.
		ddl(b, db, "CREATE INDEX items_grp_id ON items (grp, id)")
		aliveBenchAnalyze(b, db, "items")
	}
	if err := db.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	ph := func(n int) string {
		if dialect == "postgres" {
			return fmt.Sprintf("$%d", n)
		}
		return "?"
	}
	// The cursors of the pages that start after id 900000 and after the
	// first grp-desc page.
	deep := rowsBenchCursor(b, db, RowsQuery{Table: "items", Filters: []RowFilter{{Column: "id", Value: 900000}}}, nil)
	grpDesc := RowsQuery{Table: "items", OrderBy: []RowOrder{{Column: "grp", Desc: true}}}
	first, err := db.Rows(ctx, grpDesc)
	if err != nil {
		b.Fatal(err)
	}
	last := first.Rows[len(first.Rows)-1]
	grpDesc.After = first.Next

	cases := []struct {
		name string
		q    RowsQuery
		raw  string
		args []any
	}{
		{"first", RowsQuery{Table: "items"},
			"SELECT " + rowsBenchCols + " FROM items WHERE deleted_at IS NULL ORDER BY id LIMIT 51", nil},
		{"deep", RowsQuery{Table: "items", After: deep},
			"SELECT " + rowsBenchCols + " FROM items WHERE deleted_at IS NULL AND id > " + ph(1) + " ORDER BY id LIMIT 51", []any{900000}},
		{"deleted", RowsQuery{Table: "items", Scope: ScopeDeleted},
			"SELECT " + rowsBenchCols + " FROM items WHERE deleted_at IS NOT NULL ORDER BY id LIMIT 51", nil},
		{"grp-desc", grpDesc,
			"SELECT " + rowsBenchCols + " FROM items WHERE deleted_at IS NULL AND grp <= " + ph(1) + " AND (grp < " + ph(2) + " OR (grp = " + ph(3) + " AND id < " + ph(4) + ")) ORDER BY grp DESC, id DESC LIMIT 51",
			[]any{last[1], last[1], last[1], last[0]}},
		{"search", RowsQuery{Table: "items", Search: "item 99999"},
			"SELECT " + rowsBenchCols + " FROM items WHERE deleted_at IS NULL AND name LIKE " + ph(1) + " ORDER BY id LIMIT 51", []any{"%item 99999%"}},
	}
	if dialect == "postgres" {
		cases[3].raw = "SELECT " + rowsBenchCols + " FROM items WHERE deleted_at IS NULL AND (grp, id) < ($1, $2) ORDER BY grp DESC, id DESC LIMIT 51"
		cases[3].args = []any{last[1], last[0]}
		cases[4].raw = strings.Replace(cases[4].raw, " LIKE ", " ILIKE ", 1)
	}
	for _, c := range cases {
		// Same rows both ways.
		p, err := db.Rows(ctx, c.q)
		if err != nil {
			b.Fatalf("%s: %v", c.name, err)
		}
		ids, err := rowsBenchRaw(ctx, db, c.raw, c.args)
		if err != nil {
			b.Fatalf("%s raw: %v", c.name, err)
		}
		var got []int64
		for _, r := range p.Rows {
			got = append(got, r[0].(int64))
		}
		if len(ids) > 50 {
			ids = ids[:50]
		}
		if !slices.Equal(got, ids) || len(got) == 0 {
			b.Fatalf("%s: Rows gave %v, hand-written SQL %v", c.name, got, ids)
		}
		q, args := h.capture(func() {
			if _, err := db.Rows(ctx, c.q); err != nil {
				b.Fatal(err)
			}
		})
		plan, err := aliveBenchExplain(ctx, db, q, args)
		if err != nil {
			b.Fatalf("explain %s: %v", c.name, err)
		}
		b.Logf("%s %s plan:\n%s", dialect, c.name, plan)
		b.Run(c.name, func(b *testing.B) {
			var ds [2][]time.Duration
			for i := 0; i < b.N; i++ {
				for k := 0; k < 2; k++ {
					which := (i + k) % 2
					start := time.Now()
					if which == 0 {
						if _, err := db.Rows(ctx, c.q); err != nil {
							b.Fatal(err)
						}
					} else if _, err := rowsBenchRaw(ctx, db, c.raw, c.args); err != nil {
						b.Fatal(err)
					}
					ds[which] = append(ds[which], time.Since(start))
				}
			}
			r, w := aliveBenchMedian(ds[0]), aliveBenchMedian(ds[1])
			b.ReportMetric(r/1e3, "rows-us")
			b.ReportMetric(w/1e3, "raw-us")
			b.ReportMetric(r/w, "rows/raw-x")
		})
	}
	aliveBenchAnalyze(b, db, "items")
	c, err := db.TableCounts(ctx, "items", 100000)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s TableCounts(items, 100000) = %+v", dialect, c)
	b.Run("counts", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := db.TableCounts(ctx, "items", 100000); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// rowsBenchCursor returns the Next cursor of the one-row page q selects,
// that is a cursor pointing just after that row for order (q's filters
// dropped).
func rowsBenchCursor(tb testing.TB, db *DB, q RowsQuery, order []RowOrder) string {
	tb.Helper()
	ctx := context.Background()
	p, err := db.Rows(ctx, RowsQuery{Table: q.Table, Scope: ScopeAll, Filters: q.Filters, OrderBy: order, Limit: 1})
	if err != nil || len(p.Rows) != 1 {
		tb.Fatal(p, err)
	}
	t, _ := db.cachedTable(ctx, q.Table)
	plan, err := db.rowsPlan(ctx, RowsQuery{Table: q.Table, OrderBy: order}, true)
	if err != nil {
		tb.Fatal(err)
	}
	vals := make([]any, len(plan.order))
	for i, o := range plan.order {
		vals[i] = p.Rows[0][o.col]
	}
	cur, err := encodeCursor(t.Name, plan.order, t, vals)
	if err != nil {
		tb.Fatal(err)
	}
	return cur
}

// rowsBenchRaw runs hand-written SQL and scans it as generic code must.
func rowsBenchRaw(ctx context.Context, db *DB, q string, args []any) ([]int64, error) {
	rows, err := db.SQL().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var ids []int64
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		switch v := vals[0].(type) {
		case int64:
			ids = append(ids, v)
		case []byte:
			var n int64
			fmt.Sscan(string(v), &n)
			ids = append(ids, n)
		}
	}
	return ids, rows.Err()
}

// TestRowsPlansUseIndexes: on a 20,000-row table with 90% of its rows
// soft-deleted, the statements Rows sends for pages in primary-key order
// (first page, a deep page) read the primary key index from where the
// page starts: no sequential scan, no sort (PostgreSQL), no filesort and
// the PRIMARY key (MariaDB), no temporary b-tree and a rowid range for
// the deep page (SQLite). Ordered by an indexed column, an index on
// (column, primary key) is used the same way, backwards for DESC.
func TestRowsPlansUseIndexes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, "CREATE TABLE items"+aliveBenchDDL)
		insertSeries(t, db, 20000, `INSERT INTO items (id, grp, name, price, created_at, updated_at, deleted_at)
SELECT %[1]s, %[1]s %% 100, 'item', 1, %[3]s, %[3]s, CASE WHEN %[1]s %% 10 = 0 THEN NULL ELSE %[3]s END %[2]s`)
		// InnoDB and SQLite indexes end with the primary key; PostgreSQL's
		// need it written, or pages by grp sort each group of equal grp.
		ddl(t, db, "CREATE INDEX items_grp ON items (grp, id)")
		aliveBenchAnalyze(t, db, "items")
		var h aliveBenchHook
		db.hook = h.hook
		deep := rowsBenchCursor(t, db, RowsQuery{Table: "items", Filters: []RowFilter{{Column: "id", Value: 15000}}}, nil)
		byGrp := []RowOrder{{Column: "grp", Desc: true}}
		deepGrp := rowsBenchCursor(t, db, RowsQuery{Table: "items", Filters: []RowFilter{{Column: "id", Value: 15050}}}, byGrp)
		for _, c := range []struct {
			name string
			q    RowsQuery
			pk   bool
		}{
			{"first", RowsQuery{Table: "items"}, true},
			{"deep", RowsQuery{Table: "items", After: deep}, true},
			{"deleted", RowsQuery{Table: "items", Scope: ScopeDeleted}, true},
			{"grp-desc", RowsQuery{Table: "items", OrderBy: byGrp}, false},
			{"grp-desc-deep", RowsQuery{Table: "items", OrderBy: byGrp, After: deepGrp}, false},
		} {
			sqlText, args := h.capture(func() {
				if _, err := db.Rows(ctx, c.q); err != nil {
					t.Fatal(err)
				}
			})
			plan, err := aliveBenchExplain(ctx, db, sqlText, args)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s:\n%s", c.name, plan)
			var bad []string
			switch db.Dialect() {
			case "postgres":
				for _, s := range []string{"Seq Scan", "Sort"} {
					if strings.Contains(plan, s) {
						bad = append(bad, s)
					}
				}
				if !strings.Contains(plan, "Index Scan") {
					bad = append(bad, "no index scan")
				}
			case "mysql":
				if strings.Contains(plan, "filesort") {
					bad = append(bad, "filesort")
				}
				if c.pk && !strings.Contains(plan, "PRIMARY") {
					bad = append(bad, "PRIMARY not used")
				}
				if !c.pk && !strings.Contains(plan, "items_grp") {
					bad = append(bad, "items_grp not used")
				}
			default:
				if strings.Contains(plan, "TEMP B-TREE") {
					bad = append(bad, "temp b-tree")
				}
				if c.name == "deep" && !strings.Contains(plan, "rowid>?") {
					bad = append(bad, "no rowid range")
				}
				if !c.pk && !strings.Contains(plan, "items_grp") {
					bad = append(bad, "items_grp not used")
				}
			}
			if len(bad) > 0 {
				t.Errorf("%s: plan has %v:\n%s", c.name, bad, plan)
			}
		}
	})
}

// insertSeries runs an INSERT ... SELECT over the numbers 1..n, written
// with %[1]s for the number, %[2]s for the FROM clause of the series
// (generate_series, MariaDB's Sequence engine, a recursive CTE on SQLite)
// and %[3]s for a timestamp literal (2024-01-01 UTC).
func insertSeries(t testing.TB, db *DB, n int, format string) {
	t.Helper()
	var src, num string
	switch db.Dialect() {
	case "postgres":
		src, num = fmt.Sprintf("FROM generate_series(1, %d) AS n", n), "n"
	case "mysql":
		src, num = fmt.Sprintf("FROM seq_1_to_%d", n), "seq"
	default:
		src, num = "FROM s", "n"
	}
	ts := "'2024-01-01 00:00:00'"
	if db.Dialect() == "postgres" {
		ts = "TIMESTAMPTZ '2024-01-01 00:00:00+00'"
	}
	q := fmt.Sprintf(format, num, src, ts)
	if db.Dialect() == "sqlite" {
		q = fmt.Sprintf("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %d)\n", n) + q
	}
	if _, err := db.SQL().ExecContext(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}
