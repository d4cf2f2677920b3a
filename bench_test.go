package softdelete

// BenchmarkReadGroup compares reading the 100 alive rows of one group
// through softdelete, hand-written database/sql, GORM and bun, on every
// dialect, all four over the same *sql.DB pool (db.SQL()).
//
//	go test -run '^$' -bench BenchmarkReadGroup -benchtime=2000x .
//
// scripts/benchratio.sh runs it -count times and prints ratios to raw.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	bunschema "github.com/uptrace/bun/schema"
	gormmysql "gorm.io/driver/mysql"
	gormpostgres "gorm.io/driver/postgres"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
)

const (
	benchGroups      = 20
	benchRowsPerGrp  = 150 // a third of them soft-deleted
	benchAlivePerGrp = 100
)

const benchItemsDDL = `CREATE TABLE items (id {id}, grp {big} NOT NULL, name {text} NOT NULL,
 price {dec} NOT NULL DEFAULT 0, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL)`

const benchItemsIndex = `CREATE INDEX items_grp_deleted ON items (grp, deleted_at)`

// benchItem is the softdelete (and raw database/sql) model.
type benchItem struct {
	Model
	Grp   int64
	Name  string
	Price float64
}

// gormItem is the GORM model; gorm.DeletedAt turns on GORM's soft-delete
// scope (deleted_at IS NULL).
type gormItem struct {
	ID        int64 `gorm:"primaryKey"`
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt gorm.DeletedAt
	Grp       int64
	Name      string
	Price     float64
}

func (gormItem) TableName() string { return "items" }

// bunItem is the bun model; soft_delete turns on bun's soft-delete scope.
type bunItem struct {
	bun.BaseModel `bun:"table:items,alias:items"`

	ID        int64     `bun:"id,pk,autoincrement"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
	DeletedAt time.Time `bun:"deleted_at,soft_delete,nullzero"`
	Grp       int64     `bun:"grp"`
	Name      string    `bun:"name"`
	Price     float64   `bun:"price"`
}

// seedBenchItems creates and fills items: benchGroups groups of
// benchRowsPerGrp rows, every third row soft-deleted, one multi-row INSERT
// per group.
func seedBenchItems(b *testing.B, db *DB) {
	b.Helper()
	ddl(b, db, benchItemsDDL, benchItemsIndex)
	ctx := context.Background()
	base := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	n := 0
	for g := 1; g <= benchGroups; g++ {
		bld := newBuilder(db.dialect, 64*benchRowsPerGrp)
		bld.WriteString("INSERT INTO items (grp, name, price, created_at, updated_at, deleted_at) VALUES ")
		for i := 0; i < benchRowsPerGrp; i++ {
			if i > 0 {
				bld.WriteString(", ")
			}
			n++
			created := base.Add(time.Duration(n) * time.Second)
			var deleted any
			if i%3 == 2 {
				deleted = db.dialect.TimeArg(created.Add(time.Hour))
			}
			bld.WriteByte('(')
			bld.arg(int64(g))
			bld.WriteString(", ")
			bld.arg(fmt.Sprintf("item %d/%d", g, i))
			bld.WriteString(", ")
			bld.arg(float64(n%1000) + float64(1+n%3)/4) // never integral: SQLite's NUMERIC affinity would store an INTEGER, which bun refuses to scan into float64
			bld.WriteString(", ")
			bld.arg(db.dialect.TimeArg(created))
			bld.WriteString(", ")
			bld.arg(db.dialect.TimeArg(created.Add(time.Minute)))
			bld.WriteString(", ")
			bld.arg(deleted)
			bld.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, bld.String(), bld.args...); err != nil {
			b.Fatalf("seed group %d: %v", g, err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	analyze := map[string]string{"sqlite": "ANALYZE", "postgres": "ANALYZE items", "mysql": "ANALYZE TABLE items"}[db.Dialect()]
	if _, err := db.SQL().ExecContext(ctx, analyze); err != nil {
		b.Fatal(err)
	}
}

// rawGroupQuery is the hand-written query: the same column list as
// softdelete's SELECT.
func rawGroupQuery(dialect string) string {
	ph := "?"
	if dialect == "postgres" {
		ph = "$1"
	}
	return "SELECT id, created_at, updated_at, deleted_at, grp, name, price FROM items WHERE grp = " + ph + " AND deleted_at IS NULL"
}

// rawReadGroup is what a careful hand-written database/sql reader does.
func rawReadGroup(ctx context.Context, db *DB, query string, grp int64) ([]benchItem, error) {
	rows, err := db.SQL().QueryContext(ctx, query, grp)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []benchItem
	for rows.Next() {
		out = append(out, benchItem{})
		it := &out[len(out)-1]
		if err := rows.Scan(&it.ID, &it.CreatedAt, &it.UpdatedAt, &it.DeletedAt, &it.Grp, &it.Name, &it.Price); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

func openGorm(b *testing.B, db *DB) *gorm.DB {
	b.Helper()
	var d gorm.Dialector
	switch db.Dialect() {
	case "postgres":
		d = gormpostgres.New(gormpostgres.Config{Conn: db.SQL()})
	case "mysql":
		d = gormmysql.New(gormmysql.Config{Conn: db.SQL(), SkipInitializeWithVersion: true})
	default:
		// gorm.io/driver/sqlite needs cgo and github.com/glebarez/sqlite
		// registers a second "sqlite" driver; neither is used here.
		b.Skip("gorm: no SQLite dialector usable with modernc.org/sqlite")
	}
	g, err := gorm.Open(d, &gorm.Config{Logger: gormlogger.Discard})
	if err != nil {
		b.Fatal(err)
	}
	return g
}

func openBun(db *DB) *bun.DB {
	var d bunschema.Dialect
	switch db.Dialect() {
	case "postgres":
		d = pgdialect.New()
	case "mysql":
		d = mysqldialect.New()
	default:
		d = sqlitedialect.New()
	}
	return bun.NewDB(db.SQL(), d)
}

// benchRow is a common rendering of a row, to check that every
// implementation reads the same data.
func benchRow(id int64, created, updated time.Time, deleted bool, grp int64, name string, price float64) string {
	return fmt.Sprintf("%d|%d|%d|%v|%d|%s|%.2f", id, created.UnixMicro(), updated.UnixMicro(), deleted, grp, name, price)
}

func benchRows(rows []string) string {
	slices.Sort(rows)
	return strings.Join(rows, "\n")
}

func BenchmarkReadGroup(b *testing.B) {
	for _, dialect := range allDialects {
		b.Run(dialect, func(b *testing.B) {
			db := openTest(b, dialect)
			seedBenchItems(b, db)
			ctx := context.Background()
			m, err := NewManager[benchItem](db, "items")
			if err != nil {
				b.Fatal(err)
			}
			rawQ := rawGroupQuery(dialect)
			bdb := openBun(db)

			// Every implementation reads the same rows (group 1).
			want := func() string {
				items, err := rawReadGroup(ctx, db, rawQ, 1)
				if err != nil {
					b.Fatal(err)
				}
				var s []string
				for _, it := range items {
					s = append(s, benchRow(it.ID, it.CreatedAt, it.UpdatedAt, it.DeletedAt != nil, it.Grp, it.Name, it.Price))
				}
				if len(s) != benchAlivePerGrp {
					b.Fatalf("raw read %d rows, want %d", len(s), benchAlivePerGrp)
				}
				return benchRows(s)
			}()
			// Read every group once before timing, so the first
			// implementation does not pay for cold caches (PostgreSQL also
			// sets hint bits on the first read of freshly inserted rows).
			for g := int64(1); g <= benchGroups; g++ {
				if _, err := rawReadGroup(ctx, db, rawQ, g); err != nil {
					b.Fatal(err)
				}
			}
			check := func(impl string, got []string) {
				b.Helper()
				if g := benchRows(got); g != want {
					b.Fatalf("%s read different rows than raw:\n%.300s\nwant:\n%.300s", impl, g, want)
				}
			}

			b.Run("softdelete", func(b *testing.B) {
				items, err := m.Where("grp = ?", int64(1)).All(ctx)
				if err != nil {
					b.Fatal(err)
				}
				var s []string
				for _, it := range items {
					s = append(s, benchRow(it.ID, it.CreatedAt, it.UpdatedAt, it.DeletedAt != nil, it.Grp, it.Name, it.Price))
				}
				check("softdelete", s)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					items, err := m.Where("grp = ?", int64(i%benchGroups+1)).All(ctx)
					if err != nil || len(items) != benchAlivePerGrp {
						b.Fatalf("softdelete: %d rows, %v", len(items), err)
					}
				}
			})

			b.Run("raw", func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					items, err := rawReadGroup(ctx, db, rawQ, int64(i%benchGroups+1))
					if err != nil || len(items) != benchAlivePerGrp {
						b.Fatalf("raw: %d rows, %v", len(items), err)
					}
				}
			})

			b.Run("gorm", func(b *testing.B) {
				gdb := openGorm(b, db)
				var items []gormItem
				if err := gdb.WithContext(ctx).Where("grp = ?", int64(1)).Find(&items).Error; err != nil {
					b.Fatal(err)
				}
				var s []string
				for _, it := range items {
					s = append(s, benchRow(it.ID, it.CreatedAt, it.UpdatedAt, it.DeletedAt.Valid, it.Grp, it.Name, it.Price))
				}
				check("gorm", s)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					var items []gormItem
					err := gdb.WithContext(ctx).Where("grp = ?", int64(i%benchGroups+1)).Find(&items).Error
					if err != nil || len(items) != benchAlivePerGrp {
						b.Fatalf("gorm: %d rows, %v", len(items), err)
					}
				}
			})

			b.Run("bun", func(b *testing.B) {
				var items []bunItem
				if err := bdb.NewSelect().Model(&items).Where("grp = ?", int64(1)).Scan(ctx); err != nil {
					b.Fatal(err)
				}
				var s []string
				for _, it := range items {
					s = append(s, benchRow(it.ID, it.CreatedAt, it.UpdatedAt, !it.DeletedAt.IsZero(), it.Grp, it.Name, it.Price))
				}
				check("bun", s)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					var items []bunItem
					err := bdb.NewSelect().Model(&items).Where("grp = ?", int64(i%benchGroups+1)).Scan(ctx)
					if err != nil || len(items) != benchAlivePerGrp {
						b.Fatalf("bun: %d rows, %v", len(items), err)
					}
				}
			})
		})
	}
}
