package softdelete

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Race tests: each trial races two operations on its own rows; a few
// trials run at once. SOFTDELETE_RACE_TRIALS sets the number of trials
// (default 60 per database; the figures came from 200-300).

func raceTrials() int {
	if n, err := strconv.Atoi(os.Getenv("SOFTDELETE_RACE_TRIALS")); err == nil && n > 0 {
		return n
	}
	return 60
}

// raceParallel is how many trials run at once (SOFTDELETE_RACE_PARALLEL,
// default 4).
func raceParallel() int {
	if n, err := strconv.Atoi(os.Getenv("SOFTDELETE_RACE_PARALLEL")); err == nil && n > 0 {
		return n
	}
	return 4
}

// transient reports a deadlock or lock-timeout failure that a caller
// retries: the database picked this operation as the victim and rolled
// it back, so it changed nothing (the invariants below check that).
func transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errTransientForTests) {
		return true
	}
	s := strings.ToLower(err.Error())
	for _, w := range []string{"deadlock", "error 1213", "error 1205", "40p01", "40001", "sqlite_busy", "database is locked", "busy"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

var errTransientForTests = errors.New("never matched")

// retryTransient calls fn again while it fails with a transient error, as
// a caller would (bounded), and returns its last error.
func retryTransient(fn func() error) error {
	err := fn()
	for i := 0; i < 50 && transient(err); i++ {
		time.Sleep(time.Duration(1+i) * time.Millisecond)
		err = fn()
	}
	return err
}

// raceRun runs trials, parallel at a time, each calling fn with its index.
func raceRun(t *testing.T, trials, parallel int, fn func(i int)) {
	t.Helper()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := 0; i < trials; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}(i)
	}
	wg.Wait()
}

// pair runs a and b at the same time and returns their errors.
func pair(a, b func() error) (error, error) {
	var ea, eb error
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(2)
	go func() { defer wg.Done(); <-start; ea = a() }()
	go func() { defer wg.Done(); <-start; eb = b() }()
	close(start)
	wg.Wait()
	return ea, eb
}

func countSQL(t testing.TB, db *DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

type raceTally struct {
	mu sync.Mutex
	m  map[string]int
}

func (r *raceTally) add(what string) {
	r.mu.Lock()
	if r.m == nil {
		r.m = map[string]int{}
	}
	r.m[what]++
	r.mu.Unlock()
}

func (r *raceTally) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprint(r.m)
}

// Restore(child) racing Delete(its parent): either the restore goes first
// and the parent's delete hides the restored child, or the delete goes
// first and the restore is refused (the parent is deleted). Never a live
// child under a deleted parent.
func TestRestoreRacingParentDelete(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE rp_parents (id {id}, deleted_at {ts} NULL)`,
			`CREATE TABLE rp_children (id {id}, parent_id {big} NOT NULL, deleted_at {ts} NULL,
			  FOREIGN KEY (parent_id) REFERENCES rp_parents (id) ON DELETE CASCADE)`)
		n := raceTrials()
		for i := 1; i <= n; i++ {
			exec(t, db, fmt.Sprintf("INSERT INTO rp_parents (id) VALUES (%d)", i))
			exec(t, db, fmt.Sprintf("INSERT INTO rp_children (id, parent_id) VALUES (%d, %d)", i, i))
			if _, err := db.Delete(ctx, "rp_children", i); err != nil {
				t.Fatal(err)
			}
		}
		var tally raceTally
		raceRun(t, n, raceParallel(), func(i int) {
			id := i + 1
			er, ed := pair(
				func() error { _, err := db.Restore(ctx, "rp_children", id); return err },
				func() error { _, err := db.Delete(ctx, "rp_parents", id); return err })
			switch {
			case er == nil:
				tally.add("restored")
			case errors.Is(er, ErrParentDeleted):
				tally.add("refused")
			case transient(er):
				tally.add("restore deadlock")
			default:
				t.Errorf("trial %d: restore: %v", id, er)
			}
			switch {
			case ed == nil:
			case transient(ed):
				tally.add("delete deadlock")
			default:
				t.Errorf("trial %d: delete: %v", id, ed)
			}
		})
		bad := countSQL(t, db, `SELECT COUNT(*) FROM rp_children c JOIN rp_parents p ON p.id = c.parent_id
			WHERE c.deleted_at IS NULL AND p.deleted_at IS NOT NULL`)
		t.Logf("%s: %d trials: %s; live children under deleted parents: %d", db.Dialect(), n, &tally, bad)
		if bad != 0 {
			t.Fatalf("%d live children under deleted parents", bad)
		}
	})
}

// Two restores of different operations that share a row: child c has two
// CASCADE parents, a (deleted by op A, which hid c) and b (deleted by op
// B). Undo(A) hands c over to B while b is hidden; Undo(B) brings back
// what B hides. Run together, c must come back with both parents, and
// each undo succeeds (or is a deadlock victim that changed nothing).
func TestUndosSharingARowRace(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE sr_a (id {id}, deleted_at {ts} NULL)`,
			`CREATE TABLE sr_b (id {id}, deleted_at {ts} NULL)`,
			`CREATE TABLE sr_c (id {id}, a_id {big} NOT NULL, b_id {big} NOT NULL, deleted_at {ts} NULL,
			  FOREIGN KEY (a_id) REFERENCES sr_a (id) ON DELETE CASCADE,
			  FOREIGN KEY (b_id) REFERENCES sr_b (id) ON DELETE CASCADE)`)
		n := raceTrials()
		opA, opB := make([]int64, n+1), make([]int64, n+1)
		for i := 1; i <= n; i++ {
			exec(t, db, fmt.Sprintf("INSERT INTO sr_a (id) VALUES (%d)", i))
			exec(t, db, fmt.Sprintf("INSERT INTO sr_b (id) VALUES (%d)", i))
			exec(t, db, fmt.Sprintf("INSERT INTO sr_c (id, a_id, b_id) VALUES (%d, %d, %d)", i, i, i))
			a, err := db.Delete(ctx, "sr_a", i)
			if err != nil {
				t.Fatal(err)
			}
			b, err := db.Delete(ctx, "sr_b", i)
			if err != nil {
				t.Fatal(err)
			}
			opA[i], opB[i] = a.ID, b.ID
		}
		var tally raceTally
		raceRun(t, n, raceParallel(), func(i int) {
			id := i + 1
			ea, eb := pair(
				func() error { _, err := db.Undo(ctx, opA[id]); return err },
				func() error { _, err := db.Undo(ctx, opB[id]); return err })
			for _, e := range []error{ea, eb} {
				switch {
				case e == nil:
					tally.add("undone")
				case transient(e):
					tally.add("deadlock")
				default:
					t.Errorf("trial %d: undo: %v", id, e)
				}
			}
			if transient(ea) {
				ea = retryTransient(func() error { _, err := db.Undo(ctx, opA[id]); return err })
			}
			if transient(eb) {
				eb = retryTransient(func() error { _, err := db.Undo(ctx, opB[id]); return err })
			}
			if ea != nil || eb != nil {
				t.Errorf("trial %d: undo after a deadlock: %v / %v", id, ea, eb)
			}
		})
		stranded := countSQL(t, db, `SELECT COUNT(*) FROM sr_c c JOIN sr_a a ON a.id = c.a_id JOIN sr_b b ON b.id = c.b_id
			WHERE c.deleted_at IS NOT NULL AND a.deleted_at IS NULL AND b.deleted_at IS NULL`)
		dangling := countSQL(t, db, `SELECT COUNT(*) FROM sr_c c JOIN sr_a a ON a.id = c.a_id JOIN sr_b b ON b.id = c.b_id
			WHERE c.deleted_at IS NULL AND (a.deleted_at IS NOT NULL OR b.deleted_at IS NOT NULL)`)
		hidden := countSQL(t, db, `SELECT COUNT(*) FROM sr_c WHERE deleted_at IS NOT NULL`)
		t.Logf("%s: %d trials: %s; children hidden with both parents alive: %d, live under a hidden parent: %d, still hidden: %d",
			db.Dialect(), n, &tally, stranded, dangling, hidden)
		if stranded != 0 || dangling != 0 || hidden != 0 {
			t.Fatalf("after both undos: %d stranded, %d dangling, %d still hidden children", stranded, dangling, hidden)
		}
	})
}

// Restore(x) racing a transaction that restores x and deletes it again
// (x is hidden before and after, by another operation): the restore waits
// for the row and restores the operation that hides it then, instead of
// failing with ErrNotDeleted.
func TestRestoreRacingRestoreAndRedelete(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE categories (id {id}, parent_id {big} NULL, name {text} NOT NULL, deleted_at {ts} NULL,
		  FOREIGN KEY (parent_id) REFERENCES categories (id) ON DELETE CASCADE)`)
		cats, err := NewManager[Category](db, "categories")
		if err != nil {
			t.Fatal(err)
		}
		n := raceTrials()
		for i := 1; i <= n; i++ {
			exec(t, db, fmt.Sprintf("INSERT INTO categories (id, name) VALUES (%d, 'x')", i))
			if _, err := db.Delete(ctx, "categories", i); err != nil {
				t.Fatal(err)
			}
		}
		var tally raceTally
		raceRun(t, n, raceParallel(), func(i int) {
			id := int64(i + 1)
			er, ex := pair(
				func() error { _, err := db.Restore(ctx, "categories", id); return err },
				func() error {
					tx, err := db.SQL().BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					c := &Category{ID: id}
					if err := cats.WithTx(tx).Restore(ctx, c); err != nil {
						return err
					}
					if err := cats.WithTx(tx).Delete(ctx, c); err != nil {
						return err
					}
					return tx.Commit()
				})
			switch {
			case er == nil:
				tally.add("restored")
			case transient(er):
				tally.add("restore deadlock")
				if err := retryTransient(func() error { _, err := db.Restore(ctx, "categories", id); return err }); err != nil {
					t.Errorf("row %d: restore after a deadlock: %v", id, err)
				}
			default:
				t.Errorf("row %d: restore: %v", id, er)
			}
			switch {
			case ex == nil:
				tally.add("re-deleted")
			case errors.Is(ex, ErrNotDeleted): // the restore went first
				tally.add("re-delete found it alive")
			case transient(ex):
				tally.add("re-delete deadlock")
			default:
				t.Errorf("row %d: restore+delete: %v", id, ex)
			}
		})
		hidden := countSQL(t, db, "SELECT COUNT(*) FROM categories WHERE deleted_at IS NOT NULL")
		t.Logf("%s: %d trials: %s; still hidden: %d", db.Dialect(), n, &tally, hidden)
		if hidden != 0 {
			t.Fatalf("%d rows still hidden after the restores", hidden)
		}
	})
}

// Undo checks the parents of the rows it restores, not of every live row:
// a live row that another tool left pointing at a hidden parent does not
// make the undo of an unrelated operation fail.
func TestUndoChecksOnlyRestoredRows(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE uo_owners (id {id}, deleted_at {ts} NULL)`,
			`CREATE TABLE uo_tags (id {id}, deleted_at {ts} NULL)`,
			`CREATE TABLE uo_posts (id {id}, owner_id {big} NOT NULL, tag_id {big} NULL, deleted_at {ts} NULL,
			  FOREIGN KEY (owner_id) REFERENCES uo_owners (id) ON DELETE CASCADE,
			  FOREIGN KEY (tag_id) REFERENCES uo_tags (id) ON DELETE RESTRICT)`,
			`CREATE TABLE uo_notes (id {id}, post_id {big} NOT NULL, tag_id {big} NULL, deleted_at {ts} NULL,
			  FOREIGN KEY (post_id) REFERENCES uo_posts (id) ON DELETE CASCADE,
			  FOREIGN KEY (tag_id) REFERENCES uo_tags (id) ON DELETE RESTRICT)`)
		exec(t, db, "INSERT INTO uo_owners (id) VALUES (1), (2)")
		exec(t, db, "INSERT INTO uo_tags (id) VALUES (5), (6)")
		exec(t, db, "INSERT INTO uo_posts (id, owner_id, tag_id) VALUES (10, 1, 6), (20, 2, 5)")
		exec(t, db, "INSERT INTO uo_notes (id, post_id, tag_id) VALUES (100, 10, 6), (200, 20, 5)")
		// Another tool hides tag 5 under live post 20 and note 200.
		exec(t, db, "UPDATE uo_tags SET deleted_at = "+db.ph(1)+" WHERE id = 5", time.Now().UTC())
		op, err := db.Delete(ctx, "uo_owners", 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Undo(ctx, op.ID); err != nil {
			t.Fatalf("undo refused over an unrelated row: %v", err)
		}
		wantState(t, db, `uo_owners alive=[1 2] deleted=[]
uo_posts alive=[10 20] deleted=[]
uo_notes alive=[100 200] deleted=[]`)
		// A restored row under a hidden parent is still refused.
		op, err = db.Delete(ctx, "uo_owners", 1)
		if err != nil {
			t.Fatal(err)
		}
		exec(t, db, "UPDATE uo_tags SET deleted_at = "+db.ph(1)+" WHERE id = 6", time.Now().UTC())
		before := state(t, db, "uo_owners", "uo_posts", "uo_notes")
		if _, err := db.Undo(ctx, op.ID); !errors.Is(err, ErrParentDeleted) {
			t.Fatalf("undo under a hidden parent: %v", err)
		}
		if got := state(t, db, "uo_owners", "uo_posts", "uo_notes"); got != before {
			t.Fatalf("refused undo changed rows:\n%s", got)
		}
	})
}

// A bulk restore brings back exactly what one delete hid starting from the
// selected rows. One bulk delete of {1, 5} on the trees 1→2 and 4→5→6 hides
// 1, 2, 5 and 6 under one stamp (4 stays alive). Restoring 1 brings back 1
// and 2, the rows that delete hid below 1; 5 and 6 carry the same stamp
// but are not below 1 and stay hidden, although their parent 4 is alive.
// Alive afterwards: 1 2 4.
func TestBulkRestoreOfOneTreeOfAnOperation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE categories (id {id}, parent_id {big} NULL, name {text} NOT NULL, deleted_at {ts} NULL,
		  FOREIGN KEY (parent_id) REFERENCES categories (id) ON DELETE CASCADE)`)
		exec(t, db, "INSERT INTO categories (id, parent_id, name) VALUES (1, NULL, 'a'), (2, 1, 'b'), (4, NULL, 'd'), (5, 4, 'e'), (6, 5, 'f')")
		cats, err := NewManager[Category](db, "categories")
		if err != nil {
			t.Fatal(err)
		}
		if n, err := cats.Where("id IN (?, ?)", 1, 5).Delete(ctx); err != nil || n != 4 {
			t.Fatalf("bulk delete: %d %v", n, err)
		}
		wantState(t, db, `categories alive=[4] deleted=[1 2 5 6]`)
		n, err := cats.OnlyDeleted().Where("id = ?", 1).Restore(ctx)
		if err != nil || n != 2 {
			t.Fatalf("restore of 1: %d %v", n, err)
		}
		wantState(t, db, `categories alive=[1 2 4] deleted=[5 6]`)
		// The same through the key API.
		if _, err := db.Delete(ctx, "categories", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Restore(ctx, "categories", 1); err != nil {
			t.Fatal(err)
		}
		wantState(t, db, `categories alive=[1 2 4] deleted=[5 6]`)
	})
}

// A restore's hooks see, through Event.Keys, exactly the rows coming
// back: restoring root 1 of a delete that also hid the tree below 5 lists
// 1 and 2, not every row carrying the stamp.
func TestRestoreHookKeysAreTheRowsComingBack(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE categories (id {id}, parent_id {big} NULL, name {text} NOT NULL, deleted_at {ts} NULL,
		  FOREIGN KEY (parent_id) REFERENCES categories (id) ON DELETE CASCADE)`,
			`CREATE TABLE cat_notes (id {id}, category_id {big} NOT NULL, deleted_at {ts} NULL,
		  FOREIGN KEY (category_id) REFERENCES categories (id) ON DELETE CASCADE)`)
		exec(t, db, "INSERT INTO categories (id, parent_id, name) VALUES (1, NULL, 'a'), (2, 1, 'b'), (4, NULL, 'd'), (5, 4, 'e'), (6, 5, 'f')")
		exec(t, db, "INSERT INTO cat_notes (id, category_id) VALUES (10, 1), (20, 2), (50, 5), (60, 6)")
		cats, err := NewManager[Category](db, "categories")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cats.Where("id IN (?, ?)", 1, 5).Delete(ctx); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[string]string{}
		list := func(when string) func(ctx context.Context, ev *Event) error {
			return func(ctx context.Context, ev *Event) error {
				if ev.Op.Kind != OpRestore {
					return nil
				}
				for _, tbl := range []string{"categories", "cat_notes"} {
					var ids []string
					if err := ev.Keys(ctx, tbl, 1, func(keys [][]any) error {
						for _, k := range keys {
							ids = append(ids, fmt.Sprint(k[0]))
						}
						return nil
					}); err != nil {
						return err
					}
					mu.Lock()
					seen[when+" "+tbl] = strings.Join(ids, " ")
					mu.Unlock()
				}
				return nil
			}
		}
		db.AddHooks(Hooks{Before: list("before"), After: list("after")})
		if _, err := db.Restore(ctx, "categories", 1); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"before categories": "1 2", "before cat_notes": "10 20", "after categories": "1 2", "after cat_notes": "10 20"}
		for k, v := range want {
			if seen[k] != v {
				t.Errorf("%s: keys %q, want %q (all %v)", k, seen[k], v, seen)
			}
		}
		wantState(t, db, `categories alive=[1 2 4] deleted=[5 6]
cat_notes alive=[10 20] deleted=[50 60]`)
	})
}
