package softdelete

import (
	"context"
	"testing"
	"time"
)

type reuseTeam struct {
	ID        int64      `db:"id"`
	DeletedAt *time.Time `db:"deleted_at"`
}

type reusePlayer struct {
	ID        int64      `db:"id"`
	TeamID    *int64     `db:"team_id"`
	ClubID    *int64     `db:"club_id"`
	DeletedAt *time.Time `db:"deleted_at"`
}

// A reference cleared by SET NULL is put back by a restore only on the
// row the delete cleared it on, and only to the parent the delete hid:
// when either row is removed for good (a second Delete, HardDelete, the
// database's CASCADE of a hard delete, Purge), its bookkeeping goes with it
// in the same transaction, so that a new row reusing the key is never
// re-linked.
func TestSetNullBookkeepingDiesWithTheRow(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE teams (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`,
			`CREATE TABLE clubs (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`,
			`CREATE TABLE players (id {big} NOT NULL PRIMARY KEY,
			  team_id {big} NULL REFERENCES teams (id) ON DELETE SET NULL,
			  club_id {big} NULL REFERENCES clubs (id) ON DELETE CASCADE,
			  deleted_at {ts} NULL)`)
		exec(t, db, "INSERT INTO teams (id) VALUES (1), (2), (3), (4), (5), (6)")
		exec(t, db, "INSERT INTO clubs (id) VALUES (1)")
		exec(t, db, `INSERT INTO players (id, team_id, club_id) VALUES
		  (10, 1, NULL), (11, 2, NULL), (12, 3, 1), (13, 4, NULL), (15, 5, NULL), (16, 6, NULL)`)
		players, err := NewManager[reusePlayer](db, "players")
		if err != nil {
			t.Fatal(err)
		}
		teams, err := NewManager[reuseTeam](db, "teams")
		if err != nil {
			t.Fatal(err)
		}
		clubs, err := NewManager[reuseTeam](db, "clubs")
		if err != nil {
			t.Fatal(err)
		}
		del := func(table string, id int64) *Operation {
			t.Helper()
			op, err := db.Delete(ctx, table, id)
			if err != nil {
				t.Fatal(err)
			}
			if op.Nulled["players.team_id"] != 1 {
				t.Fatalf("delete of %s %d nulled %v", table, id, op.Nulled)
			}
			return op
		}
		entries := func(q string) int64 {
			t.Helper()
			return count(t, db, "SELECT COUNT(*) FROM softdelete_nulled WHERE "+q)
		}

		// 1. The child is removed by a second Delete, a new one takes its key.
		opA := del("teams", 1)
		p10 := &reusePlayer{ID: 10}
		if err := players.Delete(ctx, p10); err != nil {
			t.Fatal(err)
		}
		if err := players.Delete(ctx, p10); err != nil { // for good
			t.Fatal(err)
		}
		if n := entries("row_key = '10'"); n != 0 {
			t.Errorf("player 10 removed for good, %d bookkeeping rows left for it", n)
		}
		exec(t, db, "INSERT INTO players (id) VALUES (10)")

		// 2. The child is purged, a new one takes its key.
		opB := del("teams", 2)
		if _, err := db.Delete(ctx, "players", 11); err != nil {
			t.Fatal(err)
		}
		res, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Hour), Tables: []string{"players"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts["players"] != 1 {
			t.Fatalf("purged %v, want player 11", res.Counts)
		}
		if n := entries("row_key = '11'"); n != 0 {
			t.Errorf("player 11 purged, %d bookkeeping rows left for it", n)
		}
		exec(t, db, "INSERT INTO players (id) VALUES (11)")

		// 3. The child goes with the CASCADE of its club's hard delete.
		opC := del("teams", 3)
		if err := clubs.HardDelete(ctx, &reuseTeam{ID: 1}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM players WHERE id = 12"); n != 0 {
			t.Fatalf("player 12 still there after its club's hard delete")
		}
		if n := entries("row_key = '12'"); n != 0 {
			t.Errorf("player 12 removed by CASCADE, %d bookkeeping rows left for it", n)
		}
		exec(t, db, "INSERT INTO players (id) VALUES (12)")

		// 4. The parent is removed for good, a new one takes its key.
		opD := del("teams", 4)
		if err := teams.Delete(ctx, &reuseTeam{ID: 4, DeletedAt: opD.Stamp}); err != nil { // for good
			t.Fatal(err)
		}
		if n := entries("old_values = '4'"); n != 0 {
			t.Errorf("team 4 removed for good, %d bookkeeping rows left for it", n)
		}
		exec(t, db, "INSERT INTO teams (id) VALUES (4)")

		// 5. One of two parents of a bulk delete is removed for good and
		// its key reused; the other comes back with its child.
		if n, err := teams.Where("id IN (?)", []int64{5, 6}).Delete(ctx); err != nil || n != 2 {
			t.Fatalf("bulk delete: %d %v", n, err)
		}
		ops, err := db.Operations(ctx, OpFilter{Table: "teams", Kind: OpDelete, Limit: 1})
		if err != nil || len(ops) != 1 || ops[0].Counts["teams"] != 2 {
			t.Fatalf("bulk delete's operation: %v %v", ops, err)
		}
		opE := &ops[0]
		if err := teams.Delete(ctx, &reuseTeam{ID: 5, DeletedAt: opE.Stamp}); err != nil { // for good
			t.Fatal(err)
		}
		exec(t, db, "INSERT INTO teams (id) VALUES (5)")

		for _, op := range []*Operation{opA, opB, opC} {
			if _, err := db.Undo(ctx, op.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Undo(ctx, opD.ID); err == nil {
			t.Fatalf("undo of a delete whose only row is gone for good succeeded")
		}
		if _, err := db.Undo(ctx, opE.ID); err != nil {
			t.Fatal(err)
		}
		got := idList(t, db, "SELECT id * 100 + COALESCE(team_id, 0) FROM players ORDER BY id")
		if want := "1000 1100 1200 1300 1500 1606"; got != want {
			t.Fatalf("players (id team) after the undos: %s, want %s (a new row was re-linked to an old parent, or an old row to a new parent)", got, want)
		}
		if n := entries("1=1"); n != 0 {
			t.Errorf("%d bookkeeping rows left", n)
		}
	})
}

type reuseTag struct {
	Code      string     `db:"code"`
	OwnerID   *int64     `db:"owner_id"`
	DeletedAt *time.Time `db:"deleted_at"`
}

// The same for rows the database's CASCADE removes through a tree (swept
// after the DELETE) and for text keys.
func TestSetNullBookkeepingDiesWithTreesAndTextKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE owners (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`,
			`CREATE TABLE nodes (id {big} NOT NULL PRIMARY KEY,
			  parent_id {big} NULL REFERENCES nodes (id) ON DELETE CASCADE,
			  owner_id {big} NULL REFERENCES owners (id) ON DELETE SET NULL,
			  deleted_at {ts} NULL)`,
			`CREATE TABLE tags (code {text} NOT NULL PRIMARY KEY,
			  owner_id {big} NULL REFERENCES owners (id) ON DELETE SET NULL,
			  deleted_at {ts} NULL)`)
		exec(t, db, "INSERT INTO owners (id) VALUES (1)")
		exec(t, db, "INSERT INTO nodes (id, parent_id, owner_id) VALUES (1, NULL, 1), (2, 1, 1), (3, 2, 1), (4, NULL, 1)")
		exec(t, db, "INSERT INTO tags (code, owner_id) VALUES ('a', 1), ('b', 1)")
		op, err := db.Delete(ctx, "owners", 1)
		if err != nil {
			t.Fatal(err)
		}
		if op.Nulled["nodes.owner_id"] != 4 || op.Nulled["tags.owner_id"] != 2 {
			t.Fatalf("nulled %v", op.Nulled)
		}
		type node struct {
			ID        int64      `db:"id"`
			ParentID  *int64     `db:"parent_id"`
			OwnerID   *int64     `db:"owner_id"`
			DeletedAt *time.Time `db:"deleted_at"`
		}
		nm, err := NewManager[node](db, "nodes")
		if err != nil {
			t.Fatal(err)
		}
		tm, err := NewManager[reuseTag](db, "tags", PrimaryKey("code"))
		if err != nil {
			t.Fatal(err)
		}
		if err := nm.HardDelete(ctx, &node{ID: 1}); err != nil { // 2 and 3 go by CASCADE
			t.Fatal(err)
		}
		if err := tm.HardDelete(ctx, &reuseTag{Code: "a"}); err != nil {
			t.Fatal(err)
		}
		if got := idList(t, db, "SELECT row_key FROM softdelete_nulled ORDER BY row_key"); got != "4 b" {
			t.Errorf("bookkeeping left for rows %q, want 4 b", got)
		}
		exec(t, db, "INSERT INTO nodes (id, parent_id) VALUES (1, NULL), (2, 1), (3, 2)")
		exec(t, db, "INSERT INTO tags (code) VALUES ('a')")
		if _, err := db.Undo(ctx, op.ID); err != nil {
			t.Fatal(err)
		}
		if got := idList(t, db, "SELECT COALESCE(owner_id, 0) FROM nodes ORDER BY id"); got != "0 0 0 1" {
			t.Errorf("nodes' owners after undo: %s, want 0 0 0 1", got)
		}
		if got := idList(t, db, "SELECT COALESCE(owner_id, 0) FROM tags ORDER BY code"); got != "0 1" {
			t.Errorf("tags' owners after undo: %s, want 0 1", got)
		}
	})
}

// Tables made before the bookkeeping's row index get it from Migrate (and
// from the first operation that writes); readers work without it.
func TestNulledRowIndexUpgrade(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			u := testURL(t, d)
			ctx := context.Background()
			old, err := Open(u)
			if err != nil {
				t.Fatal(err)
			}
			defer old.Close()
			if err := old.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			drop := "DROP INDEX softdelete_nulled_row"
			if d == "mysql" {
				drop = "ALTER TABLE softdelete_nulled DROP KEY softdelete_nulled_row"
			}
			exec(t, old, drop)
			has := func(db *DB) bool {
				idx, err := db.ownIndexes(ctx, db.exec())
				if err != nil {
					t.Fatal(err)
				}
				return idx["softdelete_nulled.softdelete_nulled_row"]
			}
			reader, err := Open(u)
			if err != nil {
				t.Fatal(err)
			}
			defer reader.Close()
			if _, err := reader.Operations(ctx, OpFilter{}); err != nil {
				t.Fatalf("reading the log without the index: %v", err)
			}
			if has(reader) {
				t.Fatal("a reader created the index")
			}
			ddl(t, reader, `CREATE TABLE things (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`)
			exec(t, reader, "INSERT INTO things (id) VALUES (1)")
			if _, err := reader.Delete(ctx, "things", 1); err != nil {
				t.Fatal(err)
			}
			if !has(reader) {
				t.Fatal("the first write did not create the index")
			}
		})
	}
}
