package softdelete

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

type User struct {
	Model
	Email string
}

func TestAliveUniqueReuseAndRestoreConflict(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE users (id {id}, email {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL, UNIQUE (email))`)
		m, err := db.Adopt(ctx, AdoptOptions{Tables: []string{"users"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ApplyMigration(ctx, m, false); err != nil {
			t.Fatalf("%v\n%s", err, Script(m.Up))
		}
		users, err := NewManager[User](db, "users")
		if err != nil {
			t.Fatal(err)
		}
		a := &User{Email: "ann@example.com"}
		must[struct{}](t)(struct{}{}, users.Create(ctx, a))
		dup := &User{Email: "ann@example.com"}
		err = users.Create(ctx, dup)
		var ce *ConflictError
		if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) || ce.Table != "users" || len(ce.LiveKey) != 1 {
			t.Fatalf("duplicate alive email: %v", err)
		}
		must[struct{}](t)(struct{}{}, users.Delete(ctx, a))
		b := &User{Email: "ann@example.com"} // reuse of a deleted row's value
		if err := users.Create(ctx, b); err != nil {
			t.Fatalf("reuse after delete: %v", err)
		}
		before := snapshot(t, db, "users")
		err = users.Restore(ctx, a)
		if !errors.As(err, &ce) || ce.Table != "users" || !slices.Equal(ce.Columns, []string{"email"}) || fmt.Sprint(ce.LiveKey[0]) != fmt.Sprint(b.ID) {
			t.Fatalf("restore onto a taken email: %v (%+v)", err, ce)
		}
		if got := snapshot(t, db, "users"); got != before {
			t.Fatal("refused restore changed data")
		}
		// Save onto a taken value is ErrConflict too.
		must[struct{}](t)(struct{}{}, users.HardDelete(ctx, a))
		c := &User{Email: "cy@example.com"}
		must[struct{}](t)(struct{}{}, users.Create(ctx, c))
		c.Email = "ann@example.com"
		if err := users.Save(ctx, c); !errors.As(err, &ce) || fmt.Sprint(ce.LiveKey[0]) != fmt.Sprint(b.ID) {
			t.Fatalf("save onto a taken email: %v", err)
		}
	})
}

// A hand-made schema with data: adopt applies, doctor goes quiet, the down
// migration gives back the schema it started from.
func TestAdoptAndDoctor(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, d, WithUniqueKey("members", "handle"))
			ctx := context.Background()
			ts := map[string]string{"sqlite": "DATETIME", "postgres": "TIMESTAMP(0)", "mysql": "DATETIME"}[d]
			ddl(t, db,
				`CREATE TABLE accounts (id {id}, email {text} NOT NULL, name {text} NULL, UNIQUE (email))`,
				`CREATE TABLE teams (id {id}, slug {text} NOT NULL, name {text} NOT NULL, deleted_at {ts} NULL, CONSTRAINT teams_slug UNIQUE (slug))`,
				`CREATE INDEX teams_name ON teams (name)`,
				`CREATE TABLE members (id {id}, team_id {big} NOT NULL, handle {text} NOT NULL, deleted_at {ts} NULL,
				  FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE)`,
				`CREATE TABLE legacy (id {id}, deleted_at `+ts+` NULL)`,
			)
			exec(t, db, "INSERT INTO accounts (id, email) VALUES (1, 'a@x'), (2, 'b@x')")
			exec(t, db, "INSERT INTO teams (id, slug, name) VALUES (1, 'red', 'Red'), (2, 'blue', 'Blue')")
			exec(t, db, "UPDATE teams SET deleted_at = '2020-01-01 00:00:00' WHERE id = 2")
			// Duplicates among deleted rows are fine for an alive-only key.
			exec(t, db, "INSERT INTO members (id, team_id, handle, deleted_at) VALUES (1, 1, 'zed', NULL), (2, 1, 'zed', '2020-01-01 00:00:00'), (3, 1, 'zed', '2021-01-01 00:00:00')")

			findings, err := db.Doctor(ctx)
			if err != nil {
				t.Fatal(err)
			}
			has := func(fs []Finding, table string, sev Severity, text string) bool {
				for _, f := range fs {
					if f.Table == table && f.Severity == sev && strings.Contains(f.Problem, text) {
						return true
					}
				}
				return false
			}
			want := []struct {
				table string
				sev   Severity
				text  string
			}{
				{"teams", Danger, "counts deleted rows"},
				{"members", Warning, "declared in code"},
			}
			if d != "mysql" { // MySQL indexes foreign keys itself
				want = append(want, struct {
					table string
					sev   Severity
					text  string
				}{"members", Warning, "has no index"})
			}
			if d != "sqlite" {
				want = append(want, struct {
					table string
					sev   Severity
					text  string
				}{"legacy", Danger, "microseconds"})
			}
			for _, w := range want {
				if !has(findings, w.table, w.sev, w.text) {
					t.Errorf("doctor missed %s %s %q; found %+v", w.table, w.sev, w.text, findings)
				}
			}
			if !Dangerous(findings) {
				t.Error("doctor found nothing dangerous")
			}

			before := fingerprint(t, db)
			m, err := db.Adopt(ctx, AdoptOptions{Tables: []string{"accounts", "teams", "members"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Blocking) > 0 {
				t.Fatalf("blocking: %v", m.Blocking)
			}
			files, err := m.WriteFiles(t.TempDir(), "adopt", "migrate")
			if err != nil || len(files) < 2 || (d != "mysql" && len(files) != 2) {
				t.Fatalf("write files: %v %v", files, err)
			}
			up, _ := os.ReadFile(files[0])
			if !strings.Contains(string(up), "deleted_at") {
				t.Fatalf("up migration:\n%s", up)
			}
			if err := db.ApplyMigration(ctx, m, false); err != nil {
				t.Fatalf("apply: %v\n%s", err, Script(m.Up))
			}
			findings, err = db.Doctor(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				if f.Table != "legacy" && f.Severity != Info {
					t.Errorf("doctor not quiet after adopt: %+v\nup:\n%s", f, Script(m.Up))
				}
			}
			// The adopted schema works: a deleted slug can be reused.
			if _, err := db.Delete(ctx, "teams", 1); err != nil {
				t.Fatal(err)
			}
			exec(t, db, "INSERT INTO teams (id, slug, name) VALUES (3, 'red', 'Red again')")
			exec(t, db, "INSERT INTO accounts (id, email) VALUES (3, 'c@x')")
			if _, err := db.Delete(ctx, "accounts", 3); err != nil {
				t.Fatal(err)
			}
			exec(t, db, "DELETE FROM teams WHERE id = 3")
			exec(t, db, "DELETE FROM accounts WHERE id = 3")
			if _, err := db.Restore(ctx, "teams", 1); err != nil {
				t.Fatal(err)
			}
			if err := db.ApplyMigration(ctx, m, true); err != nil {
				t.Fatalf("down: %v\n%s", err, Script(m.Down))
			}
			if after := fingerprint(t, db); after != before {
				t.Fatalf("down migration did not restore the schema:\n%s\nwant\n%s\ndown:\n%s", after, before, Script(m.Down))
			}
		})
	}
}

// fingerprint describes the schema: tables, columns, indexes, foreign keys.
func fingerprint(t testing.TB, db *DB) string {
	t.Helper()
	if err := db.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, _ := db.loadSchema(context.Background())
	var names []string
	for n := range s.tables {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		tb := s.tables[n]
		fmt.Fprintf(&b, "table %s\n", n)
		for _, c := range tb.Columns {
			fmt.Fprintf(&b, "  col %s %s notnull=%v\n", c.Name, c.Type, c.NotNull)
		}
		var ix []string
		for _, i := range tb.Indexes {
			ix = append(ix, fmt.Sprintf("  index %s (%s) unique=%v alive=%v partial=%v", i.Name, strings.Join(i.Columns, ","), i.Unique, i.AliveOnly, i.Partial))
		}
		slices.Sort(ix)
		for _, l := range ix {
			b.WriteString(l + "\n")
		}
		for _, fk := range tb.Out {
			fmt.Fprintf(&b, "  fk (%s) -> %s(%s) %s\n", strings.Join(fk.ChildCols, ","), fk.Parent, strings.Join(fk.ParentCols, ","), fk.Schema)
		}
	}
	return b.String()
}

func TestStripUnique(t *testing.T) {
	for in, want := range map[string]string{
		`CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT)`:    `CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT NOT NULL , name TEXT)`,
		`CREATE TABLE t (id INTEGER, a TEXT, b TEXT, UNIQUE (a, b), CHECK (a <> 'UNIQUE'))`: `CREATE TABLE t (id INTEGER, a TEXT, b TEXT, CHECK (a <> 'UNIQUE'))`,
		`CREATE TABLE t (id INTEGER, a TEXT, CONSTRAINT t_a UNIQUE (a) ON CONFLICT ABORT)`:  `CREATE TABLE t (id INTEGER, a TEXT)`,
		`CREATE TABLE "u" ("unique" TEXT UNIQUE ON CONFLICT REPLACE, x INT)`:                `CREATE TABLE "u" ("unique" TEXT , x INT)`,
	} {
		got, ok := stripUnique(in)
		if !ok || got != want {
			t.Errorf("stripUnique(%s)\n got %s\nwant %s", in, got, want)
		}
	}
}

func TestAdoptAliveIndexOption(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE items (id {id}, grp {big} NOT NULL, name {text} NULL, deleted_at {ts} NULL)`,
			`CREATE INDEX items_grp ON items (grp)`)
		m, err := db.Adopt(ctx, AdoptOptions{AliveIndexes: map[string][][]string{"items": {{"grp"}, {"name"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ApplyMigration(ctx, m, false); err != nil {
			t.Fatalf("%v\n%s", err, Script(m.Up))
		}
		if !strings.Contains(Script(m.Up), "items_name_alive") || strings.Count(Script(m.Up), "items_grp_alive") != 1 {
			t.Fatalf("up:\n%s", Script(m.Up))
		}
		if err := db.ApplyMigration(ctx, m, true); err != nil {
			t.Fatalf("down: %v\n%s", err, Script(m.Down))
		}
	})
}

func TestAdoptEdgeCases(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE codes (id {id}, code {text} NOT NULL, deleted_at {ts} NULL, UNIQUE (code))`,
			`CREATE TABLE uses (id {id}, code {text} NOT NULL, deleted_at {ts} NULL, FOREIGN KEY (code) REFERENCES codes (code))`,
			`CREATE TABLE tags (id {id}, name {text} NOT NULL UNIQUE, deleted_at {ts} NULL)`,
			`CREATE VIEW tag_names AS SELECT name FROM tags`)
		before := fingerprint(t, db)
		m, err := db.Adopt(ctx, AdoptOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(m.Notes, "\n"), "target of a foreign key of uses") {
			t.Fatalf("notes: %v", m.Notes)
		}
		if err := db.ApplyMigration(ctx, m, false); err != nil {
			t.Fatalf("up: %v\n%s", err, Script(m.Up))
		}
		var n int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM tag_names").Scan(&n); err != nil {
			t.Fatalf("view after adopt: %v", err)
		}
		if err := db.ApplyMigration(ctx, m, true); err != nil {
			t.Fatalf("down: %v\n%s", err, Script(m.Down))
		}
		if after := fingerprint(t, db); after != before {
			t.Fatalf("down did not restore the schema:\n%s\nwant\n%s", after, before)
		}
	})
}
