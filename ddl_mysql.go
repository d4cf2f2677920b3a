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
		// STORED, not VIRTUAL: MariaDB's InnoDB corrupts a unique index
		// over a virtual column under foreign-key cascades and soft
		// deletes ("tried to purge non-delete-marked record", then error
		// 1712 on every read through the index; Sakila's rental in
		// TestSampleDBStress, about one run in two). A stored column is
		// an ordinary one to the index.
		steps = append(steps, ddlStep{
			[]string{tbl + " ADD COLUMN " + d.aliveHelperDef(softCol)},
			[]string{tbl + " DROP COLUMN " + d.Quote(mysqlAliveColumn)},
		})
	}
	cols, using := d.aliveKeyParts(ix)
	add := " ADD UNIQUE KEY " + d.Quote(name) + " (" + cols + ", " + d.Quote(mysqlAliveColumn) + ")" + using
	if ix.Declared {
		return append(steps, ddlStep{[]string{tbl + add}, []string{tbl + " DROP INDEX " + d.Quote(name)}})
	}
	return append(steps, ddlStep{
		[]string{tbl + " DROP INDEX " + d.Quote(ix.Name) + "," + add},
		[]string{tbl + " DROP INDEX " + d.Quote(name) + ", ADD UNIQUE KEY " + d.Quote(ix.Name) + " (" + cols + ")" + using},
	})
}

// StoreAliveHelper is the one ALTER TABLE that turns t's VIRTUAL alive
// helper column (adopt before 2026-12-05) into a STORED one: MariaDB can
// neither MODIFY a generated column from VIRTUAL to STORED nor drop a
// column its keys use, so the statement drops the keys and the column and
// adds them back as adopt now creates them (AliveUnique), in one atomic
// table rebuild. keys are t's alive-only unique keys over the helper.
func (d mysqlDialect) StoreAliveHelper(t *table, softCol string, keys []*index) string {
	var b strings.Builder
	b.WriteString("ALTER TABLE " + d.Quote(t.Name))
	for _, ix := range keys {
		b.WriteString(" DROP INDEX " + d.Quote(ix.Name) + ",")
	}
	b.WriteString(" DROP COLUMN " + d.Quote(mysqlAliveColumn) + ", ADD COLUMN " + d.aliveHelperDef(softCol))
	for _, ix := range keys {
		cols, using := d.aliveKeyParts(ix)
		b.WriteString(", ADD UNIQUE KEY " + d.Quote(ix.Name) + " (" + cols + ", " + d.Quote(mysqlAliveColumn) + ")" + using)
	}
	return b.String()
}

// aliveHelperDef is the alive helper column's definition (STORED: see
// AliveUnique).
func (d mysqlDialect) aliveHelperDef(softCol string) string {
	return d.Quote(mysqlAliveColumn) + " TINYINT AS (IF(" + d.Quote(softCol) + " IS NULL, 1, NULL)) STORED INVISIBLE"
}

// aliveKeyParts returns ix's user key parts as written (prefix lengths
// kept) and its USING clause.
func (d mysqlDialect) aliveKeyParts(ix *index) (cols, using string) {
	parts := ix.parts
	if len(parts) != len(ix.Columns) {
		parts = nil
		for _, c := range ix.Columns {
			parts = append(parts, d.Quote(c))
		}
	}
	if ix.Kind == "HASH" {
		using = " USING HASH"
	}
	return strings.Join(parts, ", "), using
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

func (mysqlDialect) Journal() journalSQL {
	return journalSQL{
		Create: "CREATE TABLE IF NOT EXISTS " + adoptJournal + " (id BIGINT AUTO_INCREMENT PRIMARY KEY, steps LONGTEXT NOT NULL, applied INTEGER NOT NULL)",
		Exists: "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '" + adoptJournal + "'",
	}
}

func (mysqlDialect) SentinelKinds(t *table, col string) []sentinelKind {
	ks := []sentinelKind{
		{"the zero date ('0000-00-00 00:00:00', also what go-sql-driver/mysql writes for a zero time.Time, or another date of year 0)",
			"YEAR(" + col + ") = 0", purgeNever, Danger},
	}
	if t.stampZoned {
		// A TIMESTAMP holds neither year 1 nor the epoch itself.
		return ks
	}
	return append(ks,
		sentinelKind{"a zero month or day ('2024-01-00')", "YEAR(" + col + ") > 0 AND (MONTH(" + col + ") = 0 OR DAYOFMONTH(" + col + ") = 0)",
			"purge reads them as the day before the month's first", Warning},
		sentinelKind{"Go's zero time (0001-01-01 00:00:00) or another value before 0001-01-02",
			"YEAR(" + col + ") > 0 AND " + col + " < '0001-01-02 00:00:00'", purgeNever, Danger},
		sentinelKind{"the unix epoch (1970-01-01 00:00:00, FROM_UNIXTIME(0) in a UTC session)", col + " = '1970-01-01 00:00:00'", purgeEpoch, Danger})
}

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
