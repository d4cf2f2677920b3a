package softdelete

import (
	"context"
	"testing"
)

// Every table softdelete creates has a primary key (Galera certifies and
// replicates rows by it; distributed SQL and logical replication want one),
// and a softdelete_nulled table from before, without one, gains it in
// Migrate with its rows kept. SQLite tables have their rowid.
func TestOwnTablesHavePrimaryKeys(t *testing.T) {
	for _, d := range allDialects {
		if d == "sqlite" {
			continue
		}
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := openTest(t, d)
			old := map[string]string{
				"postgres": `CREATE TABLE softdelete_nulled (stamp TIMESTAMPTZ NOT NULL, child_table TEXT NOT NULL,
  fk_name TEXT NOT NULL, row_key TEXT NOT NULL, old_values TEXT NOT NULL)`,
				"mysql": `CREATE TABLE softdelete_nulled (stamp DATETIME(6) NOT NULL, child_table VARCHAR(255) NOT NULL,
  fk_name VARCHAR(255) NOT NULL, row_key TEXT NOT NULL, old_values TEXT NOT NULL, KEY softdelete_nulled_op (stamp))`,
			}[d]
			exec(t, db, old)
			exec(t, db, "INSERT INTO softdelete_nulled (stamp, child_table, fk_name, row_key, old_values) VALUES ('2026-01-02 03:04:05', 'c', 'fk', '[1]', '[2]')")
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			q := map[string]string{
				"postgres": `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE 'softdelete%'
AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')`,
				"mysql": `SELECT t.TABLE_NAME FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = DATABASE()
AND t.TABLE_NAME LIKE 'softdelete%' AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS k
WHERE k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME AND k.CONSTRAINT_TYPE = 'PRIMARY KEY')`,
			}[d]
			rows, err := db.SQL().QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var name string
				rows.Scan(&name)
				t.Errorf("%s has no primary key", name)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM softdelete_nulled"); n != 1 {
				t.Errorf("softdelete_nulled keeps %d rows after the upgrade, want 1", n)
			}
		})
	}
}
