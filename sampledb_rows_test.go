package softdelete

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/softdelete-go/softdelete/internal/sqlscript"
)

// The admin's read API (DB.Rows: scopes, keyset pages in every column order,
// the three search modes; DB.TableCounts) on the public sample databases
// after adopt, with a third of the rows hidden by another tool: the schemas
// we did not design (composite keys, nullable and duplicated order columns,
// arrays, enums, tsvector, bytea, partitions, FULLTEXT) must page every row
// exactly once, find what they hold and count what is there.
func TestSampleDBRowsAPI(t *testing.T) {
	for _, c := range sqlscript.Samples {
		t.Run(c.Name+"/"+c.Dialect, func(t *testing.T) {
			t.Parallel()
			sampleRowsAPI(t, c.Name, c.Dialect)
		})
	}
}

func sampleRowsAPI(t *testing.T, sample, dialect string) {
	ctx := context.Background()
	u := loadSample(t, sample, dialect)
	db, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.Adopt(ctx, AdoptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyMigration(ctx, m, false); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := db.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := db.dialect.Quote
	count := func(query string) int64 {
		t.Helper()
		var v int64
		if err := db.SQL().QueryRowContext(ctx, query).Scan(&v); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return v
	}
	// Another tool hides every third row of each table with a one-column
	// integer key (its own timestamp format, no stamp, no log entry).
	for _, ti := range s.Tables {
		if !ti.SoftDelete() || len(ti.PrimaryKey) != 1 || ti.PartOf != "" {
			continue
		}
		if c, _ := ti.Column(ti.PrimaryKey[0]); c.Kind != KindInteger {
			continue
		}
		pk := q(ti.PrimaryKey[0])
		if _, err := db.SQL().ExecContext(ctx, "UPDATE "+q(ti.Name)+" SET "+q(ti.DeletedColumn)+
			" = CURRENT_TIMESTAMP WHERE "+pk+" % 3 = 0"); err != nil {
			t.Fatalf("hiding rows of %s: %v", ti.Name, err)
		}
	}
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	hostile := []string{"' OR '1'='1", "%", "_", "\\", "%' --", "a%b_c\\d", "\"; DROP TABLE x; --", "é", "🙂", "$1", "?", "NULL"}
	for _, ti := range s.Tables {
		if !ti.SoftDelete() && ti.PartOf == "" && len(ti.PrimaryKey) == 0 {
			continue // the admin does not page a table without a key
		}
		where := map[Scope]string{ScopeAll: "1=1", ScopeAlive: "1=1", ScopeDeleted: "1=0"}
		if ti.SoftDelete() {
			where[ScopeAlive] = q(ti.DeletedColumn) + " IS NULL"
			where[ScopeDeleted] = q(ti.DeletedColumn) + " IS NOT NULL"
		}
		truth := map[Scope]int64{}
		for sc, w := range where {
			truth[sc] = count("SELECT COUNT(*) FROM " + q(ti.Name) + " WHERE " + w)
		}

		// Counts: exact when asked, estimated within reason otherwise.
		exact, err := db.TableCounts(ctx, ti.Name, math.MaxInt64)
		if err != nil {
			t.Fatalf("TableCounts %s: %v", ti.Name, err)
		}
		if exact.Estimated || exact.Alive != truth[ScopeAlive] || exact.Deleted != truth[ScopeDeleted] {
			t.Errorf("TableCounts %s exact: %+v, want alive %d deleted %d", ti.Name, exact, truth[ScopeAlive], truth[ScopeDeleted])
		}
		est, err := db.TableCounts(ctx, ti.Name, -1)
		if err != nil {
			t.Fatalf("TableCounts %s estimated: %v", ti.Name, err)
		}
		if total := truth[ScopeAll]; total >= 1000 {
			got := est.Alive + est.Deleted
			if float64(got) < 0.7*float64(total) || float64(got) > 1.3*float64(total) {
				t.Errorf("TableCounts %s estimated: %+v, truth alive %d deleted %d", ti.Name, est, truth[ScopeAlive], truth[ScopeDeleted])
			}
		}

		// Every order a user can click: each row exactly once per scope.
		orders := [][]RowOrder{nil}
		for _, c := range ti.Columns {
			orders = append(orders, []RowOrder{{Column: c.Name}}, []RowOrder{{Column: c.Name, Desc: true}})
		}
		for _, sc := range []Scope{ScopeAlive, ScopeAll, ScopeDeleted} {
			for _, o := range orders {
				if sc != ScopeAll && len(o) > 0 && o[0].Desc {
					continue // both directions once is enough
				}
				rq := RowsQuery{Table: ti.Name, Scope: sc, OrderBy: o, Limit: pageFor(truth[sc])}
				seen, err := pageAll(ctx, db, ti, rq)
				if err != nil {
					t.Errorf("%s %v order %v: %v", ti.Name, sc, o, err)
					continue
				}
				if int64(len(seen)) != truth[sc] {
					t.Errorf("%s %v order %v: paged %d distinct rows, table has %d", ti.Name, sc, o, len(seen), truth[sc])
				}
			}
		}

		// Search: a value a row holds is found by each mode that can
		// search the column; hostile text is data and changes nothing.
		first, err := db.Rows(ctx, RowsQuery{Table: ti.Name, Scope: ScopeAll, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []SearchMode{SearchContains, SearchPrefix, SearchExact} {
			cols := ti.SearchColumns(mode)
			for _, col := range cols {
				ci := indexOf(first.Columns, col)
				var val string
				for _, r := range first.Rows {
					if v, ok := r[ci].(string); ok && v != "" && utf8.ValidString(v) && !strings.ContainsRune(v, 0) {
						val = v
						break
					}
				}
				if val == "" {
					continue
				}
				term := val
				switch mode {
				case SearchPrefix:
					term = string([]rune(val)[:min(3, utf8.RuneCountInString(val))])
				case SearchContains:
					r := []rune(val)
					term = string(r[len(r)/2 : min(len(r), len(r)/2+3)])
				}
				rq := RowsQuery{Table: ti.Name, Scope: ScopeAll, Search: term, SearchMode: mode, SearchColumns: []string{col}, Limit: 1000}
				seen, err := pageAll(ctx, db, ti, rq)
				if err != nil {
					t.Errorf("search %s.%s %v %q: %v", ti.Name, col, mode, term, err)
					continue
				}
				if len(seen) == 0 {
					t.Errorf("search %s.%s %v %q: no row, one holds %q", ti.Name, col, mode, term, val)
				}
			}
			for _, h := range hostile {
				rq := RowsQuery{Table: ti.Name, Scope: ScopeAll, Search: h, SearchMode: mode, Limit: 1000}
				if _, err := pageAll(ctx, db, ti, rq); err != nil && !errors.Is(err, ErrInvalid) {
					t.Errorf("search %s %v %q: %v", ti.Name, mode, h, err)
				}
			}
		}
		if got := count("SELECT COUNT(*) FROM " + q(ti.Name)); got != truth[ScopeAll] {
			t.Errorf("%s: %d rows after the searches, %d before", ti.Name, got, truth[ScopeAll])
		}
	}
}

// pageFor picks a page size that walks a table in about ten pages (at least
// 7 rows, to cross page boundaries on small tables).
func pageFor(n int64) int { return int(max(7, min(1000, n/10+1))) }

// pageAll follows RowsPage.Next to the end and returns the keys it saw,
// failing on a key seen twice.
func pageAll(ctx context.Context, db *DB, ti *TableInfo, rq RowsQuery) (map[string]bool, error) {
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		if pages > 10000 {
			return seen, fmt.Errorf("more than 10,000 pages: the cursor does not advance")
		}
		p, err := db.Rows(ctx, rq)
		if err != nil {
			return seen, err
		}
		key := make([]int, 0, len(ti.PrimaryKey))
		for _, k := range ti.PrimaryKey {
			key = append(key, indexOf(p.Columns, k))
		}
		for _, r := range p.Rows {
			var b strings.Builder
			if len(key) == 0 {
				fmt.Fprint(&b, r...)
			}
			for _, i := range key {
				fmt.Fprintf(&b, "%v\x00", r[i])
			}
			if seen[b.String()] {
				return seen, fmt.Errorf("row %q on two pages (page %d, after %q)", b.String(), pages, rq.After)
			}
			seen[b.String()] = true
		}
		if p.Next == "" {
			return seen, nil
		}
		rq.After = p.Next
	}
}

func indexOf(cols []string, c string) int {
	for i, x := range cols {
		if x == c {
			return i
		}
	}
	return -1
}
