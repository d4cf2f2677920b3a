package softdelete

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Two app instances (separate DB handles, separate stamp clocks) whose
// clocks give the same instant: their deletes must still get distinct
// stamps (an operation's identity), with no error reaching the caller.
func TestStampsUniqueAcrossInstances(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, "CREATE TABLE notes (id {id}, body {text}, deleted_at {ts} NULL)")
		for i := 0; i < 40; i++ {
			exec(t, db, "INSERT INTO notes (body) VALUES ('n')")
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		fixed := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
		var handles []*DB
		for i := 0; i < 2; i++ {
			h, err := New(db.SQL(), WithDialect(db.Dialect()), WithClock(func() time.Time { return fixed }))
			if err != nil {
				t.Fatal(err)
			}
			handles = append(handles, h)
		}
		var ids []int64
		rows, err := db.SQL().Query("SELECT id FROM notes ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		var wg sync.WaitGroup
		errs := make(chan error, len(ids))
		for i, id := range ids {
			wg.Add(1)
			go func(h *DB, id int64) {
				defer wg.Done()
				if _, err := h.Delete(ctx, "notes", id); err != nil {
					errs <- err
				}
			}(handles[i%2], id)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("delete: %v", err)
		}
		if n := count(t, db, "SELECT COUNT(DISTINCT deleted_at) FROM notes"); n != int64(len(ids)) {
			t.Errorf("%d distinct stamps for %d deletes", n, len(ids))
		}
		if n := count(t, db, "SELECT COUNT(*) FROM softdelete_operations WHERE kind = 'delete'"); n != int64(len(ids)) {
			t.Errorf("%d delete operations logged, want %d", n, len(ids))
		}
	})
}
