package softdelete

import "strings"

// DDL for adopt on MariaDB/MySQL: no partial indexes, so alive-only unique
// keys include an invisible generated column that is 1 for alive rows and
// NULL for deleted ones (NULLs never collide), and alive indexes carry
// deleted_at after the equality columns. DDL is not transactional.

func (d mysqlDialect) AddSoftColumn(t *table, col string) []string {
	return []string{"ALTER TABLE " + d.Quote(t.Name) + " ADD COLUMN " + d.Quote(col) + " DATETIME(6) NULL"}
}

func (d mysqlDialect) DropSoftColumn(t *table, col string) []string {
	return []string{"ALTER TABLE " + d.Quote(t.Name) + " DROP COLUMN " + d.Quote(col)}
}

// AliveUnique converts a unique key in one ALTER TABLE (drop and add
// together, so a foreign key that needs the index is never left without
// one), keeping prefix lengths and the index type.
func (d mysqlDialect) AliveUnique(t *table, softCol, name string, ix *index, haveHelper bool) []ddlStep {
	if ix.Expr {
		return nil // MySQL 8 functional key parts: no expression text to rewrite (see unconvertible)
	}
	var steps []ddlStep
	tbl := "ALTER TABLE " + d.Quote(t.Name)
	if !haveHelper {
		steps = append(steps, ddlStep{
			[]string{tbl + " ADD COLUMN " + d.Quote(mysqlAliveColumn) + " TINYINT AS (IF(" + d.Quote(softCol) + " IS NULL, 1, NULL)) VIRTUAL INVISIBLE"},
			[]string{tbl + " DROP COLUMN " + d.Quote(mysqlAliveColumn)},
		})
	}
	parts := ix.parts
	if len(parts) != len(ix.Columns) {
		parts = nil
		for _, c := range ix.Columns {
			parts = append(parts, d.Quote(c))
		}
	}
	using := ""
	if ix.Kind == "HASH" {
		using = " USING HASH"
	}
	cols := strings.Join(parts, ", ")
	add := " ADD UNIQUE KEY " + d.Quote(name) + " (" + cols + ", " + d.Quote(mysqlAliveColumn) + ")" + using
	if ix.Declared {
		return append(steps, ddlStep{[]string{tbl + add}, []string{tbl + " DROP INDEX " + d.Quote(name)}})
	}
	return append(steps, ddlStep{
		[]string{tbl + " DROP INDEX " + d.Quote(ix.Name) + "," + add},
		[]string{tbl + " DROP INDEX " + d.Quote(name) + ", ADD UNIQUE KEY " + d.Quote(ix.Name) + " (" + cols + ")" + using},
	})
}

func (d mysqlDialect) AliveIndex(t *table, softCol, name string, cols []string) []string {
	return []string{"CREATE INDEX " + d.Quote(name) + " ON " + d.Quote(t.Name) + " (" + pgCols(d, cols) + ", " + d.Quote(softCol) + ")"}
}

func (d mysqlDialect) PlainIndex(t *table, name string, cols []string) []string {
	return []string{"CREATE INDEX " + d.Quote(name) + " ON " + d.Quote(t.Name) + " (" + pgCols(d, cols) + ")"}
}

func (d mysqlDialect) DropNamedIndex(t *table, name string) []string {
	return []string{"ALTER TABLE " + d.Quote(t.Name) + " DROP INDEX " + d.Quote(name)}
}

func (mysqlDialect) TransactionalDDL() bool { return false }

func (d mysqlDialect) quote(ident string) string { return d.Quote(ident) }

func (d mysqlDialect) WidenSoftColumn(t *table, col, from, to string) ([]string, []string) {
	modify := func(typ string) string {
		s := "ALTER TABLE " + d.Quote(t.Name) + " MODIFY COLUMN " + d.Quote(col) + " " + typ + " NULL"
		if _, zoned := d.StampColumn(typ); zoned {
			s += " DEFAULT NULL"
		}
		return s
	}
	return []string{modify(to)}, []string{modify(from)}
}
