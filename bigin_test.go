package softdelete

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestLargeInList: 100,000 keys in IN (?) work on every dialect for
// All, Count, Delete (bulk soft delete) and Restore, with integer and
// string keys (PostgreSQL caps a statement at 65535 parameters, SQLite
// at 32766).
func TestLargeInList(t *testing.T) {
	const nKeys = 100_000
	nRows := 20_000
	if os.Getenv("SOFTDELETE_ADVERSARIAL") == "full" {
		nRows = nKeys
	}
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, gadgetsDDL)
		gen := map[string]string{
			"sqlite":   "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM s WHERE n < %d) INSERT INTO gadgets (id, name, version, created_at, updated_at) SELECT n, 'n' || n, '', '2024-01-01', '2024-01-01' FROM s",
			"postgres": "INSERT INTO gadgets (id, name, version, created_at, updated_at) SELECT n, 'n' || n, '', now(), now() FROM generate_series(1, %d) n",
			"mysql":    "INSERT INTO gadgets (id, name, version, created_at, updated_at) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM s WHERE n < %d) SELECT n, CONCAT('n', n), '', NOW(), NOW() FROM s",
		}[db.Dialect()]
		conn, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if db.Dialect() == "mysql" {
			if _, err := conn.ExecContext(ctx, "SET SESSION max_recursive_iterations = 10000000"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(gen, nRows)); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		m := must[*Manager[Gadget]](t)(NewManager[Gadget](db, "gadgets"))
		ids := make([]int64, nKeys) // every other row, and keys past the end
		names := make([]string, nKeys)
		for i := range ids {
			ids[i] = int64(2*i + 1)
			names[i] = "n" + strconv.FormatInt(ids[i], 10)
		}
		half := int64(nRows / 2)
		start := time.Now()
		if n, err := m.Where("id IN (?)", ids).Count(ctx); err != nil || n != half {
			t.Fatalf("Count = %d, %v; want %d", n, err, half)
		}
		if n, err := m.Where("id NOT IN (?)", ids).Count(ctx); err != nil || n != int64(nRows)-half {
			t.Fatalf("NOT IN Count = %d, %v; want %d", n, err, int64(nRows)-half)
		}
		if n, err := m.Where("name IN (?)", names).Count(ctx); err != nil || n != half {
			t.Fatalf("Count by name = %d, %v; want %d", n, err, half)
		}
		if n, err := m.In("id", ids).Count(ctx); err != nil || n != half {
			t.Fatalf("In Count = %d, %v; want %d", n, err, half)
		}
		rows, err := m.Where("id IN (?)", ids).All(ctx)
		if err != nil || int64(len(rows)) != half {
			t.Fatalf("All = %d rows, %v; want %d", len(rows), err, half)
		}
		if n, err := m.Where("id IN (?)", ids).Delete(ctx); err != nil || n != half {
			t.Fatalf("Delete = %d, %v; want %d", n, err, half)
		}
		if n, err := m.Count(ctx); err != nil || n != int64(nRows)-half {
			t.Fatalf("alive after Delete = %d, %v", n, err)
		}
		if n, err := m.OnlyDeleted().Where("name IN (?)", names).Restore(ctx); err != nil || n != half {
			t.Fatalf("Restore = %d, %v; want %d", n, err, half)
		}
		if n, err := m.Count(ctx); err != nil || n != int64(nRows) {
			t.Fatalf("alive after Restore = %d, %v", n, err)
		}
		t.Logf("%s: %d keys over %d rows: count, all, delete, restore in %v", db.Dialect(), nKeys, nRows, time.Since(start).Round(time.Millisecond))
	})
}
