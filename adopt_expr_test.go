package softdelete

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

// Unique keys over expressions (PostgreSQL and SQLite expression indexes;
// on MariaDB, which has no functional key parts, a unique key over a
// generated column) count deleted rows like any other: doctor reports
// them as a danger with the fix adopt applies, and adopt makes them
// alive-only keeping the expression (the same definition plus WHERE
// deleted_at IS NULL; MariaDB: the helper column in the key). After
// adopt, a deleted row's value can be reused, a restore that would
// collide is refused and changes nothing, doctor is quiet, and the down
// migration gives every definition back.
func TestAdoptExpressionUniqueKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		switch db.Dialect() {
		case "mysql":
			ddl(t, db, "CREATE TABLE users (id {id}, email VARCHAR(100) NOT NULL, tenant_id BIGINT NOT NULL, deleted_at DATETIME(6) NULL,"+
				" email_lower VARCHAR(100) AS (LOWER(email)) VIRTUAL,"+
				" UNIQUE KEY users_email_lower (email_lower), UNIQUE KEY users_tenant_email (tenant_id, email_lower))")
		default:
			ddl(t, db, `CREATE TABLE users (id {id}, email {text} NOT NULL, tenant_id {big} NOT NULL, deleted_at {ts})`,
				`CREATE UNIQUE INDEX users_email_lower ON users (lower(email))`,
				`CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, lower(email)) WHERE tenant_id > 0`)
		}
		ddl(t, db, `INSERT INTO users (email, tenant_id) VALUES ('Ann@x', 1), ('bob@x', 1)`)
		before := fingerprint(t, db)
		idxBefore := indexBodies(t, db)

		// doctor: both keys are dangers, the fix is adopt's.
		rep, err := db.DoctorReport(ctx)
		if err != nil {
			t.Fatal(err)
		}
		dangers := map[string]Finding{}
		for _, f := range rep.Findings {
			if f.Severity == Danger {
				for _, k := range []string{"users_email_lower", "users_tenant_email"} {
					if strings.Contains(f.Problem, k+"(") {
						dangers[k] = f
					}
				}
			}
		}
		if len(dangers) != 2 {
			t.Fatalf("doctor: want both expression keys as dangers, got %+v", rep.Findings)
		}
		m, err := db.Adopt(ctx, AdoptOptions{})
		if err != nil {
			t.Fatal(err)
		}
		up := Script(m.Up)
		for k, f := range dangers {
			if !strings.Contains(f.Fix, "softdelete adopt --table users") {
				t.Errorf("doctor's fix for %s is not adopt: %q", k, f.Fix)
			}
			// The definition doctor announces is the one adopt writes.
			if db.Dialect() != "mysql" {
				_, def, _ := strings.Cut(f.Fix, "recreates the index as ")
				if def == "" || !strings.Contains(up, def) {
					t.Errorf("doctor announces %q for %s; adopt writes:\n%s", def, k, up)
				}
			}
		}
		switch db.Dialect() {
		case "postgres":
			for _, want := range []string{"(lower(email)) WHERE \"deleted_at\" IS NULL", "(tenant_id, lower(email)) WHERE ((tenant_id > 0)) AND \"deleted_at\" IS NULL"} {
				if !strings.Contains(up, want) {
					t.Errorf("adopt lost the expression: want %q in\n%s", want, up)
				}
			}
		case "sqlite":
			for _, want := range []string{`(lower(email)) WHERE "deleted_at" IS NULL`, `(tenant_id, lower(email)) WHERE (tenant_id > 0) AND "deleted_at" IS NULL`} {
				if !strings.Contains(up, want) {
					t.Errorf("adopt lost the expression: want %q in\n%s", want, up)
				}
			}
		}
		if err := db.ApplyMigration(ctx, m, false); err != nil {
			t.Fatalf("apply: %v\n%s", err, up)
		}
		if m2, err := db.Adopt(ctx, AdoptOptions{}); err != nil || !m2.Empty() {
			t.Fatalf("adopt after adopt: %v\n%s", err, Script(m2.Up))
		}
		quiet(t, db)

		// A deleted row's value can be reused (in any case, the key is
		// lower(email)); restoring it while a live row holds the value is
		// refused and changes nothing.
		if _, err := db.Delete(ctx, "users", 1); err != nil {
			t.Fatal(err)
		}
		ddl(t, db, `INSERT INTO users (email, tenant_id) VALUES ('ANN@x', 1)`)
		if _, err := db.Restore(ctx, "users", 1); !errors.Is(err, ErrConflict) {
			t.Fatalf("restore over a live lower(email): %v", err)
		}
		var alive int64
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM users WHERE deleted_at IS NULL").Scan(&alive); err != nil || alive != 2 {
			t.Fatalf("after the refused restore: %d alive, %v", alive, err)
		}
		ddl(t, db, `DELETE FROM users WHERE deleted_at IS NULL AND email = 'ANN@x'`) // (not by id: Galera steps AUTO_INCREMENT)
		if _, err := db.Restore(ctx, "users", 1); err != nil {
			t.Fatalf("restore once the value is free: %v", err)
		}

		// Down: the original definitions.
		if err := db.ApplyMigration(ctx, m, true); err != nil {
			t.Fatalf("down: %v\n%s", err, Script(m.Down))
		}
		if after := fingerprint(t, db); after != before {
			t.Errorf("down did not restore the schema:\n%s\nwant\n%s", after, before)
		}
		idxAfter := indexBodies(t, db)
		for tbl := range idxAfter {
			if strings.HasPrefix(tbl, "softdelete_") {
				delete(idxAfter, tbl)
			}
		}
		if !maps.EqualFunc(idxBefore, idxAfter, slices.Equal[[]string]) {
			t.Errorf("down did not restore the indexes:\n%q\nwant\n%q", idxAfter, idxBefore)
		}
	})
}
