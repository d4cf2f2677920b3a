package softdelete

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

const (
	oldStamp    = "2000-01-01 00:00:00"
	futureStamp = "2999-01-01 00:00:00"
)

// chinook builds the Chinook shape (Artist → Album → Track → InvoiceLine,
// Playlist ← PlaylistTrack → Track, PlaylistTrack keyed by both) and
// stamps rows so that some due parents are still referenced by rows that
// are not due or alive, directly or through due rows that are kept.
func chinook(t *testing.T, db *DB) {
	ddl(t, db,
		`CREATE TABLE artist (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`,
		`CREATE TABLE album (id {big} NOT NULL PRIMARY KEY, artist_id {big} NOT NULL REFERENCES artist (id), deleted_at {ts} NULL)`,
		`CREATE TABLE track (id {big} NOT NULL PRIMARY KEY, album_id {big} NOT NULL REFERENCES album (id), deleted_at {ts} NULL)`,
		`CREATE TABLE invoice_line (id {big} NOT NULL PRIMARY KEY, track_id {big} NOT NULL REFERENCES track (id), deleted_at {ts} NULL)`,
		`CREATE TABLE playlist (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`,
		`CREATE TABLE playlist_track (playlist_id {big} NOT NULL REFERENCES playlist (id), track_id {big} NOT NULL REFERENCES track (id), deleted_at {ts} NULL, PRIMARY KEY (playlist_id, track_id))`,
	)
	exec(t, db, "INSERT INTO artist (id) VALUES (1), (2), (3)")
	exec(t, db, "INSERT INTO album (id, artist_id) VALUES (10, 1), (11, 1), (20, 2), (30, 3)")
	exec(t, db, "INSERT INTO track (id, album_id) VALUES (100, 10), (101, 10), (110, 11), (200, 20), (300, 30)")
	exec(t, db, "INSERT INTO invoice_line (id, track_id) VALUES (1000, 100), (1001, 101), (1100, 110), (2000, 200), (3000, 300)")
	exec(t, db, "INSERT INTO playlist (id) VALUES (1), (2)")
	exec(t, db, "INSERT INTO playlist_track (playlist_id, track_id) VALUES (1, 100), (1, 200), (2, 110), (2, 300)")
	stamp := func(tbl, where, at string) {
		exec(t, db, "UPDATE "+tbl+" SET deleted_at = '"+at+"' WHERE "+where)
	}
	// Artist 1: invoice line 1001 is not due, so track 101, album 10 and
	// artist 1 stay; track 100 and album 11 go.
	stamp("artist", "id IN (1, 3)", oldStamp)
	stamp("album", "id IN (10, 11, 20, 30)", oldStamp)
	stamp("track", "id IN (100, 101, 110, 200, 300)", oldStamp)
	stamp("invoice_line", "id IN (1000, 1100, 3000)", oldStamp)
	stamp("invoice_line", "id = 1001", futureStamp)
	// Invoice line 2000 is alive: track 200 and album 20 stay.
	// Playlist entry (2, 300) is alive: track 300, album 30, artist 3 stay.
	stamp("playlist", "id = 1", oldStamp)
	stamp("playlist_track", "track_id IN (100, 110)", oldStamp)
	// Playlist 1 keeps its alive entry (1, 200): it stays.
	if err := db.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

var chinookTables = []string{"artist", "album", "track", "invoice_line", "playlist", "playlist_track"}

// The dry run is the real purge's computation: counts and kept rows equal,
// transitive blocking and composite keys included.
func TestPurgeDryRunIsTheRealPurge(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		chinook(t, db)
		before := snapshot(t, db, chinookTables...)
		cutoff := time.Now()
		dry, err := db.Purge(ctx, PurgePolicy{Before: cutoff, DryRun: true, BatchSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := snapshot(t, db, chinookTables...); got != before {
			t.Fatal("the dry run changed data")
		}
		if ops, _ := db.Operations(ctx, OpFilter{Kind: OpPurge}); len(ops) != 0 {
			t.Fatalf("the dry run logged %d operations", len(ops))
		}
		res, err := db.Purge(ctx, PurgePolicy{Before: cutoff, BatchSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		wantCounts := map[string]int64{"invoice_line": 3, "playlist_track": 2, "track": 2, "album": 1}
		wantBlocked := map[string]int64{"track": 3, "album": 3, "artist": 2, "playlist": 1}
		if !maps.Equal(nz(res.Counts), wantCounts) || !maps.Equal(nz(res.Blocked), wantBlocked) {
			t.Errorf("purge: counts %v blocked %v; want %v, %v", res.Counts, res.Blocked, wantCounts, wantBlocked)
		}
		if !maps.Equal(nz(dry.Counts), nz(res.Counts)) || !maps.Equal(nz(dry.Blocked), nz(res.Blocked)) || dry.Batches != res.Batches {
			t.Errorf("dry run: counts %v blocked %v batches %d; the purge: %v %v %d", dry.Counts, dry.Blocked, dry.Batches, res.Counts, res.Blocked, res.Batches)
		}
		// What is left is exactly the kept rows and the live ones.
		for tbl, want := range map[string]string{
			"artist": "1 2 3", "album": "10 20 30", "track": "101 200 300", "invoice_line": "1001 2000",
			"playlist": "1 2", "playlist_track": "1 2",
		} {
			if got := idList(t, db, "SELECT "+firstCol(tbl)+" FROM "+tbl+" ORDER BY 1"); got != want {
				t.Errorf("%s left: %s, want %s", tbl, got, want)
			}
		}
		again, err := db.Purge(ctx, PurgePolicy{Before: cutoff, DryRun: true})
		if err != nil || len(nz(again.Counts)) != 0 || !maps.Equal(nz(again.Blocked), wantBlocked) {
			t.Fatalf("dry run after the purge: %+v %v", again, err)
		}
	})
}

func firstCol(tbl string) string {
	if tbl == "playlist_track" {
		return "playlist_id"
	}
	return "id"
}

func nz(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

func idList(t testing.TB, db *DB, q string) string {
	t.Helper()
	rows, err := db.SQL().Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		out = append(out, fmt.Sprint(v))
	}
	return strings.Join(out, " ")
}

// Tables keyed by two columns (film_actor) are purged in bounded batches of
// key ranges, and then no longer hold their parents back.
func TestPurgeCompositeKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE actor (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`,
			`CREATE TABLE film (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`,
			`CREATE TABLE film_actor (actor_id {big} NOT NULL REFERENCES actor (id) ON DELETE CASCADE, film_id {big} NOT NULL REFERENCES film (id) ON DELETE CASCADE, deleted_at {ts} NULL, PRIMARY KEY (actor_id, film_id))`,
		)
		var actors, films, links []string
		for a := 1; a <= 5; a++ {
			actors = append(actors, fmt.Sprintf("(%d)", a))
		}
		for f := 1; f <= 6; f++ {
			films = append(films, fmt.Sprintf("(%d)", f))
		}
		for a := 1; a <= 5; a++ {
			for f := 1; f <= 6; f++ {
				links = append(links, fmt.Sprintf("(%d, %d)", a, f))
			}
		}
		exec(t, db, "INSERT INTO actor (id) VALUES "+strings.Join(actors, ", "))
		exec(t, db, "INSERT INTO film (id) VALUES "+strings.Join(films, ", "))
		exec(t, db, "INSERT INTO film_actor (actor_id, film_id) VALUES "+strings.Join(links, ", "))
		// Actors 2, 3, 4 are deleted with their 18 links; film 6 too, with
		// the links of actors 1 and 5 (2 more).
		for _, a := range []int{2, 3, 4} {
			if _, err := db.Delete(ctx, "actor", a); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Delete(ctx, "film", 6); err != nil {
			t.Fatal(err)
		}
		c := &counter{}
		db.hook = c.hook
		dry, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Second), BatchSize: 4, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		res, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Second), BatchSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"film_actor": 20, "actor": 3, "film": 1}
		if !maps.Equal(nz(res.Counts), want) || len(nz(res.Blocked)) != 0 || !maps.Equal(nz(dry.Counts), want) {
			t.Fatalf("purge %v blocked %v, dry run %v; want %v", res.Counts, res.Blocked, dry.Counts, want)
		}
		if res.Batches < 20/4+1 {
			t.Fatalf("%d batches for 20 rows of 4", res.Batches)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM film_actor"); n != 10 {
			t.Fatalf("%d links left, want 10", n)
		}
		// Every batch DELETE was bounded by a key range.
		var deletes int
		for _, q := range c.log {
			if strings.HasPrefix(q, "DELETE FROM "+db.dialect.Quote("film_actor")) {
				deletes++
				if !strings.Contains(q, " <= ") && !strings.Contains(q, " > ") {
					t.Fatalf("unbounded purge statement: %s", q)
				}
			}
		}
		if deletes == 0 {
			t.Fatal("no DELETE on film_actor seen")
		}
		ops, _ := db.Operations(ctx, OpFilter{Kind: OpPurge, Table: "film_actor"})
		if len(ops) == 0 || !strings.Contains(ops[len(ops)-1].Key, "(") {
			t.Fatalf("purge log of film_actor: %+v", ops)
		}
	})
}

// Two tables that reference each other are purged when the whole cycle is
// due; a cycle held by a live row stays, whole.
func TestPurgeCycles(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if db.Dialect() == "sqlite" {
			ddl(t, db,
				`CREATE TABLE departments (id {big} NOT NULL PRIMARY KEY, manager_id {big} NULL REFERENCES employees (id), deleted_at {ts} NULL)`,
				`CREATE TABLE employees (id {big} NOT NULL PRIMARY KEY, dept_id {big} NOT NULL REFERENCES departments (id), deleted_at {ts} NULL)`)
		} else {
			ddl(t, db,
				`CREATE TABLE departments (id {big} NOT NULL PRIMARY KEY, manager_id {big} NULL, deleted_at {ts} NULL)`,
				`CREATE TABLE employees (id {big} NOT NULL PRIMARY KEY, dept_id {big} NOT NULL REFERENCES departments (id), deleted_at {ts} NULL)`,
				`ALTER TABLE departments ADD CONSTRAINT departments_manager FOREIGN KEY (manager_id) REFERENCES employees (id)`)
		}
		exec(t, db, "INSERT INTO departments (id) VALUES (1), (2), (3)")
		exec(t, db, "INSERT INTO employees (id, dept_id) VALUES (10, 1), (11, 1), (20, 2), (30, 3), (31, 3)")
		exec(t, db, "UPDATE departments SET manager_id = id * 10")
		// Department 1 and its people are due; department 3 is due with its
		// manager, but employee 31 is alive.
		exec(t, db, "UPDATE departments SET deleted_at = '"+oldStamp+"' WHERE id IN (1, 3)")
		exec(t, db, "UPDATE employees SET deleted_at = '"+oldStamp+"' WHERE id IN (10, 11, 30)")
		if err := db.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, db, "departments", "employees")
		dry, err := db.Purge(ctx, PurgePolicy{Before: time.Now(), BatchSize: 1, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := snapshot(t, db, "departments", "employees"); got != before {
			t.Fatal("the dry run changed data")
		}
		res, err := db.Purge(ctx, PurgePolicy{Before: time.Now(), BatchSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"departments": 1, "employees": 2}
		if !maps.Equal(nz(res.Counts), want) || !maps.Equal(nz(dry.Counts), want) {
			t.Fatalf("purged %v (dry run %v), want %v", res.Counts, dry.Counts, want)
		}
		if got := idList(t, db, "SELECT id FROM departments ORDER BY 1"); got != "2 3" {
			t.Fatalf("departments left: %s", got)
		}
		if got := idList(t, db, "SELECT id FROM employees ORDER BY 1"); got != "20 30 31" {
			t.Fatalf("employees left: %s", got)
		}
		// The kept cycle keeps its references.
		if got := idList(t, db, "SELECT manager_id FROM departments ORDER BY id"); got != "20 30" {
			t.Fatalf("managers: %s", got)
		}
		if !maps.Equal(nz(res.Blocked), map[string]int64{"departments": 1, "employees": 1}) || !maps.Equal(nz(dry.Blocked), nz(res.Blocked)) {
			t.Fatalf("blocked %v (dry run %v)", res.Blocked, dry.Blocked)
		}
	})
}

// A soft-deletable table without a primary key cannot be purged in batches:
// it is reported, never passed over in silence.
func TestPurgeReportsTablesWithoutKey(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE events (name {text} NOT NULL, deleted_at {ts} NULL)`)
		exec(t, db, "INSERT INTO events (name, deleted_at) VALUES ('a', '"+oldStamp+"')")
		res, err := db.Purge(ctx, PurgePolicy{Before: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Skipped["events"], "no primary key") {
			t.Fatalf("skipped: %v", res.Skipped)
		}
		if _, err := db.Purge(ctx, PurgePolicy{Before: time.Now(), Tables: []string{"events"}}); !errors.Is(err, ErrSchema) {
			t.Fatalf("purge of a table without a key: %v", err)
		}
	})
}
