package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/softdelete-go/softdelete"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	bunschema "github.com/uptrace/bun/schema"
	gormmysql "gorm.io/driver/mysql"
	gormpostgres "gorm.io/driver/postgres"
	gormsqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
	_ "modernc.org/sqlite"
)

// env is one database with every implementation on the same *sql.DB pool.
type env struct {
	dialect string
	version string
	db      *softdelete.DB
	sql     *sql.DB
	gorm    *gorm.DB
	bun     *bun.DB
	// Statements sent, per implementation (BEGIN/COMMIT not counted by
	// any of them): softdelete's statement hook, GORM's logger, bun's
	// query hook; the hand-written code counts its own.
	stmts atomic.Int64
	// prof, if set, is called with every statement softdelete sends
	// (BENCH_VERBOSE: the purge's statement profile).
	prof   atomic.Pointer[func(q string)]
	close  func()
	tmpDir string
}

func pgURL() string {
	if u := os.Getenv("SOFTDELETE_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func myURL() string {
	if u := os.Getenv("SOFTDELETE_TEST_MYSQL"); u != "" {
		return u
	}
	return "mysql://root@127.0.0.1:3306/test"
}

func randName() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "sdbench_" + hex.EncodeToString(b[:])
}

// openEnv creates a fresh schema (PostgreSQL), database (MariaDB) or file
// (SQLite) and opens every implementation on it.
func openEnv(ctx context.Context, dialect string) (*env, error) {
	e := &env{dialect: dialect}
	var u string
	var drop func()
	switch dialect {
	case "sqlite":
		dir, err := os.MkdirTemp("", "sdbench")
		if err != nil {
			return nil, err
		}
		u = "sqlite:" + dir + "/bench.db"
		drop = func() { os.RemoveAll(dir) }
	case "postgres", "mysql":
		base := map[string]string{"postgres": pgURL(), "mysql": myURL()}[dialect]
		adm, err := softdelete.Open(base)
		if err != nil {
			return nil, err
		}
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := adm.SQL().PingContext(actx); err != nil {
			adm.Close()
			return nil, err
		}
		name := randName()
		pu, _ := url.Parse(base)
		if dialect == "postgres" {
			if _, err := adm.SQL().ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
				adm.Close()
				return nil, err
			}
			q := pu.Query()
			q.Set("search_path", name)
			pu.RawQuery = q.Encode()
			drop = func() {
				adm.SQL().ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE")
				adm.Close()
			}
		} else {
			if _, err := adm.SQL().ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
				adm.Close()
				return nil, err
			}
			pu.Path = "/" + name
			drop = func() {
				adm.SQL().ExecContext(context.Background(), "DROP DATABASE "+name)
				adm.Close()
			}
		}
		u = pu.String()
	default:
		return nil, fmt.Errorf("unknown database %q", dialect)
	}
	db, err := softdelete.Open(u, softdelete.WithStatementHook(func(_ context.Context, q string, _ []any) error {
		e.stmts.Add(1)
		if f := e.prof.Load(); f != nil {
			(*f)(q)
		}
		return nil
	}))
	if err != nil {
		drop()
		return nil, err
	}
	e.db, e.sql = db, db.SQL()
	e.close = func() {
		db.Close()
		drop()
	}
	var gd gorm.Dialector
	var bd bunschema.Dialect
	switch dialect {
	case "postgres":
		gd = gormpostgres.New(gormpostgres.Config{Conn: e.sql})
		bd = pgdialect.New()
		err = e.sql.QueryRowContext(ctx, "SELECT 'PostgreSQL ' || current_setting('server_version')").Scan(&e.version)
	case "mysql":
		gd = gormmysql.New(gormmysql.Config{Conn: e.sql, SkipInitializeWithVersion: true})
		bd = mysqldialect.New()
		err = e.sql.QueryRowContext(ctx, "SELECT VERSION()").Scan(&e.version)
	default:
		// gorm.io/driver/sqlite opens its cgo driver (mattn/go-sqlite3)
		// only without Conn: given softdelete's modernc.org/sqlite pool it
		// never does (build with CGO_ENABLED=0: the cgo driver is then a
		// stub that is never called).
		gd = gormsqlite.New(gormsqlite.Config{Conn: e.sql})
		bd = sqlitedialect.New()
		err = e.sql.QueryRowContext(ctx, "SELECT 'SQLite ' || sqlite_version()").Scan(&e.version)
	}
	if err != nil {
		e.close()
		return nil, err
	}
	e.gorm, err = gorm.Open(gd, &gorm.Config{Logger: gormCounter{e}})
	if err != nil {
		e.close()
		return nil, err
	}
	e.bun = bun.NewDB(e.sql, bd)
	e.bun.AddQueryHook(bunCounter{e})
	return e, nil
}

// gormCounter counts GORM's statements (GORM calls Trace once per
// statement) and prints nothing.
type gormCounter struct{ e *env }

func (g gormCounter) LogMode(gormlogger.LogLevel) gormlogger.Interface { return g }
func (gormCounter) Info(context.Context, string, ...any)               {}
func (gormCounter) Warn(context.Context, string, ...any)               {}
func (gormCounter) Error(context.Context, string, ...any)              {}
func (g gormCounter) Trace(context.Context, time.Time, func() (string, int64), error) {
	g.e.stmts.Add(1)
}

// bunCounter counts bun's statements.
type bunCounter struct{ e *env }

func (b bunCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	b.e.stmts.Add(1)
	return ctx
}
func (bunCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

// exec runs setup statements written with placeholders for the dialect's
// types: {id} auto-increment primary key, {ts} microsecond timestamp,
// {text} indexable text, {big} 64-bit integer, {dec} decimal.
func (e *env) exec(ctx context.Context, stmts ...string) error {
	r := map[string]*strings.Replacer{
		"sqlite":   strings.NewReplacer("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{ts}", "DATETIME", "{text}", "TEXT", "{big}", "INTEGER", "{dec}", "NUMERIC(10,2)"),
		"postgres": strings.NewReplacer("{id}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "{ts}", "TIMESTAMPTZ", "{text}", "TEXT", "{big}", "BIGINT", "{dec}", "NUMERIC(10,2)"),
		"mysql":    strings.NewReplacer("{id}", "BIGINT AUTO_INCREMENT PRIMARY KEY", "{ts}", "DATETIME(6)", "{text}", "VARCHAR(191)", "{big}", "BIGINT", "{dec}", "DECIMAL(10,2)"),
	}[e.dialect]
	for _, s := range stmts {
		if _, err := e.sql.ExecContext(ctx, r.Replace(s)); err != nil {
			return fmt.Errorf("%.80s: %w", s, err)
		}
	}
	return nil
}

// ph rewrites ? placeholders as $n on PostgreSQL.
func (e *env) ph(q string) string {
	if e.dialect != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// timeArg is how a time is bound: SQLite stores the text softdelete
// writes (UTC, microseconds), the others take time.Time.
func (e *env) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if e.dialect == "sqlite" {
		return t.Format("2006-01-02 15:04:05.000000")
	}
	return t
}

// analyze refreshes the planner's statistics of the tables.
func (e *env) analyze(ctx context.Context, tables ...string) error {
	switch e.dialect {
	case "sqlite":
		_, err := e.sql.ExecContext(ctx, "ANALYZE")
		return err
	case "postgres":
		_, err := e.sql.ExecContext(ctx, "VACUUM ANALYZE "+strings.Join(tables, ", "))
		return err
	default:
		_, err := e.sql.ExecContext(ctx, "ANALYZE TABLE "+strings.Join(tables, ", "))
		return err
	}
}
