package softdelete

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// raceHook runs once, just before the first statement that starts with
// prefix (and mentions table), the given SQL through another connection:
// a deterministic stand-in for another process acting at that instant.
type raceHook struct {
	armed  atomic.Bool
	prefix string
	table  string
	fired  atomic.Int32
	db     atomic.Pointer[DB]
	sql    string
}

func (h *raceHook) hook(ctx context.Context, q string, args []any) error {
	if !h.armed.Load() || !strings.HasPrefix(q, h.prefix) || !strings.Contains(q, h.table) {
		return nil
	}
	h.armed.Store(false)
	h.fired.Add(1)
	_, err := h.db.Load().SQL().ExecContext(context.Background(), h.sql)
	return err
}

func openRaceDB(t *testing.T, dialect string, h *raceHook) *DB {
	db := openTest(t, dialect, WithStatementHook(h.hook))
	h.db.Store(db)
	ddl(t, db,
		`CREATE TABLE parents (id {id}, deleted_at {ts} NULL)`,
		`CREATE TABLE kids (id {id}, parent_id BIGINT NOT NULL REFERENCES parents (id) ON DELETE CASCADE, deleted_at {ts} NULL)`)
	exec(t, db, "INSERT INTO parents (id) VALUES (1)")
	return db
}

// Issue 8 / adversarial finding F8: a delete racing a restore said
// ErrNotFound for a row that exists (its UPDATE found the row hidden, the
// look that followed found it alive). The delete now hides the row.
func TestDeleteRacingRestoreHidesTheRow(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			h := &raceHook{prefix: "SELECT CASE WHEN", table: "parents", sql: "UPDATE parents SET deleted_at = NULL WHERE id = 1"}
			db := openRaceDB(t, d, h)
			ctx := context.Background()
			if _, err := db.Delete(ctx, "parents", 1); err != nil {
				t.Fatal(err)
			}
			h.armed.Store(true)
			op, err := db.Delete(ctx, "parents", 1)
			if err != nil || h.fired.Load() != 1 {
				t.Fatalf("delete racing a restore: %v (restore fired %d times)", err, h.fired.Load())
			}
			if op.Counts["parents"] != 1 {
				t.Fatalf("counts = %v", op.Counts)
			}
			if got := state(t, db, "parents"); got != "parents alive=[] deleted=[1]\n" {
				t.Fatalf("after: %q", got)
			}
		})
	}
}

// Adversarial finding F5: Create racing its parent's restore said the
// parent "does not exist" (ErrNotFound). It now writes the row.
func TestCreateRacingParentRestoreWrites(t *testing.T) {
	type Kid struct {
		ID        int64
		ParentID  int64
		DeletedAt *time.Time
	}
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			h := &raceHook{prefix: "SELECT CASE WHEN", table: "parents", sql: "UPDATE parents SET deleted_at = NULL WHERE id = 1"}
			db := openRaceDB(t, d, h)
			ctx := context.Background()
			kids, err := NewManager[Kid](db, "kids")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Delete(ctx, "parents", 1); err != nil {
				t.Fatal(err)
			}
			h.armed.Store(true)
			k := &Kid{ParentID: 1}
			if err := kids.Create(ctx, k); err != nil || h.fired.Load() != 1 {
				t.Fatalf("create racing the parent's restore: %v (restore fired %d times)", err, h.fired.Load())
			}
			if got := state(t, db, "parents", "kids"); got != "parents alive=[1] deleted=[]\nkids alive=[1] deleted=[]\n" {
				t.Fatalf("after: %q", got)
			}
			// Save too: the parent is deleted, the guarded UPDATE refuses,
			// the parent comes back before the look.
			if _, err := db.Delete(ctx, "parents", 1); err != nil {
				t.Fatal(err)
			}
			exec(t, db, "UPDATE kids SET deleted_at = NULL WHERE id = 1")
			h.armed.Store(true)
			if err := kids.Save(ctx, k); err != nil || h.fired.Load() != 2 {
				t.Fatalf("save racing the parent's restore: %v (restore fired %d times)", err, h.fired.Load())
			}
		})
	}
}
