package softdelete

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/golang-migrate/migrate/v4"
	migratemysql "github.com/golang-migrate/migrate/v4/database/mysql"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	_ "github.com/golang-migrate/migrate/v4/source/file"
	"github.com/pressly/goose/v3"
)

// The migration files adopt writes apply as they are with goose and with
// golang-migrate, each with its defaults (on MySQL: no multiStatements),
// and their down migrations give back the schema.
func TestAdoptMigrationFilesApplyWithGooseAndMigrate(t *testing.T) {
	for _, tool := range []string{"goose", "migrate"} {
		t.Run(tool, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db *DB) {
				ctx := context.Background()
				ddl(t, db,
					`CREATE TABLE teams (id {id}, slug {text} NOT NULL, CONSTRAINT teams_slug UNIQUE (slug))`,
					`CREATE TABLE members (id {id}, team_id {big} NOT NULL, handle {text} NOT NULL, FOREIGN KEY (team_id) REFERENCES teams (id))`,
					`CREATE UNIQUE INDEX members_handle ON members (handle)`,
					`CREATE INDEX members_team ON members (team_id)`)
				before := fingerprint(t, db)
				m, err := db.Adopt(ctx, AdoptOptions{})
				if err != nil || len(m.Blocking) > 0 {
					t.Fatalf("adopt: %v %v", err, m.Blocking)
				}
				dir := t.TempDir()
				files, err := m.WriteFiles(dir, "softdelete_adopt", tool)
				if err != nil {
					t.Fatal(err)
				}
				if tool == "goose" {
					text, _ := os.ReadFile(files[0])
					if strings.Contains(string(text), "StatementBegin") {
						t.Fatalf("goose file in one block:\n%s", text)
					}
				}
				up, down := applyWithTool(t, db, tool, dir)
				if err := up(); err != nil {
					t.Fatalf("%s up: %v\n%s", tool, err, Script(m.Up))
				}
				if err := db.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
				quiet(t, db)
				if err := down(); err != nil {
					t.Fatalf("%s down: %v\n%s", tool, err, Script(m.Down))
				}
				// The tool's own version table is not part of the comparison.
				versions := map[string]string{"goose": "goose_db_version", "migrate": "schema_migrations"}[tool]
				if _, err := db.SQL().Exec("DROP TABLE " + versions); err != nil {
					t.Fatal(err)
				}
				if after := fingerprint(t, db); after != before {
					t.Fatalf("%s down did not restore the schema:\n%s\nwant\n%s", tool, after, before)
				}
			})
		})
	}
}

// applyWithTool returns up and down functions running the migrations in
// dir with goose or golang-migrate on db's own pool (the DSN softdelete
// opens: no multiStatements on MySQL).
func applyWithTool(t *testing.T, db *DB, tool, dir string) (up, down func() error) {
	ctx := context.Background()
	if tool == "goose" {
		dialect := map[string]goose.Dialect{"sqlite": goose.DialectSQLite3, "postgres": goose.DialectPostgres, "mysql": goose.DialectMySQL}[db.Dialect()]
		p, err := goose.NewProvider(dialect, db.SQL(), os.DirFS(dir))
		if err != nil {
			t.Fatal(err)
		}
		return func() error { _, err := p.Up(ctx); return err },
			func() error { _, err := p.DownTo(ctx, 0); return err }
	}
	var mg *migrate.Migrate
	var err error
	switch db.Dialect() {
	case "sqlite":
		drv, derr := migratesqlite.WithInstance(db.SQL(), &migratesqlite.Config{})
		if derr != nil {
			t.Fatal(derr)
		}
		mg, err = migrate.NewWithDatabaseInstance("file://"+dir, "sqlite", drv)
	case "postgres":
		drv, derr := migratepgx.WithInstance(db.SQL(), &migratepgx.Config{})
		if derr != nil {
			t.Fatal(derr)
		}
		mg, err = migrate.NewWithDatabaseInstance("file://"+dir, "pgx", drv)
	case "mysql":
		drv, derr := migratemysql.WithInstance(db.SQL(), &migratemysql.Config{})
		if derr != nil {
			t.Fatal(derr)
		}
		mg, err = migrate.NewWithDatabaseInstance("file://"+dir, "mysql", drv)
	}
	if err != nil {
		t.Fatal(err)
	}
	return mg.Up, mg.Down
}
