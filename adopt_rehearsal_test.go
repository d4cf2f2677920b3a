package softdelete

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// MariaDB commits each DDL statement, so what the server would refuse
// must be found by the rehearsal on empty copies, before any table is
// altered. Each case below puts an innocent table first (aaa, altered
// first by a real apply) and checks that a refused migration leaves the
// schema exactly as it was.
func TestAdoptMySQLRehearsalCatchesKeyAndForeignKeyErrors(t *testing.T) {
	ctx := context.Background()
	refused := func(t *testing.T, db *DB, m *Migration, down bool, want ...string) {
		t.Helper()
		before := fingerprint(t, db)
		if !down {
			err := db.CheckMigration(ctx, m)
			for _, w := range want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("CheckMigration: want %q in %v\n%s", w, err, Script(m.Up))
				}
			}
		}
		err := db.ApplyMigration(ctx, m, down)
		t.Logf("refused: %v", err)
		for _, w := range append(want, "nothing was applied") {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Fatalf("ApplyMigration: want %q in %v\n%s", w, err, Script(m.Up))
			}
		}
		if after := fingerprint(t, db); after != before {
			t.Fatalf("a refused migration changed the schema:\n%s\nwant\n%s", after, before)
		}
		var copies int64
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_softdelete\\_check%'").Scan(&copies); err != nil || copies != 0 {
			t.Fatalf("rehearsal copies left: %d %v", copies, err)
		}
	}

	t.Run("key too long 1071", func(t *testing.T) {
		t.Parallel()
		db := openTest(t, "mysql")
		// Two utf8mb4 VARCHAR(384) are 3072 bytes, InnoDB's limit: an alive
		// index on them plus deleted_at is refused with error 1071.
		ddl(t, db, "CREATE TABLE aaa (id {id})",
			"CREATE TABLE names (id {id}, a VARCHAR(384) NOT NULL, b VARCHAR(384) NOT NULL, KEY names_ab (a, b)) DEFAULT CHARSET=utf8mb4")
		m, err := db.Adopt(ctx, AdoptOptions{AliveIndexes: map[string][][]string{"names": {{"a", "b"}}}})
		if err != nil {
			t.Fatal(err)
		}
		refused(t, db, m, false, "Error 1071", "names_a_b_alive")
	})

	t.Run("unique key would become HASH", func(t *testing.T) {
		t.Parallel()
		db := openTest(t, "mysql")
		// The same two columns as a unique key: with softdelete_alive the
		// key is one byte too long, and MariaDB would silently make it a
		// HASH long unique that serves no lookup.
		ddl(t, db, "CREATE TABLE aaa (id {id})",
			"CREATE TABLE names (id {id}, a VARCHAR(384) NOT NULL, b VARCHAR(384) NOT NULL, UNIQUE KEY names_ab (a, b)) DEFAULT CHARSET=utf8mb4")
		m, err := db.Adopt(ctx, AdoptOptions{})
		if err != nil {
			t.Fatal(err)
		}
		refused(t, db, m, false, "HASH long unique", "names_a_b_key")
	})

	t.Run("column a foreign key uses 1832", func(t *testing.T) {
		t.Parallel()
		db := openTest(t, "mysql")
		// deleted_at without microseconds inside a foreign key (soft
		// deletes cascaded by ON UPDATE CASCADE): adopt widens the column,
		// which the server refuses while the key exists.
		ddl(t, db, "CREATE TABLE aaa (id {id})",
			"CREATE TABLE parents (id {id}, deleted_at DATETIME NULL, UNIQUE KEY parents_live (id, deleted_at))",
			"CREATE TABLE children (id {id}, parent_id BIGINT NOT NULL, deleted_at DATETIME NULL,"+
				" CONSTRAINT children_parent FOREIGN KEY (parent_id, deleted_at) REFERENCES parents (id, deleted_at) ON UPDATE CASCADE)")
		m, err := db.Adopt(ctx, AdoptOptions{})
		if err != nil {
			t.Fatal(err)
		}
		refused(t, db, m, false, "Error 183", "used in a foreign key constraint")
	})

	t.Run("index a foreign key needs 1553", func(t *testing.T) {
		t.Parallel()
		db := openTest(t, "mysql")
		ddl(t, db, "CREATE TABLE customers (id {id})",
			"CREATE TABLE orders (id {id}, customer_id BIGINT NOT NULL, KEY orders_customer (customer_id),"+
				" CONSTRAINT orders_fk FOREIGN KEY (customer_id) REFERENCES customers (id))",
			"CREATE TABLE zzz (id {id})")
		m, err := db.Adopt(ctx, AdoptOptions{AliveIndexes: map[string][][]string{"orders": {{"customer_id"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ApplyMigration(ctx, m, false); err != nil {
			t.Fatal(err)
		}
		// The schema moves on: the plain index goes, and the foreign key
		// now lives on adopt's alive index. Undoing the adoption would
		// drop zzz.deleted_at first, then fail on that index.
		ddl(t, db, "ALTER TABLE orders DROP INDEX orders_customer")
		rec, err := db.Adopted(ctx)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, db, rec, true, "Error 1553", "needed in a foreign key constraint")
	})

	t.Run("key a foreign key references errno 150", func(t *testing.T) {
		t.Parallel()
		db := openTest(t, "mysql")
		ddl(t, db, "CREATE TABLE aaa (id {id})", "CREATE TABLE par (id BIGINT NOT NULL PRIMARY KEY)",
			"CREATE TABLE chi (id {id}, par_id BIGINT, CONSTRAINT chi_fk FOREIGN KEY (par_id) REFERENCES par (id))")
		// A migration written by hand.
		m := &Migration{Up: []string{"ALTER TABLE `aaa` ADD COLUMN `note` TEXT", "ALTER TABLE `par` DROP PRIMARY KEY"},
			Down: []string{"ALTER TABLE `par` ADD PRIMARY KEY (`id`)", "ALTER TABLE `aaa` DROP COLUMN `note`"}}
		refused(t, db, m, false, "errno: 150")
	})
}

// A user who may only read: doctor and adopt's plan work, and adopt
// --apply fails before changing anything with a *PrivilegeError that
// names the privilege missing.
func TestAdoptReadOnlyUser(t *testing.T) {
	for _, d := range []string{"postgres", "mysql"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			u := testURL(t, d)
			owner, err := Open(u)
			if err != nil {
				t.Fatal(err)
			}
			defer owner.Close()
			ddl(t, owner, "CREATE TABLE teams (id {id}, slug {text} NOT NULL, deleted_at {ts})",
				"CREATE UNIQUE INDEX teams_slug ON teams (slug)",
				"CREATE TABLE members (id {id}, team_id {big} NOT NULL REFERENCES teams (id))")
			ru := readOnlyUser(t, owner, u)
			before := fingerprint(t, owner)
			ro, err := Open(ru)
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			rep, err := ro.DoctorReport(ctx)
			if err != nil || !Dangerous(rep.Findings) {
				t.Fatalf("doctor as a read-only user: %+v %v", rep, err)
			}
			m, err := ro.Adopt(ctx, AdoptOptions{})
			if err != nil || m.Empty() {
				t.Fatalf("adopt plan as a read-only user: %v %v", m, err)
			}
			err = ro.ApplyMigration(ctx, m, false)
			t.Logf("refused: %v", err)
			var pe *PrivilegeError
			want := map[string]string{"postgres": "does not own members, teams", "mysql": "CREATE command denied"}[d]
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("adopt --apply as a read-only user: want a *PrivilegeError with %q, got %v", want, err)
			}
			if after := fingerprint(t, owner); after != before {
				t.Fatalf("a refused adopt changed the schema:\n%s\nwant\n%s", after, before)
			}
			if rec, err := owner.Adopted(ctx); err != nil || !rec.Empty() {
				t.Fatalf("journal after a refused adopt: %v %v", rec, err)
			}
		})
	}
}

// readOnlyUser creates a database user that may only read the test's
// database (MariaDB) or schema (PostgreSQL) and returns u with that user;
// the user is dropped when the test ends.
func readOnlyUser(t testing.TB, owner *DB, u string) string {
	t.Helper()
	adm, err := admin(owner.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	run := func(q string) {
		t.Helper()
		if _, err := adm.SQL().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	name := randName() + "_ro"
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	switch owner.Dialect() {
	case "postgres":
		schema := parsed.Query().Get("search_path")
		run("CREATE ROLE " + name + " LOGIN")
		t.Cleanup(func() {
			adm.SQL().Exec("DROP OWNED BY " + name)
			adm.SQL().Exec("DROP ROLE " + name)
		})
		run("GRANT USAGE ON SCHEMA " + schema + " TO " + name)
		run("GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + name)
	case "mysql":
		user := "'" + name + "'@'127.0.0.1'"
		run("CREATE USER " + user)
		t.Cleanup(func() { adm.SQL().Exec("DROP USER " + user) })
		run("GRANT SELECT ON `" + strings.TrimPrefix(parsed.Path, "/") + "`.* TO " + user)
	default:
		t.Fatalf("no users on %s", owner.Dialect())
	}
	parsed.User = url.User(name)
	return parsed.String()
}
