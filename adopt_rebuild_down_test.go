package softdelete

import (
	"context"
	"testing"
)

// The down migration of a SQLite adopt that rebuilt tables, read back from
// the database (Adopted, as softdelete adopt --down --apply does), runs as
// the rebuild itself did: foreign keys off (dropping the rebuilt parent
// with them on ran its children's ON DELETE CASCADE: every child row was
// deleted) and legacy_alter_table on (the rename re-checked a trigger of
// another table naming the rebuilt one: the down failed).
func TestAdoptedDownOfSQLiteRebuild(t *testing.T) {
	ctx := context.Background()
	for _, withTrigger := range []bool{false, true} {
		db := openTest(t, "sqlite")
		ddl(t, db, `CREATE TABLE teams (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE)`,
			`CREATE TABLE members (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE, email TEXT NOT NULL UNIQUE)`,
			`INSERT INTO teams (id, slug) VALUES (1, 'a'), (2, 'b')`,
			`INSERT INTO members (team_id, email) VALUES (1, 'x@a'), (2, 'y@b'), (2, 'z@b')`)
		if withTrigger {
			ddl(t, db, `CREATE TABLE audit (id INTEGER PRIMARY KEY, n INTEGER)`,
				`CREATE TRIGGER audit_ai AFTER INSERT ON audit BEGIN UPDATE members SET email = email WHERE id = NEW.n; END`)
		}
		before := fingerprint(t, db)
		m, err := db.Adopt(ctx, AdoptOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !m.rebuild {
			t.Fatalf("no rebuild planned:\n%s", Script(m.Up))
		}
		if err := db.ApplyMigration(ctx, m, false); err != nil {
			t.Fatalf("%v\n%s", err, Script(m.Up))
		}
		rec, err := db.Adopted(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ApplyMigration(ctx, rec, true); err != nil {
			t.Fatalf("trigger %v: the recorded down: %v", withTrigger, err)
		}
		var n int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM members").Scan(&n); err != nil || n != 3 {
			t.Fatalf("trigger %v: members after the recorded down: %d (%v), want 3", withTrigger, n, err)
		}
		if after := fingerprint(t, db); after != before {
			t.Fatalf("trigger %v: the recorded down:\n%s\nwant\n%s", withTrigger, after, before)
		}
	}
}

// SQLite: a table whose inline UNIQUE constraint adopt cannot rebuild away
// (it has a trigger) gets an alive-only index beside it; adopt run again
// plans nothing (it planned the index again, and the apply failed: index
// already exists).
func TestAdoptAgainSQLiteNotRebuildable(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, "sqlite")
	ddl(t, db, `CREATE TABLE coupons (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE)`,
		`CREATE TRIGGER coupons_ai AFTER INSERT ON coupons BEGIN SELECT 1; END`)
	m, err := db.Adopt(ctx, AdoptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyMigration(ctx, m, false); err != nil {
		t.Fatal(err)
	}
	m, err = db.Adopt(ctx, AdoptOptions{})
	if err != nil || !m.Empty() {
		t.Fatalf("adopt after adopt: %v\n%s", err, Script(m.Up))
	}
}
