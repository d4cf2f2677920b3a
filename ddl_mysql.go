package softdelete

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

func (d mysqlDialect) AliveUnique(t *table, softCol, name string, cols []string, haveHelper bool) ([]string, bool) {
	var up []string
	if !haveHelper {
		up = append(up, "ALTER TABLE "+d.Quote(t.Name)+" ADD COLUMN "+d.Quote(mysqlAliveColumn)+
			" TINYINT AS (IF("+d.Quote(softCol)+" IS NULL, 1, NULL)) VIRTUAL INVISIBLE")
	}
	up = append(up, "ALTER TABLE "+d.Quote(t.Name)+" ADD UNIQUE KEY "+d.Quote(name)+" ("+pgCols(d, cols)+", "+d.Quote(mysqlAliveColumn)+")")
	return up, !haveHelper
}

func (d mysqlDialect) DropAliveUnique(t *table, name string) []string {
	return d.DropNamedIndex(t, name)
}

func (d mysqlDialect) DropHelper(t *table) []string {
	return []string{"ALTER TABLE " + d.Quote(t.Name) + " DROP COLUMN " + d.Quote(mysqlAliveColumn)}
}

func (d mysqlDialect) AliveIndex(t *table, softCol, name string, cols []string) []string {
	return []string{"CREATE INDEX " + d.Quote(name) + " ON " + d.Quote(t.Name) + " (" + pgCols(d, cols) + ", " + d.Quote(softCol) + ")"}
}

func (d mysqlDialect) PlainIndex(t *table, name string, cols []string) []string {
	return []string{"CREATE INDEX " + d.Quote(name) + " ON " + d.Quote(t.Name) + " (" + pgCols(d, cols) + ")"}
}

func (d mysqlDialect) DropIndex(t *table, ix *index) []string { return d.DropNamedIndex(t, ix.Name) }

func (d mysqlDialect) RecreateIndex(t *table, ix *index) []string {
	if ix.Unique {
		return []string{"ALTER TABLE " + d.Quote(t.Name) + " ADD UNIQUE KEY " + d.Quote(ix.Name) + " (" + pgCols(d, ix.Columns) + ")"}
	}
	return []string{"CREATE INDEX " + d.Quote(ix.Name) + " ON " + d.Quote(t.Name) + " (" + pgCols(d, ix.Columns) + ")"}
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
