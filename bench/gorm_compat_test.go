package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	. "github.com/softdelete-go/softdelete"
	gormmysql "gorm.io/driver/mysql"
	gormpostgres "gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Moved from the root package (which no longer depends on GORM): it runs
// with the bench module's tests (.ci/run).

// must returns v, failing the test on err.
func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// forEachDB runs fn on a fresh database of each dialect that can be
// reached (BENCH_REQUIRE_ALL_DBS=1: all must be).
func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(d, func(t *testing.T) {
			e, err := openEnv(context.Background(), d)
			if err != nil {
				if os.Getenv("BENCH_REQUIRE_ALL_DBS") == "1" || os.Getenv("SOFTDELETE_REQUIRE_ALL_DBS") == "1" {
					t.Fatalf("%s: %v", d, err)
				}
				t.Skipf("%s unreachable: %v", d, err)
			}
			t.Cleanup(e.close)
			fn(t, e)
		})
	}
}

// GORM interop: softdelete and GORM share a table whose soft-delete column
// is a nullable deleted_at timestamp. Each must hide the rows the other
// soft-deleted, restore what the other deleted, and read back the other's
// timestamps unchanged (to the microsecond, which is what the databases
// store).
//
// Not on SQLite: GORM binds time.Time, which modernc.org/sqlite stores as
// text with nanoseconds and GORM's zone, while softdelete stores UTC
// microseconds, so equal instants do not compare equal in SQL (the
// benchmark uses gorm.io/driver/sqlite on the same pool all the same).

// gormWidget is the GORM side of the widgets table.
type gormWidget struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt gorm.DeletedAt
}

func (gormWidget) TableName() string { return "widgets" }

// Widget is the softdelete side of the widgets table.
type Widget struct {
	Model
	Name string
}

const widgetsDDL = `CREATE TABLE widgets (id {id}, name {text} NOT NULL,
 created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL)`

// gormZone is the zone of the times GORM generates (NowFunc) in this test,
// so that a conversion mistake cannot hide behind a UTC process zone.
var gormZone = time.FixedZone("UTC+05:30", 5*3600+30*60)

// tLogWriter sends GORM's log to the test log (shown with -v or on failure).
type tLogWriter struct{ t testing.TB }

func (w tLogWriter) Printf(format string, args ...any) {
	w.t.Helper()
	w.t.Logf("gorm: "+format, args...)
}

// openGORM opens GORM on softdelete's own pool.
func openGORM(t *testing.T, db *DB) *gorm.DB {
	t.Helper()
	var dial gorm.Dialector
	switch db.Dialect() {
	case "postgres":
		dial = gormpostgres.New(gormpostgres.Config{Conn: db.SQL()})
	case "mysql":
		dial = gormmysql.New(gormmysql.Config{Conn: db.SQL(), SkipInitializeWithVersion: true})
	default:
		t.Skip("GORM interop is not checked on SQLite: time.Time is stored as text in different forms (see above)")
	}
	gdb, err := gorm.Open(dial, &gorm.Config{
		NowFunc: func() time.Time { return time.Now().In(gormZone) },
		Logger: logger.New(tLogWriter{t}, logger.Config{
			LogLevel:                  logger.Info,
			IgnoreRecordNotFoundError: true,
		}),
	})
	if err != nil {
		t.Fatalf("gorm.Open(%s): %v", db.Dialect(), err)
	}
	return gdb
}

// sameMicro reports whether stored is what a database keeps of written:
// written cut to microseconds, truncated (pgx, MariaDB) or rounded (MySQL).
func sameMicro(stored, written time.Time) bool {
	return stored.Equal(written.Truncate(time.Microsecond)) || stored.Equal(written.Round(time.Microsecond))
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s (diff %v)", what, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano), got.Sub(want))
	}
}

func fmtGORMWidget(g gormWidget) string {
	del := "NULL"
	if g.DeletedAt.Valid {
		del = g.DeletedAt.Time.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("{ID:%d Name:%q CreatedAt:%s UpdatedAt:%s DeletedAt:%s}", g.ID, g.Name,
		g.CreatedAt.Format(time.RFC3339Nano), g.UpdatedAt.Format(time.RFC3339Nano), del)
}

func TestGORMInterop(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		db := e.db
		gdb := openGORM(t, db)
		if err := e.exec(ctx, widgetsDDL); err != nil {
			t.Fatal(err)
		}
		if err := db.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		m, err := NewManager[Widget](db, "widgets")
		if err != nil {
			t.Fatal(err)
		}

		t.Run("deleted by GORM, restored by softdelete", func(t *testing.T) {
			gw := gormWidget{Name: "gorm-made"}
			if err := gdb.Create(&gw).Error; err != nil {
				t.Fatalf("gorm Create: %v", err)
			}
			if gw.ID == 0 {
				t.Fatal("gorm Create did not set the id")
			}
			alive := must[*Widget](t)(m.Get(ctx, gw.ID))
			if alive.Name != "gorm-made" || alive.DeletedAt != nil {
				t.Fatalf("softdelete Get of GORM row = %+v", alive)
			}
			if err := gdb.Delete(&gw).Error; err != nil {
				t.Fatalf("gorm Delete: %v", err)
			}
			if !gw.DeletedAt.Valid {
				t.Fatal("gorm Delete did not set DeletedAt on the struct")
			}
			// The row is still there (GORM soft-deleted it)...
			var raw gormWidget
			if err := gdb.Unscoped().First(&raw, gw.ID).Error; err != nil {
				t.Fatalf("gorm Unscoped First after gorm Delete: %v", err)
			}
			if !raw.DeletedAt.Valid {
				t.Fatalf("gorm Delete did not soft-delete: %s", fmtGORMWidget(raw))
			}
			// ...and softdelete hides it.
			if n := must[int64](t)(m.Count(ctx)); n != 0 {
				t.Errorf("softdelete Count after gorm Delete = %d, want 0", n)
			}
			if got, err := m.Get(ctx, gw.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("softdelete Get after gorm Delete = %+v, %v; want ErrNotFound", got, err)
			}
			if ok := must[bool](t)(m.Where("id = ?", gw.ID).Exists(ctx)); ok {
				t.Error("row deleted by GORM exists in softdelete's default scope")
			}
			if n := must[int64](t)(m.OnlyDeleted().Count(ctx)); n != 1 {
				t.Errorf("softdelete OnlyDeleted Count after gorm Delete = %d, want 1", n)
			}
			del := must[*Widget](t)(m.OnlyDeleted().Where("id = ?", gw.ID).First(ctx))
			if del.DeletedAt == nil || !m.IsDeleted(del) {
				t.Fatalf("OnlyDeleted row not marked deleted: %+v", del)
			}
			checkTime(t, "softdelete deleted_at of GORM-deleted row vs GORM's read", *del.DeletedAt, raw.DeletedAt.Time)
			if !sameMicro(*del.DeletedAt, gw.DeletedAt.Time) {
				t.Errorf("deleted_at stored %s, GORM wrote %s", del.DeletedAt.Format(time.RFC3339Nano),
					gw.DeletedAt.Time.Format(time.RFC3339Nano))
			}

			// softdelete restores what GORM deleted.
			if err := m.Restore(ctx, &Widget{Model: Model{ID: gw.ID}}); err != nil {
				t.Fatalf("softdelete Restore of GORM-deleted row: %v", err)
			}
			var back gormWidget
			if err := gdb.First(&back, gw.ID).Error; err != nil {
				t.Fatalf("gorm First after softdelete Restore: %v", err)
			}
			if back.DeletedAt.Valid || back.Name != "gorm-made" {
				t.Errorf("gorm First after softdelete Restore = %s", fmtGORMWidget(back))
			}
			var n int64
			if err := gdb.Model(&gormWidget{}).Where("id = ?", gw.ID).Count(&n).Error; err != nil || n != 1 {
				t.Errorf("gorm Count after softdelete Restore = %d, %v; want 1", n, err)
			}
			got := must[*Widget](t)(m.Get(ctx, gw.ID))
			if got.DeletedAt != nil {
				t.Errorf("softdelete Get after Restore: deleted_at = %v", got.DeletedAt)
			}
			if err := m.Restore(ctx, &Widget{Model: Model{ID: gw.ID}}); !errors.Is(err, ErrNotDeleted) {
				t.Errorf("second Restore = %v, want ErrNotDeleted", err)
			}
		})

		t.Run("deleted by softdelete, seen by GORM", func(t *testing.T) {
			w := &Widget{Name: "sd-made"}
			if err := m.Create(ctx, w); err != nil {
				t.Fatal(err)
			}
			var g gormWidget
			if err := gdb.First(&g, w.ID).Error; err != nil {
				t.Fatalf("gorm First of softdelete row: %v", err)
			}
			if g.Name != "sd-made" || g.DeletedAt.Valid {
				t.Fatalf("gorm First of softdelete row = %s", fmtGORMWidget(g))
			}
			if err := m.Delete(ctx, w); err != nil {
				t.Fatal(err)
			}
			if w.DeletedAt == nil {
				t.Fatal("softdelete Delete did not set DeletedAt")
			}
			var hidden gormWidget
			if err := gdb.First(&hidden, w.ID).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
				t.Errorf("gorm First of softdelete-deleted row: err = %v, row = %s; want gorm.ErrRecordNotFound",
					err, fmtGORMWidget(hidden))
			}
			var n int64
			if err := gdb.Model(&gormWidget{}).Where("id = ?", w.ID).Count(&n).Error; err != nil || n != 0 {
				t.Errorf("gorm Count of softdelete-deleted row = %d, %v; want 0", n, err)
			}
			var all []gormWidget
			if err := gdb.Where("name = ?", "sd-made").Find(&all).Error; err != nil || len(all) != 0 {
				t.Errorf("gorm Find of softdelete-deleted row = %d rows, %v; want none", len(all), err)
			}
			var un gormWidget
			if err := gdb.Unscoped().First(&un, w.ID).Error; err != nil {
				t.Fatalf("gorm Unscoped First of softdelete-deleted row: %v", err)
			}
			if !un.DeletedAt.Valid {
				t.Fatalf("gorm Unscoped sees softdelete-deleted row as alive: %s", fmtGORMWidget(un))
			}
			checkTime(t, "gorm deleted_at of softdelete-deleted row", un.DeletedAt.Time, *w.DeletedAt)
		})

		t.Run("timestamps", func(t *testing.T) {
			// Written by softdelete, read by GORM: softdelete's stamps are
			// already microseconds in UTC, so they come back exactly.
			w := &Widget{Name: "sd-stamps", Model: Model{
				CreatedAt: time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.FixedZone("X", -7*3600)),
			}}
			if err := m.Create(ctx, w); err != nil {
				t.Fatal(err)
			}
			if err := m.Delete(ctx, w); err != nil {
				t.Fatal(err)
			}
			var g gormWidget
			if err := gdb.Unscoped().First(&g, w.ID).Error; err != nil {
				t.Fatal(err)
			}
			checkTime(t, "gorm created_at of softdelete row", g.CreatedAt, w.CreatedAt)
			checkTime(t, "gorm updated_at of softdelete row", g.UpdatedAt, w.UpdatedAt)
			if !g.DeletedAt.Valid {
				t.Fatal("gorm sees softdelete-deleted row with NULL deleted_at")
			}
			checkTime(t, "gorm deleted_at of softdelete row", g.DeletedAt.Time, *w.DeletedAt)

			// Written by GORM with explicit microsecond values in a non-UTC
			// zone, read by softdelete: equal instants, in UTC.
			created := time.Date(2023, 7, 14, 9, 26, 53, 589793000, gormZone)
			updated := time.Date(2023, 12, 31, 23, 59, 59, 999999000, time.FixedZone("Y", -(9*3600+30*60)))
			ge := gormWidget{Name: "gorm-explicit", CreatedAt: created, UpdatedAt: updated}
			if err := gdb.Create(&ge).Error; err != nil {
				t.Fatal(err)
			}
			got := must[*Widget](t)(m.Get(ctx, ge.ID))
			checkTime(t, "softdelete created_at of GORM row (explicit)", got.CreatedAt, created)
			checkTime(t, "softdelete updated_at of GORM row (explicit)", got.UpdatedAt, updated)
			if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
				t.Errorf("softdelete read GORM stamps in %v/%v, want UTC", got.CreatedAt.Location(), got.UpdatedAt.Location())
			}

			// Written by GORM from its clock (nanoseconds, non-UTC zone):
			// the database keeps microseconds, and softdelete reads exactly
			// what GORM reads.
			gn := gormWidget{Name: "gorm-now"}
			if err := gdb.Create(&gn).Error; err != nil {
				t.Fatal(err)
			}
			if err := gdb.Delete(&gn).Error; err != nil {
				t.Fatal(err)
			}
			var gr gormWidget
			if err := gdb.Unscoped().First(&gr, gn.ID).Error; err != nil {
				t.Fatal(err)
			}
			sd := must[*Widget](t)(m.OnlyDeleted().Where("id = ?", gn.ID).First(ctx))
			checkTime(t, "softdelete created_at vs GORM's read", sd.CreatedAt, gr.CreatedAt)
			checkTime(t, "softdelete updated_at vs GORM's read", sd.UpdatedAt, gr.UpdatedAt)
			if sd.DeletedAt == nil || !gr.DeletedAt.Valid {
				t.Fatalf("deleted_at: softdelete %v, gorm %s", sd.DeletedAt, fmtGORMWidget(gr))
			}
			checkTime(t, "softdelete deleted_at vs GORM's read", *sd.DeletedAt, gr.DeletedAt.Time)
			for _, c := range []struct {
				what            string
				stored, written time.Time
			}{
				{"created_at", sd.CreatedAt, gn.CreatedAt},
				{"updated_at", sd.UpdatedAt, gn.UpdatedAt},
				{"deleted_at", *sd.DeletedAt, gn.DeletedAt.Time},
			} {
				if !sameMicro(c.stored, c.written) {
					t.Errorf("%s stored %s, GORM wrote %s: not the same microsecond", c.what,
						c.stored.Format(time.RFC3339Nano), c.written.Format(time.RFC3339Nano))
				}
			}

			// softdelete's stamps compare equal to GORM's in SQL too.
			if n := must[int64](t)(m.AllWithDeleted().Where("created_at = ?", created).Count(ctx)); n != 1 {
				t.Errorf("softdelete Where created_at = GORM's explicit stamp matched %d rows, want 1", n)
			}
			var n int64
			if err := gdb.Unscoped().Model(&gormWidget{}).Where("deleted_at = ?", *w.DeletedAt).Count(&n).Error; err != nil || n != 1 {
				t.Errorf("gorm Where deleted_at = softdelete's stamp matched %d rows (%v), want 1", n, err)
			}
		})
	})
}
