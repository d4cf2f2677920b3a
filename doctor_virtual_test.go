package softdelete

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestDoctorVirtualAliveHelper: a MariaDB table adopted before the helper
// column became STORED (b12b291) keeps a VIRTUAL softdelete_alive, over
// which InnoDB has corrupted unique indexes (TestSampleDBStress). Doctor
// flags it with the one statement that converts it, keys and all; after
// that statement the finding is gone and the keys still count alive rows
// only.
func TestDoctorVirtualAliveHelper(t *testing.T) {
	db := openTest(t, "mysql")
	ctx := context.Background()
	ddl(t, db,
		`CREATE TABLE accounts (id {big} NOT NULL PRIMARY KEY, email VARCHAR(200) NOT NULL, handle VARCHAR(300) NOT NULL, deleted_at {ts} NULL,
  softdelete_alive TINYINT AS (IF(deleted_at IS NULL, 1, NULL)) VIRTUAL INVISIBLE,
  UNIQUE KEY accounts_email_alive (email, softdelete_alive), UNIQUE KEY accounts_handle_alive (handle(40), softdelete_alive))`,
		`INSERT INTO accounts (id, email, handle) VALUES (1, 'a@x', 'ha'), (2, 'b@x', 'hb')`)
	if _, err := db.Delete(ctx, "accounts", 1); err != nil {
		t.Fatal(err)
	}
	exec(t, db, "INSERT INTO accounts (id, email, handle) VALUES (3, 'a@x', 'ha')") // reuses a deleted row's values
	finding := func() *Finding {
		t.Helper()
		rep, err := db.DoctorReport(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range rep.Findings {
			if f.Table == "accounts" && strings.Contains(f.Problem, "VIRTUAL") {
				return &rep.Findings[i]
			}
		}
		return nil
	}
	f := finding()
	if f == nil {
		t.Fatal("doctor does not flag the VIRTUAL helper column")
	}
	i := strings.Index(f.Fix, "ALTER TABLE")
	if i < 0 {
		t.Fatalf("fix without the statement: %q", f.Fix)
	}
	exec(t, db, f.Fix[i:])
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if f := finding(); f != nil {
		t.Fatalf("still flagged after the fix: %+v", f)
	}
	var extra string
	if err := db.SQL().QueryRow("SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'softdelete_alive'").Scan(&extra); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(extra, "STORED") {
		t.Fatalf("helper column after the fix: %q", extra)
	}
	// The keys, prefix length included, still count alive rows only.
	var def string
	var tbl string
	if err := db.SQL().QueryRow("SHOW CREATE TABLE accounts").Scan(&tbl, &def); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "`handle`(40)") {
		t.Errorf("the prefix length is lost: %s", def)
	}
	if _, err := db.SQL().Exec("INSERT INTO accounts (id, email, handle) VALUES (4, 'a@x', 'hz')"); err == nil {
		t.Error("a second live a@x was accepted")
	}
	if _, err := db.Delete(ctx, "accounts", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Restore(ctx, "accounts", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Restore(ctx, "accounts", 3); !errors.Is(err, ErrConflict) {
		t.Errorf("restore onto a live a@x: %v, want ErrConflict", err)
	}
}
