package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/softdelete-go/softdelete"
	"github.com/uptrace/bun"
	"gorm.io/gorm"
)

// ---- models -------------------------------------------------------------

// sdItem is the softdelete (and hand-written) model of items.
type sdItem struct {
	softdelete.Model
	Grp   int64
	Name  string
	Price float64
}

// gormItem: gorm.DeletedAt turns on GORM's soft-delete scope.
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

// bunItem: soft_delete turns on bun's soft-delete scope.
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

type sdNote struct {
	softdelete.Model
	Body string
}

type gormNote struct {
	ID        int64 `gorm:"primaryKey"`
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt gorm.DeletedAt
	Body      string
}

func (gormNote) TableName() string { return "notes" }

type bunNote struct {
	bun.BaseModel `bun:"table:notes,alias:notes"`

	ID        int64     `bun:"id,pk,autoincrement"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
	DeletedAt time.Time `bun:"deleted_at,soft_delete,nullzero"`
	Body      string    `bun:"body"`
}

// ---- reads --------------------------------------------------------------

const itemCols = "id, created_at, updated_at, deleted_at, grp, name, price"

func scanItems(rows *sql.Rows, out []sdItem) ([]sdItem, error) {
	defer rows.Close()
	for rows.Next() {
		out = append(out, sdItem{})
		it := &out[len(out)-1]
		if err := rows.Scan(&it.ID, &it.CreatedAt, &it.UpdatedAt, &it.DeletedAt, &it.Grp, &it.Name, &it.Price); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// pgxNative runs q through pgx's own interface on a connection of e's
// database/sql pool ((*sql.Conn).Raw) and calls scan for each row.
func pgxNative(ctx context.Context, e *env, q string, args []any, scan func(pgx.Rows) error) error {
	c, err := e.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		rows, err := dc.(*stdlib.Conn).Conn().Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

func want(n, got int, err error) error {
	if err != nil {
		return err
	}
	if n != got {
		return fmt.Errorf("%d rows, want %d", got, n)
	}
	return nil
}

// readWorkloads seeds items (groups of perGroup rows, every third one
// soft-deleted, an index on (grp, deleted_at)) and returns the typed reads.
func readWorkloads(ctx context.Context, e *env, spec sizeSpec) ([]*workload, error) {
	if err := e.exec(ctx, `CREATE TABLE items (id {id}, grp {big} NOT NULL, name {text} NOT NULL,
 price {dec} NOT NULL DEFAULT 0, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL)`,
		`CREATE INDEX items_grp_deleted ON items (grp, deleted_at)`); err != nil {
		return nil, err
	}
	base := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	tx, err := e.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	n := 0
	var alive []int64
	for g := 1; g <= spec.groups; g++ {
		var b strings.Builder
		var args []any
		b.WriteString("INSERT INTO items (grp, name, price, created_at, updated_at, deleted_at) VALUES ")
		for i := 0; i < spec.perGroup; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			n++
			created := base.Add(time.Duration(n) * time.Second)
			var deleted any
			if i%3 == 2 {
				deleted = e.timeArg(created.Add(time.Hour))
			} else {
				alive = append(alive, int64(n))
			}
			b.WriteString("(?, ?, ?, ?, ?, ?)")
			// Prices are never whole numbers: SQLite's NUMERIC affinity
			// would store an INTEGER, which bun refuses to scan into float64.
			args = append(args, int64(g), fmt.Sprintf("item %d/%03d", g, (i*37)%spec.perGroup), float64(n%1000)+float64(1+n%3)/4,
				e.timeArg(created), e.timeArg(created.Add(time.Minute)), deleted)
		}
		if _, err := tx.ExecContext(ctx, e.ph(b.String()), args...); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if err := e.analyze(ctx, "items"); err != nil {
		return nil, err
	}
	if err := e.db.Refresh(ctx); err != nil {
		return nil, err
	}
	m, err := softdelete.NewManager[sdItem](e.db, "items")
	if err != nil {
		return nil, err
	}
	aliveN := spec.perGroup - spec.perGroup/3
	grp := func(i int) int64 { return int64(i%spec.groups + 1) }
	id := func(i int) int64 { return alive[(i*7919)%len(alive)] }
	gdb := e.gorm.WithContext(ctx)
	var out []*workload
	raw := func(f func(ctx context.Context, i int) error) *impl {
		return &impl{name: "hand-written", op: func(ctx context.Context, i int) error {
			e.stmts.Add(1)
			return f(ctx, i)
		}}
	}

	// pgx's own interface on a connection of the same pool, by hand, on
	// PostgreSQL: the ceiling of issue 11's stretch target (softdelete
	// reads through database/sql).
	native := func(q string, n int, args func(i int) []any) []*impl {
		if e.dialect != "postgres" {
			return nil
		}
		return []*impl{{name: "pgx native by hand", op: func(ctx context.Context, i int) error {
			e.stmts.Add(1)
			got := 0
			err := pgxNative(ctx, e, q, args(i), func(rows pgx.Rows) error {
				var it sdItem
				got++
				return rows.Scan(&it.ID, &it.CreatedAt, &it.UpdatedAt, &it.DeletedAt, &it.Grp, &it.Name, &it.Price)
			})
			return want(n, got, err)
		}}}
	}

	// Get by primary key.
	qGet := e.ph("SELECT " + itemCols + " FROM items WHERE id = ? AND deleted_at IS NULL")
	out = append(out, &workload{name: "get", bases: []string{"hand-written"}, what: "one alive row by primary key: `m.Get(ctx, id)`",
		impls: []*impl{
			{name: "softdelete", op: func(ctx context.Context, i int) error {
				_, err := m.Get(ctx, id(i))
				return err
			}},
			raw(func(ctx context.Context, i int) error {
				var it sdItem
				return e.sql.QueryRowContext(ctx, qGet, id(i)).Scan(&it.ID, &it.CreatedAt, &it.UpdatedAt, &it.DeletedAt, &it.Grp, &it.Name, &it.Price)
			}),
			{name: "gorm", op: func(ctx context.Context, i int) error {
				var it gormItem
				return gdb.First(&it, id(i)).Error
			}},
			{name: "bun", op: func(ctx context.Context, i int) error {
				var it bunItem
				return e.bun.NewSelect().Model(&it).Where("id = ?", id(i)).Scan(ctx)
			}},
		}})
	out[len(out)-1].impls = append(out[len(out)-1].impls, native(qGet, 1, func(i int) []any { return []any{id(i)} })...)

	// Count of a group.
	qCount := e.ph("SELECT COUNT(*) FROM items WHERE grp = ? AND deleted_at IS NULL")
	checkCount := func(n int64, err error) error { return want(aliveN, int(n), err) }
	out = append(out, &workload{name: "count", bases: []string{"hand-written"}, what: "alive rows of a group: `m.Where(\"grp = ?\", g).Count(ctx)`",
		impls: []*impl{
			{name: "softdelete", op: func(ctx context.Context, i int) error {
				return checkCount(m.Where("grp = ?", grp(i)).Count(ctx))
			}},
			raw(func(ctx context.Context, i int) error {
				var n int64
				err := e.sql.QueryRowContext(ctx, qCount, grp(i)).Scan(&n)
				return checkCount(n, err)
			}),
			{name: "gorm", op: func(ctx context.Context, i int) error {
				var n int64
				err := gdb.Model(&gormItem{}).Where("grp = ?", grp(i)).Count(&n).Error
				return checkCount(n, err)
			}},
			{name: "bun", op: func(ctx context.Context, i int) error {
				n, err := e.bun.NewSelect().Model((*bunItem)(nil)).Where("grp = ?", grp(i)).Count(ctx)
				return checkCount(int64(n), err)
			}},
		}})

	// First of a group.
	qFirst := e.ph("SELECT " + itemCols + " FROM items WHERE grp = ? AND deleted_at IS NULL ORDER BY id LIMIT 1")
	out = append(out, &workload{name: "first", bases: []string{"hand-written"}, what: "first alive row of a group by id: `m.Where(\"grp = ?\", g).OrderBy(\"id\").First(ctx)`",
		impls: []*impl{
			{name: "softdelete", op: func(ctx context.Context, i int) error {
				_, err := m.Where("grp = ?", grp(i)).OrderBy("id").First(ctx)
				return err
			}},
			raw(func(ctx context.Context, i int) error {
				var it sdItem
				return e.sql.QueryRowContext(ctx, qFirst, grp(i)).Scan(&it.ID, &it.CreatedAt, &it.UpdatedAt, &it.DeletedAt, &it.Grp, &it.Name, &it.Price)
			}),
			{name: "gorm", op: func(ctx context.Context, i int) error {
				var it gormItem
				return gdb.Where("grp = ?", grp(i)).Order("id").First(&it).Error
			}},
			{name: "bun", op: func(ctx context.Context, i int) error {
				var it bunItem
				return e.bun.NewSelect().Model(&it).Where("grp = ?", grp(i)).Order("id").Limit(1).Scan(ctx)
			}},
		}})

	// A page: where + order + limit/offset (literal LIMIT/OFFSET by hand).
	lim, off := max(aliveN/5, 1), max(aliveN/5, 1)
	qList := e.ph(fmt.Sprintf("SELECT "+itemCols+" FROM items WHERE grp = ? AND deleted_at IS NULL ORDER BY name LIMIT %d OFFSET %d", lim, off))
	out = append(out, &workload{name: "list", bases: []string{"hand-written"},
		what: fmt.Sprintf("a page of a group: `m.Where(\"grp = ?\", g).OrderBy(\"name\").Limit(%d).Offset(%d).All(ctx)`; by hand with a literal LIMIT/OFFSET", lim, off),
		impls: []*impl{
			{name: "softdelete", op: func(ctx context.Context, i int) error {
				items, err := m.Where("grp = ?", grp(i)).OrderBy("name").Limit(lim).Offset(off).All(ctx)
				return want(lim, len(items), err)
			}},
			raw(func(ctx context.Context, i int) error {
				rows, err := e.sql.QueryContext(ctx, qList, grp(i))
				if err != nil {
					return err
				}
				items, err := scanItems(rows, nil)
				return want(lim, len(items), err)
			}),
			{name: "gorm", op: func(ctx context.Context, i int) error {
				var items []gormItem
				err := gdb.Where("grp = ?", grp(i)).Order("name").Limit(lim).Offset(off).Find(&items).Error
				return want(lim, len(items), err)
			}},
			{name: "bun", op: func(ctx context.Context, i int) error {
				var items []bunItem
				err := e.bun.NewSelect().Model(&items).Where("grp = ?", grp(i)).Order("name").Limit(int64(lim)).Offset(int64(off)).Scan(ctx)
				return want(lim, len(items), err)
			}},
		}})
	out[len(out)-1].impls = append(out[len(out)-1].impls, native(qList, lim, func(i int) []any { return []any{grp(i)} })...)

	// A keyset page: the rows after a key.
	kl := max(aliveN/3, 1)
	after := func(i int) int64 { return int64((i%spec.groups)*spec.perGroup) + int64(spec.perGroup/3) }
	qKeyset := e.ph(fmt.Sprintf("SELECT "+itemCols+" FROM items WHERE grp = ? AND id > ? AND deleted_at IS NULL ORDER BY id LIMIT %d", kl))
	out = append(out, &workload{name: "keyset", bases: []string{"hand-written"},
		what: fmt.Sprintf("a keyset page: `m.Where(\"grp = ? AND id > ?\", g, after).OrderBy(\"id\").Limit(%d).All(ctx)`", kl),
		impls: []*impl{
			{name: "softdelete", op: func(ctx context.Context, i int) error {
				items, err := m.Where("grp = ? AND id > ?", grp(i), after(i)).OrderBy("id").Limit(kl).All(ctx)
				return want(kl, len(items), err)
			}},
			raw(func(ctx context.Context, i int) error {
				rows, err := e.sql.QueryContext(ctx, qKeyset, grp(i), after(i))
				if err != nil {
					return err
				}
				items, err := scanItems(rows, nil)
				return want(kl, len(items), err)
			}),
			{name: "gorm", op: func(ctx context.Context, i int) error {
				var items []gormItem
				err := gdb.Where("grp = ? AND id > ?", grp(i), after(i)).Order("id").Limit(kl).Find(&items).Error
				return want(kl, len(items), err)
			}},
			{name: "bun", op: func(ctx context.Context, i int) error {
				var items []bunItem
				err := e.bun.NewSelect().Model(&items).Where("grp = ? AND id > ?", grp(i), after(i)).Order("id").Limit(int64(kl)).Scan(ctx)
				return want(kl, len(items), err)
			}},
		}})
	out[len(out)-1].impls = append(out[len(out)-1].impls, native(qKeyset, kl, func(i int) []any { return []any{grp(i), after(i)} })...)
	return out, nil
}

// ---- single-row writes --------------------------------------------------

// handLog creates hand_log, a copy of softdelete's operations log (same
// columns and indexes), for the hand-written UPDATE + log INSERT.
func handLog(ctx context.Context, e *env) error {
	if err := e.db.Migrate(ctx); err != nil {
		return err
	}
	switch e.dialect {
	case "postgres":
		return e.exec(ctx, "CREATE TABLE hand_log (LIKE softdelete_operations INCLUDING ALL)")
	case "mysql":
		return e.exec(ctx, "CREATE TABLE hand_log LIKE softdelete_operations")
	}
	rows, err := e.sql.QueryContext(ctx, "SELECT sql FROM sqlite_master WHERE tbl_name = 'softdelete_operations' AND sql IS NOT NULL ORDER BY type DESC")
	if err != nil {
		return err
	}
	var stmts []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		stmts = append(stmts, strings.ReplaceAll(s, "softdelete_operations", "hand_log"))
	}
	rows.Close()
	return e.exec(ctx, stmts...)
}

// writeWorkloads seeds notes (a table nothing references) and returns the
// single-row soft delete and restore.
func writeWorkloads(ctx context.Context, e *env, spec sizeSpec) ([]*workload, error) {
	if err := e.exec(ctx, `CREATE TABLE notes (id {id}, body {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL)`); err != nil {
		return nil, err
	}
	if err := handLog(ctx, e); err != nil {
		return nil, err
	}
	now := e.timeArg(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	for lo := 0; lo < spec.ops; lo += 100 {
		var b strings.Builder
		var args []any
		b.WriteString("INSERT INTO notes (body, created_at, updated_at) VALUES ")
		for i := lo; i < min(lo+100, spec.ops); i++ {
			if i > lo {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, fmt.Sprintf("note %d", i), now, now)
		}
		if _, err := e.sql.ExecContext(ctx, e.ph(b.String()), args...); err != nil {
			return nil, err
		}
	}
	if err := e.analyze(ctx, "notes"); err != nil {
		return nil, err
	}
	if err := e.db.Refresh(ctx); err != nil {
		return nil, err
	}
	m, err := softdelete.NewManager[sdNote](e.db, "notes")
	if err != nil {
		return nil, err
	}
	gdb := e.gorm.WithContext(ctx)
	id := func(i int) int64 { return int64(i + 1) }
	one := func(res sql.Result, err error) error {
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("%d rows changed (%v), want 1", n, err)
		}
		return nil
	}
	gormOne := func(tx *gorm.DB) error {
		if tx.Error != nil {
			return tx.Error
		}
		if tx.RowsAffected != 1 {
			return fmt.Errorf("%d rows changed, want 1", tx.RowsAffected)
		}
		return nil
	}
	// Untimed: every row alive / every row soft-deleted (by softdelete, so
	// that each restore reverses a logged delete).
	allAlive := func(ctx context.Context) error {
		_, err := e.sql.ExecContext(ctx, "UPDATE notes SET deleted_at = NULL WHERE deleted_at IS NOT NULL")
		return err
	}
	allDeleted := func(ctx context.Context) error {
		if err := allAlive(ctx); err != nil {
			return err
		}
		_, err := m.Where("1 = 1").Delete(ctx)
		return err
	}
	qDel := e.ph("UPDATE notes SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL")
	qRes := e.ph("UPDATE notes SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL")
	// The log row holds what softdelete's holds: the rules a delete applied
	// ('[]': none), and, for a restore by "+ target", the delete it reverses.
	qLog := e.ph("INSERT INTO hand_log (kind, stamp, root_table, root_key, actor, reason, created_at, rows_total, counts, outcome, rules) VALUES (?, ?, 'notes', ?, '', '', ?, 1, '{\"notes\":1}', 'done', ?)")
	const logCols = "kind, stamp, root_table, root_key, actor, reason, created_at, rows_total, counts, outcome"
	// allDeletedHand: every row soft-deleted, and that delete logged in
	// hand_log too (a copy of softdelete's log row), for the restores that
	// look it up.
	allDeletedHand := func(ctx context.Context) error {
		if err := allDeleted(ctx); err != nil {
			return err
		}
		_, err := e.sql.ExecContext(ctx, "INSERT INTO hand_log ("+logCols+") SELECT "+logCols+" FROM softdelete_operations WHERE id = (SELECT MAX(id) FROM softdelete_operations WHERE kind = 'delete')")
		return err
	}
	// restoreTarget: the hand-written restore whose log row names the delete
	// it reverses (target_op), as softdelete's does, in the best two-statement
	// form per database: SQLite, the log row from the row (INSERT ... SELECT
	// with the lookup) and then the UPDATE; MariaDB, the UPDATE keeping the
	// lookup in a session variable for the INSERT; PostgreSQL, the UPDATE
	// returning the stamp it replaced and the INSERT looking it up.
	restoreTarget := func(ctx context.Context, i int) error {
		tx, err := e.sql.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		e.stmts.Add(2)
		key, now := fmt.Sprint(id(i)), e.timeArg(time.Now())
		switch e.dialect {
		case "sqlite":
			if err := one(tx.ExecContext(ctx, "INSERT INTO hand_log ("+logCols+", target_op) SELECT 'restore', NULL, 'notes', ?, '', '', ?, 1, '{\"notes\":1}', 'done', (SELECT o.id FROM hand_log o WHERE o.stamp = r.deleted_at) FROM notes r WHERE r.id = ? AND r.deleted_at IS NOT NULL", key, now, id(i))); err != nil {
				return err
			}
			if err := one(tx.ExecContext(ctx, qRes, id(i))); err != nil {
				return err
			}
		case "mysql":
			if err := one(tx.ExecContext(ctx, "UPDATE notes SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL AND COALESCE(@hand_target := (SELECT o.id FROM hand_log o WHERE o.stamp = notes.deleted_at), 0) >= 0", id(i))); err != nil {
				return err
			}
			if err := one(tx.ExecContext(ctx, "INSERT INTO hand_log ("+logCols+", target_op) VALUES ('restore', NULL, 'notes', ?, '', '', ?, 1, '{\"notes\":1}', 'done', @hand_target)", key, now)); err != nil {
				return err
			}
		default:
			var old time.Time
			if err := tx.QueryRowContext(ctx, "UPDATE notes n SET deleted_at = NULL FROM (SELECT deleted_at FROM notes WHERE id = $1) r WHERE n.id = $1 AND n.deleted_at = r.deleted_at RETURNING r.deleted_at", id(i)).Scan(&old); err != nil {
				return err
			}
			if err := one(tx.ExecContext(ctx, "INSERT INTO hand_log ("+logCols+", target_op) VALUES ('restore', NULL, 'notes', $1, '', '', $2, 1, '{\"notes\":1}', 'done', (SELECT o.id FROM hand_log o WHERE o.stamp = $3))", key, now, old)); err != nil {
				return err
			}
		}
		return tx.Commit()
	}
	var last int64
	stamp := func() time.Time {
		t := time.Now().UTC().Truncate(time.Microsecond)
		if t.UnixMicro() <= last {
			t = time.UnixMicro(last + 1).UTC()
		}
		last = t.UnixMicro()
		return t
	}
	// The hand-written single-row operation with its log row, in one
	// transaction.
	withLog := func(ctx context.Context, kind, q string, args ...any) error {
		tx, err := e.sql.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		e.stmts.Add(2)
		if err := one(tx.ExecContext(ctx, q, args...)); err != nil {
			tx.Rollback()
			return err
		}
		var st, rules any
		if kind == "delete" {
			st, rules = args[0], "[]"
		}
		if _, err := tx.ExecContext(ctx, qLog, kind, st, fmt.Sprint(args[len(args)-1]), e.timeArg(time.Now()), rules); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	del := &workload{name: "delete", bases: []string{"hand-written UPDATE + log", "hand-written UPDATE", "gorm"},
		what: "soft delete of one row nothing references (`m.Delete(ctx, &note)`), with its log row in the same transaction; hand-written: the single `UPDATE`, and `UPDATE` + log `INSERT` in one transaction",
		impls: []*impl{
			{name: "softdelete", setup: allAlive, op: func(ctx context.Context, i int) error {
				return m.Delete(ctx, &sdNote{Model: softdelete.Model{ID: id(i)}})
			}},
			{name: "hand-written UPDATE", setup: allAlive, op: func(ctx context.Context, i int) error {
				e.stmts.Add(1)
				return one(e.sql.ExecContext(ctx, qDel, e.timeArg(stamp()), id(i)))
			}},
			{name: "hand-written UPDATE + log", setup: allAlive, op: func(ctx context.Context, i int) error {
				return withLog(ctx, "delete", qDel, e.timeArg(stamp()), id(i))
			}},
			{name: "gorm", setup: allAlive, op: func(ctx context.Context, i int) error {
				return gormOne(gdb.Delete(&gormNote{ID: id(i)}))
			}},
			{name: "bun", setup: allAlive, op: func(ctx context.Context, i int) error {
				return one(e.bun.NewDelete().Model(&bunNote{ID: id(i)}).WherePK().Exec(ctx))
			}},
		}}
	res := &workload{name: "restore", bases: []string{"hand-written UPDATE + log", "hand-written UPDATE + log + target", "hand-written UPDATE", "gorm"},
		what: "restore of one soft-deleted row nothing references (`m.Restore(ctx, &note)`), logged; hand-written: the single `UPDATE`, `UPDATE` + log `INSERT` in one transaction, and the same with the log row naming the delete it reverses (`target_op`, as softdelete's does)",
		impls: []*impl{
			{name: "softdelete", setup: allDeleted, op: func(ctx context.Context, i int) error {
				return m.Restore(ctx, &sdNote{Model: softdelete.Model{ID: id(i)}})
			}},
			{name: "hand-written UPDATE", setup: allDeleted, op: func(ctx context.Context, i int) error {
				e.stmts.Add(1)
				return one(e.sql.ExecContext(ctx, qRes, id(i)))
			}},
			{name: "hand-written UPDATE + log", setup: allDeleted, op: func(ctx context.Context, i int) error {
				return withLog(ctx, "restore", qRes, id(i))
			}},
			{name: "hand-written UPDATE + log + target", setup: allDeletedHand, op: restoreTarget},
			{name: "gorm", setup: allDeleted, op: func(ctx context.Context, i int) error {
				return gormOne(gdb.Unscoped().Model(&gormNote{ID: id(i)}).Where("deleted_at IS NOT NULL").Update("deleted_at", nil))
			}},
			{name: "bun", setup: allDeleted, op: func(ctx context.Context, i int) error {
				return one(e.bun.NewUpdate().Model((*bunNote)(nil)).Set("deleted_at = NULL").Where("id = ?", id(i)).WhereDeleted().Exec(ctx))
			}},
		}}
	return []*workload{del, res}, nil
}
