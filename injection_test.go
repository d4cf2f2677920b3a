package softdelete

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// Gadget has a column named version, so that @@version would read a
// MariaDB server variable if the guard let '@' through.
type Gadget struct {
	Model
	Name    string
	Version string
}

const gadgetsDDL = `CREATE TABLE gadgets (id {id}, name {text} NOT NULL, version {text} NOT NULL DEFAULT '',
 created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL)`

// stmtLog records the statements sent through WithStatementHook.
type stmtLog struct {
	mu    sync.Mutex
	stmts []string
	args  [][]any
}

func (l *stmtLog) hook(_ context.Context, q string, args []any) error {
	l.mu.Lock()
	l.stmts = append(l.stmts, q)
	l.args = append(l.args, append([]any(nil), args...))
	l.mu.Unlock()
	return nil
}

func (l *stmtLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stmts
	l.stmts, l.args = nil, nil
	return s
}

// gadgets opens a database with 3 alive and 2 soft-deleted gadgets.
func gadgets(t *testing.T, dialect string, n int) (*DB, *Manager[Gadget], *stmtLog) {
	t.Helper()
	log := &stmtLog{}
	db := openTest(t, dialect, WithStatementHook(log.hook))
	ddl(t, db, gadgetsDDL)
	m, err := NewManager[Gadget](db, "gadgets")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < n; i++ {
		g := &Gadget{Name: fmt.Sprintf("g%d", i), Version: "10.1"}
		if err := m.Create(ctx, g); err != nil {
			t.Fatal(err)
		}
		if i >= n-2 {
			if err := m.Delete(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
	}
	log.take()
	return db, m, log
}

// nthID is the id of the n-th gadget (from 0) in id order.
func nthID(t testing.TB, db *DB, n int) int64 {
	t.Helper()
	var id int64
	if err := db.SQL().QueryRow(fmt.Sprintf("SELECT id FROM gadgets ORDER BY id LIMIT 1 OFFSET %d", n)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func aliveDeleted(t *testing.T, db *DB) (alive, deleted int64) {
	t.Helper()
	row := db.SQL().QueryRow("SELECT COUNT(*) - COUNT(deleted_at), COUNT(deleted_at) FROM gadgets")
	if err := row.Scan(&alive, &deleted); err != nil {
		t.Fatal(err)
	}
	return alive, deleted
}

// TestWhereCannotEscapeItsScope: the payloads of issue 8 are refused
// with ErrInvalid before anything is sent, and change nothing.
func TestWhereCannotEscapeItsScope(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db, m, log := gadgets(t, d, 5)
			ctx := context.Background()
			calls := []struct {
				name string
				run  func(expr string) error
			}{
				{"OnlyDeleted.Delete", func(e string) error { _, err := m.OnlyDeleted().Where(e).Delete(ctx); return err }},
				{"All", func(e string) error { _, err := m.Where(e).All(ctx); return err }},
				{"Count", func(e string) error { _, err := m.Where(e).Count(ctx); return err }},
				{"OnlyDeleted.Restore", func(e string) error { _, err := m.OnlyDeleted().Where(e).Restore(ctx); return err }},
				{"Restore", func(e string) error { _, err := m.Where(e).Restore(ctx); return err }},
				{"Delete", func(e string) error { _, err := m.Where(e).Delete(ctx); return err }},
				{"HardDelete", func(e string) error { _, err := m.AllWithDeleted().Where(e).HardDelete(ctx); return err }},
			}
			for _, e := range []string{
				"1=0)) OR ((1=1", "1=0) OR (1=1", "@@version LIKE '10.%'", "@`x` := 42", "version = ?1",
				"id = ?123", "", "  ", "id AS x", "name ＝ 'g1'", "ｉｄ = 1", "CAST(id AS TEXT) AS x",
				"id = 1 ORDER BY 1", "id = 1; DELETE FROM gadgets", "id IN (SELECT id FROM gadgets)",
			} {
				for _, c := range calls {
					err := c.run(e)
					if !errors.Is(err, ErrInvalid) {
						t.Errorf("%s(%q) = %v, want ErrInvalid", c.name, e, err)
					}
					if s := log.take(); len(s) > 0 {
						t.Errorf("%s(%q) sent %d statements: %q", c.name, e, len(s), s)
					}
				}
			}
			if a, del := aliveDeleted(t, db); a != 3 || del != 2 {
				t.Fatalf("alive/deleted = %d/%d, want 3/2", a, del)
			}
			// The same shapes written correctly work.
			// (ids are read, not assumed: Galera steps AUTO_INCREMENT by
			// the cluster size.)
			rows, err := m.Where("(id = ? OR id = ?) AND version LIKE '10.%'", nthID(t, db, 0), nthID(t, db, 1)).All(ctx)
			if err != nil || len(rows) != 2 {
				t.Fatalf("valid expression: %d rows, %v", len(rows), err)
			}
		})
	}
}

// TestRestoreRowsSkipsAliveRows: a condition that selected alive rows
// under "deleted_at IS NOT NULL AND (...)" made restoreRows dereference a
// NULL stamp; it must skip them.
func TestRestoreRowsSkipsAliveRows(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ddl(t, db, gadgetsDDL)
		m := must[*Manager[Gadget]](t)(NewManager[Gadget](db, "gadgets"))
		ctx := context.Background()
		if err := m.Create(ctx, &Gadget{Name: "a"}); err != nil {
			t.Fatal(err)
		}
		// A predicate written raw, as the old guard let it through.
		escape := func(b *sqlBuilder, alias string) { b.WriteString("1=0) OR (1=1") }
		if _, err := db.restoreRows(ctx, db.exec(), m.tbl, escape, opOptions{}); err != nil {
			t.Logf("restoreRows: %v", err)
		}
	})
}

// TestWhereArgumentsAreSlicesOnlyInIN: a slice argument stands for a list
// only in IN (?); elsewhere it is refused instead of expanding into SQL.
func TestWhereArgumentsAreSlicesOnlyInIN(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ddl(t, db, gadgetsDDL)
		m := must[*Manager[Gadget]](t)(NewManager[Gadget](db, "gadgets"))
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			if err := m.Create(ctx, &Gadget{Name: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := m.Where("id = ?", []int64{1, 2}).All(ctx); !errors.Is(err, ErrInvalid) {
			t.Fatalf("slice outside IN: %v", err)
		}
		if n, err := m.Where("id NOT IN (?)", []int64{}).Count(ctx); err != nil || n != 3 {
			t.Fatalf("NOT IN (empty) = %d, %v; want 3", n, err)
		}
		if n, err := m.Where("id IN (?)", []int64{}).Count(ctx); err != nil || n != 0 {
			t.Fatalf("IN (empty) = %d, %v; want 0", n, err)
		}
		if n, err := m.Where("name || 'x' = ? OR name IN (?, ?)", "0x", "1", "9").Count(ctx); err != nil || n != 2 {
			t.Fatalf("concat/IN list = %d, %v; want 2", n, err)
		}
	})
}

var adversarialFull = os.Getenv("SOFTDELETE_ADVERSARIAL") == "full"

var _ = strings.Contains
