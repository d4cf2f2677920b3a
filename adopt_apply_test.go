package softdelete

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// On MariaDB (no transactional DDL) a statement the database would refuse
// is found before anything is applied; a failure part-way is recorded and
// can be finished by planning again, or undone from the record.
func TestAdoptMySQLRehearsalAndResume(t *testing.T) {
	u := testURL(t, "mysql")
	db, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	ddl(t, db,
		`CREATE TABLE accounts (id {id}, email VARCHAR(191) NOT NULL, UNIQUE KEY accounts_email (email))`,
		`CREATE TABLE notes (id {id}, account_id {big} NOT NULL, body TEXT NOT NULL, FULLTEXT KEY notes_body (body),
		   FOREIGN KEY (account_id) REFERENCES accounts (id))`,
		`CREATE TABLE tags (id {id}, name VARCHAR(100) NOT NULL, UNIQUE KEY tags_name (name(50)))`)
	before := fingerprint(t, db)

	// An alive index on a TEXT column without a prefix (error 1170): the
	// rehearsal refuses it, and no table was touched.
	m, err := db.Adopt(ctx, AdoptOptions{AliveIndexes: map[string][][]string{"notes": {{"body"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CheckMigration(ctx, m); err == nil || !strings.Contains(err.Error(), "rehearsal") {
		t.Fatalf("check of a migration with an impossible index: %v", err)
	}
	err = db.ApplyMigration(ctx, m, false)
	if err == nil || !strings.Contains(err.Error(), "nothing was applied") {
		t.Fatalf("apply with an impossible index: %v", err)
	}
	if after := fingerprint(t, db); after != before {
		t.Fatalf("a refused migration changed the schema:\n%s\nwant\n%s", after, before)
	}

	// A failure part-way (injected on the real tags statement): recorded.
	fail := errors.New("injected failure")
	faulty, err := Open(u, WithStatementHook(func(_ context.Context, q string, _ []any) error {
		if strings.HasPrefix(q, "ALTER TABLE `tags` DROP INDEX") {
			return fail
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer faulty.Close()
	m, err = faulty.Adopt(ctx, AdoptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = faulty.ApplyMigration(ctx, m, false)
	if !errors.Is(err, fail) || !strings.Contains(err.Error(), "adopt again to finish") {
		t.Fatalf("apply with a failure part-way: %v", err)
	}
	rec, err := db.Adopted(ctx)
	if err != nil || rec.Empty() || len(rec.steps) >= len(m.steps) {
		t.Fatalf("recorded after the failure: %v %d of %d steps", err, len(rec.steps), len(m.steps))
	}
	// Undo from the record gives back the original schema.
	if err := db.ApplyMigration(ctx, rec, true); err != nil {
		t.Fatalf("down of the partial apply: %v\n%s", err, Script(rec.Down))
	}
	if after := fingerprint(t, db); after != before {
		t.Fatalf("down of the partial apply:\n%s\nwant\n%s", after, before)
	}
	if rec, _ := db.Adopted(ctx); !rec.Empty() {
		t.Fatalf("record left after the down: %q", rec.Down)
	}

	// Or finish: fail part-way again, then plan and apply again.
	m, _ = faulty.Adopt(ctx, AdoptOptions{})
	if err := faulty.ApplyMigration(ctx, m, false); !errors.Is(err, fail) {
		t.Fatalf("second partial apply: %v", err)
	}
	m, err = db.Adopt(ctx, AdoptOptions{})
	if err != nil || m.Empty() {
		t.Fatalf("plan after a partial apply: %v %v", err, m.Up)
	}
	if err := db.ApplyMigration(ctx, m, false); err != nil {
		t.Fatalf("finishing: %v\n%s", err, Script(m.Up))
	}
	quiet(t, db)
	if !strings.Contains(fingerprintIndexes(t, db, "notes"), "notes_body") {
		t.Fatal("FULLTEXT index lost")
	}
	// Both applies are recorded: one down undoes them together.
	rec, err = db.Adopted(ctx)
	if err != nil || len(rec.journalIDs) != 2 {
		t.Fatalf("records: %v %v", err, rec.journalIDs)
	}
	if err := db.ApplyMigration(ctx, rec, true); err != nil {
		t.Fatalf("down: %v\n%s", err, Script(rec.Down))
	}
	if after := fingerprint(t, db); after != before {
		t.Fatalf("down after finishing:\n%s\nwant\n%s", after, before)
	}
}

func fingerprintIndexes(t testing.TB, db *DB, table string) string {
	return strings.Join(indexBodies(t, db)[table], "\n") + "\n" + fingerprint(t, db)
}

// The down migration of an applied adopt is available from the database
// itself on every dialect.
func TestAdoptedDownAfterApply(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE teams (id {id}, slug {text} NOT NULL, CONSTRAINT teams_slug UNIQUE (slug))`,
			`CREATE TABLE members (id {id}, team_id {big} NOT NULL, FOREIGN KEY (team_id) REFERENCES teams (id))`)
		before := fingerprint(t, db)
		if rec, err := db.Adopted(ctx); err != nil || !rec.Empty() {
			t.Fatalf("record before adopt: %v %v", err, rec)
		}
		m, err := db.Adopt(ctx, AdoptOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ApplyMigration(ctx, m, false); err != nil {
			t.Fatal(err)
		}
		rec, err := db.Adopted(ctx)
		if err != nil || !slicesEqual(rec.Down, m.Down) {
			t.Fatalf("recorded down %q, want %q (%v)", rec.Down, m.Down, err)
		}
		if err := db.ApplyMigration(ctx, rec, true); err != nil {
			t.Fatal(err)
		}
		if after := fingerprint(t, db); after != before {
			t.Fatalf("down:\n%s\nwant\n%s", after, before)
		}
	})
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// SQLite Sakila: tables with triggers but no inline UNIQUE constraint get
// no note about inline UNIQUE constraints, and --table limits the notes
// to the tables asked for.
func TestAdoptSQLiteSakilaNotes(t *testing.T) {
	db := openTest(t, "sqlite")
	ctx := context.Background()
	src, err := os.ReadFile(filepath.Join("testdata", "sampledb", "sakila", "sqlite.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(string(src)); err != nil {
		t.Fatal(err)
	}
	// One table that really has an inline UNIQUE and a trigger.
	ddl(t, db, `CREATE TABLE coupons (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE)`,
		`CREATE TRIGGER coupons_ai AFTER INSERT ON coupons BEGIN SELECT 1; END`)
	m, err := db.Adopt(ctx, AdoptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inline := 0
	for _, n := range m.Notes {
		if strings.Contains(n, "inline UNIQUE") {
			inline++
			if !strings.HasPrefix(n, "coupons ") {
				t.Errorf("false note: %s", n)
			}
		}
	}
	if inline != 1 {
		t.Errorf("notes about inline UNIQUE constraints: %d, want 1 (coupons): %q", inline, m.Notes)
	}
	m, err = db.Adopt(ctx, AdoptOptions{Tables: []string{"rental"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Notes {
		if !strings.HasPrefix(n, "rental") && !strings.Contains(n, "ordinary indexes of these tables") {
			t.Errorf("note about a table outside --table: %s", n)
		}
	}
	if err := db.ApplyMigration(ctx, m, false); err != nil {
		t.Fatalf("%v\n%s", err, Script(m.Up))
	}
	var triggers int
	db.SQL().QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'rental'").Scan(&triggers)
	if triggers != 2 {
		t.Fatalf("rental triggers after adopt: %d", triggers)
	}
}

// PostgreSQL: a unique index keeps its method, operator classes,
// collations, INCLUDE columns and predicate when it becomes alive-only;
// other indexes (hash, GIN on an expression) are left alone; the down
// migration gives every definition back.
func TestAdoptKeepsUniqueDefinitionsPostgres(t *testing.T) {
	db := openTest(t, "postgres")
	ctx := context.Background()
	ddl(t, db,
		`CREATE TABLE docs (id {id}, code TEXT NOT NULL, lang TEXT NOT NULL, title TEXT, kind TEXT NOT NULL)`,
		`CREATE UNIQUE INDEX docs_code_lang ON docs USING btree (code text_pattern_ops, lang COLLATE "C" DESC) INCLUDE (title) WHERE kind <> 'draft'`,
		`CREATE INDEX docs_title_fts ON docs USING gin (to_tsvector('simple', title))`,
		`CREATE INDEX docs_kind ON docs USING hash (kind)`,
		`ALTER TABLE docs ADD CONSTRAINT docs_title_kind UNIQUE (title, kind) INCLUDE (lang)`)
	before := indexBodies(t, db)
	m, err := db.Adopt(ctx, AdoptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyMigration(ctx, m, false); err != nil {
		t.Fatalf("%v\n%s", err, Script(m.Up))
	}
	after := indexBodies(t, db)
	checkNoIndexLost(t, "postgres", before, after)
	if !slices.Contains(after["docs"], "unique USING btree (code text_pattern_ops, lang COLLATE \"C\" DESC) INCLUDE (title) WHERE ((kind <> 'draft'::text) AND (deleted_at IS NULL))") {
		t.Errorf("converted: %q", after["docs"])
	}
	if err := db.ApplyMigration(ctx, m, true); err != nil {
		t.Fatalf("%v\n%s", err, Script(m.Down))
	}
	got := indexBodies(t, db)
	delete(got, "softdelete_adoptions")
	if !maps.EqualFunc(got, before, slices.Equal[[]string]) {
		t.Errorf("down:\n%q\nwant\n%q", got, before)
	}
}
