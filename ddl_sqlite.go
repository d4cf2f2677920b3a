package softdelete

import "strings"

// DDL for adopt on SQLite: partial indexes, transactional DDL. A UNIQUE
// constraint written inside CREATE TABLE cannot be dropped, so such tables
// are rebuilt (create a copy without the constraint, copy the rows, drop,
// rename), with foreign keys off and legacy_alter_table on (see
// applyWithoutFKs); tables with triggers or generated columns are left
// alone.

func (d sqliteDialect) AddSoftColumn(t *table, col string) []string {
	return []string{"ALTER TABLE " + d.Quote(t.Name) + " ADD COLUMN " + d.Quote(col) + " DATETIME"}
}

func (d sqliteDialect) DropSoftColumn(t *table, col string) []string {
	return []string{"ALTER TABLE " + d.Quote(t.Name) + " DROP COLUMN " + d.Quote(col)}
}

func (d sqliteDialect) AliveUnique(t *table, softCol, name string, ix *index, _ bool) []ddlStep {
	pred := d.Quote(softCol) + " IS NULL"
	create := "CREATE UNIQUE INDEX " + d.Quote(name) + " ON " + d.Quote(t.Name) + " (" + pgCols(d, ix.Columns) + ") WHERE " + pred
	drop := ddlStep{Up: nil, Down: nil}
	if !ix.Declared && !ix.Constraint {
		// Keep collations and the column list as written: only the name
		// changes and the predicate is added.
		on := strings.Index(strings.ToUpper(ix.Def), " ON ")
		if on < 0 {
			return nil
		}
		open := strings.Index(ix.Def[on:], "(")
		if open < 0 {
			return nil
		}
		rest := ix.Def[on+open:]
		if w := strings.LastIndex(strings.ToUpper(rest), " WHERE "); w >= 0 {
			pred = "(" + rest[w+len(" WHERE "):] + ") AND " + pred
			rest = rest[:w]
		}
		create = "CREATE UNIQUE INDEX " + d.Quote(name) + " ON " + d.Quote(t.Name) + " " + rest + " WHERE " + pred
		drop = ddlStep{d.DropNamedIndex(t, ix.Name), []string{ix.Def}}
	}
	// Inline UNIQUE constraints go with the table rebuild (rebuildUniques).
	steps := []ddlStep{{[]string{create}, d.DropNamedIndex(t, name)}}
	if drop.Up != nil {
		steps = append([]ddlStep{drop}, steps...)
	}
	return steps
}

func (d sqliteDialect) AliveIndex(t *table, softCol, name string, cols []string) []string {
	return []string{"CREATE INDEX " + d.Quote(name) + " ON " + d.Quote(t.Name) + " (" + pgCols(d, cols) + ") WHERE " + d.Quote(softCol) + " IS NULL"}
}

func (d sqliteDialect) PlainIndex(t *table, name string, cols []string) []string {
	return []string{"CREATE INDEX " + d.Quote(name) + " ON " + d.Quote(t.Name) + " (" + pgCols(d, cols) + ")"}
}

func (d sqliteDialect) DropNamedIndex(_ *table, name string) []string {
	return []string{"DROP INDEX " + d.Quote(name)}
}

func (sqliteDialect) TransactionalDDL() bool { return true }

func (sqliteDialect) Journal() journalSQL {
	return journalSQL{
		Create: "CREATE TABLE IF NOT EXISTS " + adoptJournal + " (id INTEGER PRIMARY KEY AUTOINCREMENT, steps TEXT NOT NULL, applied INTEGER NOT NULL)",
		Exists: "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + adoptJournal + "'",
	}
}

func (sqliteDialect) SentinelKinds(_ *table, col string) []sentinelKind {
	return []sentinelKind{
		{"Go's zero time (0001-01-01 00:00:00 in any text form: time.Time's String, RFC 3339, any fraction or offset)",
			col + " GLOB '0001-01-01[T ]00:00:00*'", purgeNever, Danger},
		{"the integer 0 (read as julian day 0, 4714 BC)", col + " = 0", purgeNever, Danger},
		{"a small number read as a julian day before year 1 (such as 1 for \"deleted\")",
			"typeof(" + col + ") IN ('integer', 'real') AND " + col + " > 0 AND " + col + " < 1721426.5", purgeNever, Danger},
		{"the unix epoch (1970-01-01 00:00:00 as text or julian day 2440587.5)",
			"unixepoch(" + col + ", 'auto', 'subsec') = 0", purgeEpoch, Danger},
	}
}

// rebuildUniques wraps a table's migration with rebuilds when it has
// UNIQUE constraints inside CREATE TABLE that adopt converts.
func (d sqliteDialect) rebuildUniques(t *table, up, down []string) ([]string, []string, bool) {
	need := false
	for _, ix := range t.uniques() {
		if ix.Constraint && !ix.AliveOnly {
			need = true
		}
	}
	if !need || t.def == "" {
		return up, down, false
	}
	stripped, ok := stripUnique(t.def)
	if !ok {
		return up, down, false
	}
	var idx []string
	for _, ix := range t.Indexes {
		if !ix.Constraint && ix.Def != "" {
			idx = append(idx, ix.Def)
		}
	}
	rebuild := func(createSQL string) []string {
		tmp := sqliteRebuildPrefix + t.Name
		create, ok := renameCreate(createSQL, d.Quote(tmp))
		if !ok {
			return nil
		}
		return append([]string{
			create,
			"INSERT INTO " + d.Quote(tmp) + " SELECT * FROM " + d.Quote(t.Name),
			"DROP TABLE " + d.Quote(t.Name),
			"ALTER TABLE " + d.Quote(tmp) + " RENAME TO " + d.Quote(t.Name),
		}, idx...)
	}
	ru, rd := rebuild(stripped), rebuild(t.def)
	if ru == nil || rd == nil {
		return up, down, false
	}
	return append(ru, up...), append(down, rd...), true
}

// renameCreate replaces the table name of a CREATE TABLE statement.
func renameCreate(sql, name string) (string, bool) {
	i := 0
	words := 0
	for i < len(sql) {
		for i < len(sql) && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r') {
			i++
		}
		j := i
		switch {
		case i < len(sql) && (sql[i] == '"' || sql[i] == '`' || sql[i] == '['):
			end := sql[i]
			if end == '[' {
				end = ']'
			}
			j = i + 1
			for j < len(sql) && sql[j] != end {
				j++
			}
			j++
		default:
			for j < len(sql) && isIdentChar(sql[j]) {
				j++
			}
		}
		if j == i {
			return "", false
		}
		w := strings.ToUpper(sql[i:j])
		words++
		if words > 2 && w != "IF" && w != "NOT" && w != "EXISTS" && w != "TEMP" && w != "TEMPORARY" {
			return sql[:i] + name + sql[j:], true
		}
		i = j
	}
	return "", false
}

// stripUnique removes the UNIQUE constraints (column and table level) from
// a CREATE TABLE statement, leaving strings, quoted names and everything
// else as written.
func stripUnique(sql string) (string, bool) {
	type tok struct {
		s     string
		start int
	}
	var toks []tok
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"' || c == '`' || c == '[':
			end := c
			if c == '[' {
				end = ']'
			}
			j := i + 1
			for j < len(sql) && sql[j] != end {
				j++
			}
			toks = append(toks, tok{sql[i : j+1], i})
			i = j + 1
		case isIdentChar(c):
			j := i
			for j < len(sql) && isIdentChar(sql[j]) {
				j++
			}
			toks = append(toks, tok{sql[i:j], i})
			i = j
		default:
			toks = append(toks, tok{string(c), i})
			i++
		}
	}
	type span struct{ from, to int } // byte offsets to cut
	var cuts []span
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.s {
		case "(":
			depth++
			continue
		case ")":
			depth--
			continue
		}
		if depth != 1 || !strings.EqualFold(t.s, "UNIQUE") {
			continue
		}
		from := t.start
		j := i + 1
		// Table constraint: [, ] [CONSTRAINT name] UNIQUE (cols) [ON CONFLICT x]
		k := i - 1
		if k >= 1 && strings.EqualFold(toks[k-1].s, "CONSTRAINT") {
			k -= 2
			from = toks[k+1].start
		}
		table := j < len(toks) && toks[j].s == "("
		if table {
			for d := 0; j < len(toks); j++ {
				if toks[j].s == "(" {
					d++
				} else if toks[j].s == ")" {
					d--
					if d == 0 {
						j++
						break
					}
				}
			}
			if k >= 0 && toks[k].s == "," {
				from = toks[k].start
			}
		}
		if j+2 < len(toks) && strings.EqualFold(toks[j].s, "ON") && strings.EqualFold(toks[j+1].s, "CONFLICT") {
			j += 3
		}
		to := len(sql)
		if j < len(toks) {
			to = toks[j].start
		}
		cuts = append(cuts, span{from, to})
		i = j - 1
	}
	if len(cuts) == 0 {
		return sql, false
	}
	var b strings.Builder
	last := 0
	for _, c := range cuts {
		b.WriteString(sql[last:c.from])
		last = c.to
	}
	b.WriteString(sql[last:])
	return b.String(), true
}

func (d sqliteDialect) quote(ident string) string { return d.Quote(ident) }

// WidenSoftColumn: SQLite stores the stamp text as written; nothing to do.
func (sqliteDialect) WidenSoftColumn(*table, string, string, string) ([]string, []string) {
	return nil, nil
}

// sqliteRebuildPrefix names the table a SQLite rebuild fills before it
// replaces the original (Adopted recognises a rebuild by it).
const sqliteRebuildPrefix = "_softdelete_new_"
