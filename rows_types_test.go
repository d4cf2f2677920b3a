package softdelete

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Keyset pages in the order of columns of every type a user may click:
// single-precision floats (the value read back, bound again, must not
// compare after itself), decimals, dates, times of day, booleans, binary,
// text with case and accents under the database's default collation,
// MariaDB ENUM, SET, YEAR and BIT, each with duplicates and NULLs, in both
// directions and page sizes 1 to 3: every row exactly once.
func TestRowsKeysetColumnTypes(t *testing.T) {
	ddls := map[string]string{
		"sqlite": `CREATE TABLE odd (id INTEGER PRIMARY KEY, f REAL, d NUMERIC(10,2), dt DATE, tm TIME, b BOOLEAN,
			bin BLOB, txt TEXT, ci TEXT COLLATE NOCASE, deleted_at DATETIME)`,
		"postgres": `CREATE TABLE odd (id BIGINT PRIMARY KEY, f REAL, d NUMERIC(10,2), dt DATE, tm TIME, b BOOLEAN,
			bin BYTEA, txt TEXT, ci VARCHAR(20), iv INTERVAL, u UUID, ip INET, arr INT[], tarr TEXT[], n NUMERIC,
			ts TIMESTAMP, mood mood, deleted_at TIMESTAMPTZ)`,
		"mysql": `CREATE TABLE odd (id BIGINT PRIMARY KEY, f FLOAT, d DECIMAL(10,2), dt DATE, tm TIME, b BOOLEAN,
			bin VARBINARY(20), txt VARCHAR(20), ci VARCHAR(20) COLLATE utf8mb4_bin, e ENUM('z','a','m'),
			s SET('z','a','m'), y YEAR, bt BIT(3), dbl DOUBLE, deleted_at DATETIME(6))`,
	}
	floats := []string{"0.1", "0.1", "0.2", "0.3", "1.1", "-0.7", "3.4e+38", "1e-30", "NULL"}
	texts := []string{"'a'", "'A'", "'b'", "'é'", "'E'", "'e'", "''", "' '", "NULL"}
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if db.Dialect() == "postgres" {
			exec(t, db, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
		}
		exec(t, db, ddls[db.Dialect()])
		for i := range 27 {
			cols := "id, f, d, dt, tm, b, bin, txt, ci"
			vals := fmt.Sprintf("%d, %s, %s, %s, %s, %s, %s, %s, %s", i+1,
				floats[i%len(floats)],
				[]string{"1.10", "1.1", "2.00", "-3.50", "NULL"}[i%5],
				[]string{"'2024-02-29'", "'1999-12-31'", "'2024-02-29'", "NULL"}[i%4],
				[]string{"'12:00:00'", "'00:00:01'", "'23:59:59'", "'12:00:00'", "NULL"}[i%5],
				[]string{"TRUE", "FALSE", "NULL"}[i%3],
				map[string][]string{
					"sqlite":   {"x'00'", "x'ff'", "x''", "x'0000'", "NULL"},
					"postgres": {"'\\x00'::bytea", "'\\xff'::bytea", "''::bytea", "'\\x0000'::bytea", "NULL"},
					"mysql":    {"x'00'", "x'ff'", "x''", "x'0000'", "NULL"},
				}[db.Dialect()][i%5],
				texts[i%len(texts)], texts[(i+3)%len(texts)])
			switch db.Dialect() {
			case "postgres":
				cols += ", iv, u, ip, arr, tarr, n, ts, mood"
				vals += fmt.Sprintf(", %s, %s, %s, %s, %s, %s, %s, %s", []string{"'1 day'", "'24 hours'", "'-1 sec'", "NULL"}[i%4],
					[]string{"'00000000-0000-0000-0000-000000000001'", "'ffffffff-0000-0000-0000-000000000000'", "NULL"}[i%3],
					[]string{"'10.0.0.1'", "'::1'", "'10.0.0.0/8'", "NULL"}[i%4],
					[]string{"'{1,2}'", "'{}'", "'{NULL}'", "'{1,NULL}'", "NULL", "'{1,2}'"}[i%6],
					[]string{"'{a,b}'", "'{}'", "'{\"\"}'", "'{NULL,a}'", "NULL"}[i%5],
					[]string{"'NaN'", "1.5", "'NaN'", "-2", "NULL", "1.50"}[i%6],
					[]string{"'infinity'", "'-infinity'", "'2024-01-01 00:00:00.000001'", "NULL", "'infinity'"}[i%5],
					[]string{"'happy'", "'sad'", "'ok'", "NULL"}[i%4])
				if i%5 == 1 {
					vals = strings.Replace(vals, fmt.Sprintf("%d, %s", i+1, floats[i%len(floats)]), fmt.Sprintf("%d, %s", i+1, []string{"'NaN'", "'Infinity'", "'-Infinity'"}[i%3]), 1)
				}
			case "mysql":
				cols += ", e, s, y, bt, dbl"
				vals += fmt.Sprintf(", %s, %s, %s, %s, %s", []string{"'z'", "'a'", "'m'", "NULL", "'a'"}[i%5],
					[]string{"'z,a'", "'a'", "'m'", "''", "NULL", "'z'"}[i%6],
					[]string{"2024", "1901", "NULL", "2155"}[i%4], []string{"b'101'", "b'000'", "b'111'", "NULL"}[i%4],
					floats[(i+2)%len(floats)])
			}
			if db.Dialect() == "mysql" && i%7 == 3 {
				vals = fmt.Sprintf("%d, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL", i+1)
			}
			exec(t, db, "INSERT INTO odd ("+cols+") VALUES ("+vals+")")
		}
		if db.Dialect() == "postgres" {
			var n int
			if err := db.SQL().QueryRow("SELECT COUNT(*) FROM odd WHERE f = 'NaN' OR f = 'Infinity' OR n = 'NaN' OR ts = 'infinity'").Scan(&n); err != nil || n < 5 {
				t.Fatalf("NaN and infinities: %d rows, %v", n, err)
			}
		}
		exec(t, db, "UPDATE odd SET deleted_at = CURRENT_TIMESTAMP WHERE id % 4 = 0")
		if err := db.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		s, err := db.Schema(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ti := s.Table("odd")
		for _, c := range ti.Columns {
			// Any search on any column: rows or ErrInvalid, never a
			// database error.
			for _, mode := range []SearchMode{SearchContains, SearchPrefix, SearchExact} {
				for _, term := range []string{"1", "a", "NaN", "2024-02-29", "12:00:00", "true", "-", "\\x00", "{1,2}", "é"} {
					rq := RowsQuery{Table: "odd", Scope: ScopeAll, Search: term, SearchMode: mode, SearchColumns: []string{c.Name}, Limit: 1000}
					if _, err := db.Rows(ctx, rq); err != nil && !errors.Is(err, ErrInvalid) {
						t.Errorf("search %s (%s) %v %q: %v", c.Name, c.Type, mode, term, err)
					}
				}
			}
			for _, desc := range []bool{false, true} {
				for _, sc := range []Scope{ScopeAll, ScopeAlive} {
					for _, size := range []int{1, 2, 3} {
						rq := RowsQuery{Table: "odd", Scope: sc, OrderBy: []RowOrder{{Column: c.Name, Desc: desc}}, Limit: size}
						seen, err := pageAll(ctx, db, ti, rq)
						if err != nil {
							t.Errorf("order by %s (%s) desc=%v %v size %d: %v", c.Name, c.Type, desc, sc, size, err)
							continue
						}
						want := map[Scope]int{ScopeAll: 27, ScopeAlive: 21}[sc]
						if len(seen) != want {
							t.Errorf("order by %s (%s) desc=%v %v size %d: %d rows paged, want %d", c.Name, c.Type, desc, sc, size, len(seen), want)
						}
					}
				}
			}
		}
	})
}
