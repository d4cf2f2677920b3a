package softdelete

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ddlDialect writes the DDL of adopt and doctor, and the SQL of doctor's
// probes and adopt's journal. Each dialect implements it in its own file
// (ddl_sqlite.go, ddl_postgres.go, ddl_mysql.go).
type ddlDialect interface {
	// AddSoftColumn adds the nullable soft-delete column.
	AddSoftColumn(t *table, col string) []string
	DropSoftColumn(t *table, col string) []string
	// WidenSoftColumn changes a soft-delete column that keeps less than
	// microseconds (type from) to type to, and back (stamps.go).
	WidenSoftColumn(t *table, col, from, to string) (up, down []string)
	// AliveUnique makes the unique key ix count alive rows only, keeping
	// everything else of its definition (kind, operator classes, INCLUDE
	// columns, collations, an existing predicate). For a key declared in
	// code (ix.Declared) it only creates the new key. name is the new
	// key's name; haveHelper reports whether the table already has MySQL's
	// alive helper column. Each step applies and reverts on its own.
	AliveUnique(t *table, softCol, name string, ix *index, haveHelper bool) []ddlStep
	// AliveIndex creates an index that serves alive-row queries on cols.
	AliveIndex(t *table, softCol, name string, cols []string) []string
	// PlainIndex creates an ordinary index (foreign keys).
	PlainIndex(t *table, name string, cols []string) []string
	DropNamedIndex(t *table, name string) []string
	// TransactionalDDL: a migration can run in one transaction.
	TransactionalDDL() bool
	quote(ident string) string
	// Journal is the SQL of adopt's journal table (adoptJournal).
	Journal() journalSQL
	// SentinelKinds lists the markers of "no instant" other tools store
	// that the soft-delete column col (quoted) of t can hold, each with
	// the condition that finds it (sentinel.go, doctor).
	SentinelKinds(t *table, col string) []sentinelKind
}

var (
	_ ddlDialect = sqliteDialect{}
	_ ddlDialect = postgresDialect{}
	_ ddlDialect = mysqlDialect{}
)

// journalSQL is the SQL of adopt's journal on one database.
type journalSQL struct {
	// Create creates the table where it does not exist.
	Create string
	// Exists counts the tables of its name in the current schema.
	Exists string
	// ReturningID: the INSERT reads the new row's id through RETURNING id
	// (PostgreSQL, whose driver has no LastInsertId) rather than through
	// LastInsertId.
	ReturningID bool
}

// ddlStep is one unit of a migration: its up statements and the down
// statements that revert exactly them. On databases without transactional
// DDL a step is one statement, so that a failure part-way leaves whole
// steps applied, each with its inverse.
type ddlStep struct {
	Up, Down []string
}

// mysqlAliveColumn is the generated column MySQL/MariaDB unique keys use
// to count only alive rows.
const mysqlAliveColumn = "softdelete_alive"

// AdoptOptions selects what Adopt changes.
type AdoptOptions struct {
	// Tables to adopt; empty means every table of the schema. Names (here
	// and in AliveIndexes) match as the database matches them: exactly
	// first, then on PostgreSQL as an unquoted name folds (Customer is
	// customer), then ignoring case where the database does (SQLite,
	// PostgreSQL, MariaDB/MySQL with lower_case_table_names 1 or 2) if one
	// table matches; a name matching several is ErrInvalid. MariaDB's
	// default on Linux (lower_case_table_names=0) compares exactly.
	Tables []string
	// AliveIndexes adds alive-row indexes on these column lists, per table.
	// Existing indexes are never dropped or rebuilt for this: an alive
	// index is smaller and faster for queries that filter out deleted rows,
	// at the cost of one more index to maintain on writes.
	AliveIndexes map[string][][]string
}

// Migration is the DDL that adopts soft delete, with its inverse.
type Migration struct {
	Dialect string
	Up      []string
	Down    []string
	Notes   []string // what to know before applying
	// Blocking problems: applying would fail (e.g. duplicates among alive
	// rows for a declared unique key). Apply refuses while there are any.
	Blocking []string
	// Tables lists the adopted tables.
	Tables []string
	// rebuild marks SQLite migrations that rebuild tables.
	rebuild bool
	// steps are Up in order; Down is their inverses in reverse order.
	steps []ddlStep
	// journalIDs are the rows of softdelete_adoptions that record it, once
	// applied; journalApplied how many steps of each are applied (nil if
	// unknown).
	journalIDs     []int64
	journalApplied []int
}

// Empty reports whether there is nothing to do.
func (m *Migration) Empty() bool { return len(m.Up) == 0 }

// Script renders statements as an SQL script.
func Script(stmts []string) string {
	var b strings.Builder
	for _, s := range stmts {
		b.WriteString(s)
		b.WriteString(";\n")
	}
	return b.String()
}

// setSteps sets the migration's steps and derives Up and Down from them.
func (m *Migration) setSteps(steps []ddlStep) {
	m.steps = steps
	m.Up, m.Down = nil, nil
	for _, st := range steps {
		m.Up = append(m.Up, st.Up...)
	}
	for i := len(steps) - 1; i >= 0; i-- {
		m.Down = append(m.Down, steps[i].Down...)
	}
}

// Adopt plans the DDL that makes tables ready for soft delete: the
// soft-delete column where it is missing, unique keys converted to
// alive-only ones (partial unique indexes; on MySQL/MariaDB a generated
// helper column in the key) keeping their kind and options, and indexes
// on foreign-key columns that lack one (also where a unique key that
// served a foreign key becomes partial). Other indexes are left as they
// are. Nothing is executed: see ApplyMigration and Migration.WriteFiles.
func (db *DB) Adopt(ctx context.Context, opts AdoptOptions) (*Migration, error) {
	if err := db.Refresh(ctx); err != nil {
		return nil, err
	}
	s, err := db.loadSchema(ctx)
	if err != nil {
		return nil, err
	}
	dd, ok := db.dialect.(ddlDialect)
	if !ok {
		return nil, fmt.Errorf("softdelete: dialect %s cannot write DDL", db.Dialect())
	}
	// Tables named by the user, matched by the database's own case rules.
	var names []string
	for _, n := range opts.Tables {
		t, err := s.lookup(n)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(names, t.Name) {
			names = append(names, t.Name)
		}
	}
	all := len(names) == 0
	if all {
		for n := range s.tables {
			names = append(names, n)
		}
		slices.Sort(names)
	}
	aliveIndexes := map[string][][]string{}
	for n, cols := range opts.AliveIndexes {
		t, err := s.lookup(n)
		if err != nil {
			return nil, err
		}
		aliveIndexes[t.Name] = append(aliveIndexes[t.Name], cols...)
	}
	opts.AliveIndexes = aliveIndexes
	m := &Migration{Dialect: db.Dialect()}
	for n := range db.declared {
		if _, err := s.lookup(n); err != nil {
			m.Notes = append(m.Notes, fmt.Sprintf("a unique key is declared in code (WithUniqueKey, --unique) for %s: %v; it is ignored", n, err))
		}
	}
	if !dd.TransactionalDDL() {
		m.Notes = append(m.Notes, db.Dialect()+" commits DDL statement by statement: ApplyMigration first rehearses every statement on empty copies of the tables; if one still fails part-way, the statements before it stay applied and the error says how to finish (run adopt again) or undo them")
	}
	var steps []ddlStep
	plain := 0
	for _, name := range names {
		t := s.tables[name]
		if t.parent != "" {
			if all {
				m.Notes = append(m.Notes, fmt.Sprintf("%s inherits from %s (or is one of its partitions): it gets the soft-delete column and rows are addressed through %s; it is not adopted on its own", name, t.parent, t.parent))
				continue
			}
			return nil, &SchemaError{Table: name, Msg: "inherits from " + t.parent + " (or is one of its partitions): adopt " + t.parent + " instead"}
		}
		if len(t.PK) == 0 {
			m.Notes = append(m.Notes, name+": no primary key; softdelete needs one to address rows — skipped")
			continue
		}
		st, err := db.adoptTable(ctx, dd, t, opts, m)
		if err != nil {
			return nil, err
		}
		steps = append(steps, st...)
		m.Tables = append(m.Tables, name)
		for _, ix := range t.Indexes {
			if !ix.Unique && !ix.Primary && !ix.softCol && !ix.Declared {
				plain++
			}
		}
	}
	if plain > 0 {
		m.Notes = append(m.Notes, fmt.Sprintf("%d ordinary indexes of these tables stay as they are: they keep serving every query, and hold deleted rows too. An alive-only index (AdoptOptions.AliveIndexes, CLI --index TABLE:cols) is smaller and faster for queries on alive rows, at the cost of one more index to maintain on each write", plain))
	}
	m.setSteps(steps)
	return m, nil
}

func (db *DB) adoptTable(ctx context.Context, dd ddlDialect, t *table, opts AdoptOptions, m *Migration) ([]ddlStep, error) {
	softCol := t.softName
	var steps []ddlStep
	if !t.soft() {
		if c, exists := t.column(softCol); exists && c.NotNull {
			m.Blocking = append(m.Blocking, fmt.Sprintf("%s.%s exists but is NOT NULL; make it nullable first", t.Name, softCol))
			return nil, nil
		}
		steps = append(steps, ddlStep{dd.AddSoftColumn(t, softCol), dd.DropSoftColumn(t, softCol)})
	} else if !t.stampExact() {
		// A stamp must be unique per operation: keep microseconds.
		c, _ := t.column(t.SoftCol)
		u, d := dd.WidenSoftColumn(t, t.SoftCol, c.Type, db.dialect.StampWiden(c.Type))
		steps = append(steps, ddlStep{u, d})
	}
	_, haveHelper := t.column(mysqlAliveColumn)
	converted := map[*index]bool{}
	// Unique keys that count deleted rows become alive-only.
	for _, ix := range t.uniques() {
		if ix.AliveOnly && !ix.Declared {
			continue
		}
		if ix.Declared && t.aliveIndexed(ix.Columns) {
			continue
		}
		if by := t.referencedBy(ix); by != "" && !ix.Declared {
			m.Notes = append(m.Notes, fmt.Sprintf("%s(%s) is the target of a foreign key of %s and stays as it is: a key limited to alive rows cannot be one",
				t.Name, strings.Join(ix.Columns, ","), by))
			continue
		}
		if ix.Declared {
			dups, err := db.aliveDuplicates(ctx, t, softCol, ix.Columns)
			if err != nil {
				return nil, err
			}
			if dups > 0 {
				m.Blocking = append(m.Blocking, fmt.Sprintf("%s(%s): %d values are duplicated among alive rows; resolve them before adding the alive-only unique key",
					t.Name, strings.Join(ix.Columns, ","), dups))
				continue
			}
		}
		if !ix.Declared && db.Dialect() == "sqlite" && t.aliveUniqueOn(ix.Columns) {
			// An inline UNIQUE constraint that stayed (the table could not
			// be rebuilt: triggers, generated columns) beside the alive-only
			// index an earlier adopt made: planning it again failed the
			// apply (index already exists), so adopt could not be run again.
			continue
		}
		name := aliveKeyName(t, ix)
		st := dd.AliveUnique(t, softCol, name, ix, haveHelper)
		if st == nil {
			m.Notes = append(m.Notes, t.Name+": "+unconvertible(db.Dialect(), ix))
			continue
		}
		steps = append(steps, st...)
		if db.dialect.PartialIndexes() {
			converted[ix] = true // partial now: no longer serves a foreign key
		} else {
			haveHelper = true // MySQL/MariaDB: the key is whole, with the alive helper column
		}
	}
	// Foreign-key columns without an index: cascades would scan. A unique
	// key made partial above no longer counts.
	for _, fk := range t.Out {
		if t.coveredExcept(fk.ChildCols, converted) {
			continue
		}
		name := aliveName(t.Name, fk.ChildCols, "fk")
		if slices.ContainsFunc(steps, func(s ddlStep) bool { return strings.Contains(strings.Join(s.Up, ";"), dd.quote(name)) }) {
			continue // two foreign keys on the same columns
		}
		steps = append(steps, ddlStep{dd.PlainIndex(t, name, fk.ChildCols), dd.DropNamedIndex(t, name)})
	}
	// Alive indexes asked for: added beside the existing ones.
	for _, cols := range opts.AliveIndexes[t.Name] {
		for _, c := range cols {
			if _, ok := t.column(c); !ok {
				return nil, &SchemaError{Table: t.Name, Column: c, Msg: "no such column for an alive index"}
			}
		}
		name := aliveName(t.Name, cols, "alive")
		if t.aliveIndexed(cols) || slices.ContainsFunc(steps, func(s ddlStep) bool { return strings.Contains(strings.Join(s.Up, ";"), dd.quote(name)) }) {
			continue
		}
		steps = append(steps, ddlStep{dd.AliveIndex(t, softCol, name, cols), dd.DropNamedIndex(t, name)})
	}
	if rb, ok := dd.(interface {
		rebuildUniques(t *table, up, down []string) ([]string, []string, bool)
	}); ok && len(steps) > 0 && t.needsRebuild() {
		ok, err := db.rebuildable(ctx, t, m)
		if err != nil {
			return nil, err
		}
		if !ok {
			return steps, nil
		}
		// SQLite: the table is rebuilt around its steps, all in one.
		var up, down []string
		for _, st := range steps {
			up = append(up, st.Up...)
		}
		for i := len(steps) - 1; i >= 0; i-- {
			down = append(down, steps[i].Down...)
		}
		up, down, did := rb.rebuildUniques(t, up, down)
		m.rebuild = m.rebuild || did
		steps = []ddlStep{{up, down}}
	}
	return steps, nil
}

// needsRebuild reports whether a SQLite table has inline UNIQUE
// constraints that adopt converts (so it must be rebuilt).
func (t *table) needsRebuild() bool {
	for _, ix := range t.uniques() {
		if ix.Constraint && !ix.AliveOnly && !ix.Declared && t.referencedBy(ix) == "" {
			return true
		}
	}
	return false
}

// coveredExcept reports whether some full index other than those in skip
// starts with cols.
func (t *table) coveredExcept(cols []string, skip map[*index]bool) bool {
	for _, ix := range t.Indexes {
		if skip[ix] || ix.Partial || ix.Declared || ix.Kind != "" && ix.Kind != "HASH" {
			continue
		}
		if len(ix.Columns) >= len(cols) && slices.Equal(ix.Columns[:len(cols)], cols) {
			return true
		}
	}
	return false
}

// aliveKeyName names the alive-only key adopt makes of the unique key ix:
// table_cols_key, or for a key with expressions its own name_alive.
func aliveKeyName(t *table, ix *index) string {
	if ix.Expr {
		return aliveName(ix.Name, nil, "alive")
	}
	return aliveName(t.Name, ix.Columns, "key")
}

// unconvertible says why adopt leaves the unique key ix as it is, and what
// to do by hand (doctor gives the same as its fix).
func unconvertible(dialect string, ix *index) string {
	if ix.Expr && dialect == "mysql" {
		return fmt.Sprintf("unique key %s has a functional key part %s: MySQL reads no expression text adopt could rewrite (MariaDB has no functional key parts; index a generated column instead, which adopt converts). Make it count alive rows only by hand: recreate it with the invisible generated column softdelete_alive TINYINT AS (IF(deleted_at IS NULL, 1, NULL)) STORED as its last key part",
			ix.Name, ix.keyText())
	}
	return fmt.Sprintf("unique key %s cannot be converted automatically; make it count alive rows only by hand", ix.Name)
}

// referencedBy names a table whose foreign key targets the key ix.
func (t *table) referencedBy(ix *index) string {
	if ix.Expr {
		return "" // a foreign key targets columns, never an expression
	}
	for _, fk := range t.In {
		if slices.Equal(fk.ParentCols, ix.Columns) {
			return fk.Child
		}
	}
	return ""
}

// rebuildable reports whether a SQLite table can be rebuilt (to drop
// inline UNIQUE constraints) without losing anything; if not it says why
// in the migration's notes.
// A failure to find out is an error: planning without the rebuild
// gave another migration (the inline constraints kept, an alive index
// beside them), after which adopt could not finish.
func (db *DB) rebuildable(ctx context.Context, t *table, m *Migration) (bool, error) {
	for _, c := range t.Columns {
		if c.Generated {
			m.Notes = append(m.Notes, t.Name+" has generated columns: its inline UNIQUE constraints are left as they are (convert them by hand)")
			return false, nil
		}
	}
	b := newBuilder(db.dialect, 96)
	b.WriteString("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ")
	b.arg(t.Name)
	n, err := db.exec().queryInt64(ctx, b.String(), b.args...)
	if err != nil {
		return false, err
	}
	if n > 0 {
		m.Notes = append(m.Notes, t.Name+" has triggers, which a rebuild would drop: its inline UNIQUE constraints are left as they are (convert them by hand)")
		return false, nil
	}
	return true, nil
}

// covered reports whether some full index starts with cols.
func (t *table) covered(cols []string) bool { return t.coveredExcept(cols, nil) }

// fkIndex reports whether ix is the only full index covering a foreign key.
func (t *table) fkIndex(ix *index) bool {
	for _, fk := range t.Out {
		if len(ix.Columns) >= len(fk.ChildCols) && slices.Equal(ix.Columns[:len(fk.ChildCols)], fk.ChildCols) {
			return true
		}
	}
	return false
}

// aliveIndexed reports whether an alive index on cols exists.
func (t *table) aliveIndexed(cols []string) bool {
	for _, ix := range t.Indexes {
		if ix.Declared || ix.Expr {
			continue
		}
		if ix.AliveOnly && len(ix.Columns) >= len(cols) && slices.Equal(ix.Columns[:len(cols)], cols) {
			return true
		}
		if ix.softCol && len(ix.Columns) > len(cols) && slices.Equal(ix.Columns[:len(cols)], cols) {
			return true
		}
		if ix.Partial && ix.softCol && slices.Equal(ix.Columns, cols) {
			return true
		}
	}
	return false
}

// aliveUniqueOn reports whether an alive-only unique index on exactly cols
// exists.
func (t *table) aliveUniqueOn(cols []string) bool {
	for _, ix := range t.Indexes {
		if ix.Unique && ix.AliveOnly && !ix.Declared && !ix.Expr && slices.Equal(ix.Columns, cols) {
			return true
		}
	}
	return false
}

// aliveName names an index softdelete creates: table_cols_suffix, cut to
// 63 bytes (PostgreSQL's and MySQL's limit).
func aliveName(table string, cols []string, suffix string) string {
	n := table + "_" + strings.Join(cols, "_") + "_" + suffix
	if len(cols) == 0 {
		n = table + "_" + suffix
	}
	if len(n) > 63 {
		n = n[:54] + fmt.Sprintf("_%08x", fnv32(n))
	}
	return n
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// aliveDuplicates counts values of cols held by more than one alive row.
func (db *DB) aliveDuplicates(ctx context.Context, t *table, softCol string, cols []string) (int64, error) {
	b := newBuilder(db.dialect, 256)
	b.WriteString("SELECT COUNT(*) FROM (SELECT 1 AS one FROM ")
	b.ident(t.Name)
	if _, ok := t.column(softCol); ok {
		b.WriteString(" WHERE ")
		b.ident(softCol)
		b.WriteString(" IS NULL")
	}
	b.WriteString(" GROUP BY ")
	b.identList("", cols)
	b.WriteString(" HAVING COUNT(*) > 1) d")
	return db.exec().queryInt64(ctx, b.String(), b.args...)
}

// adoptJournal records what ApplyMigration applied, so that the down
// migration of an applied adopt can always be had again (Adopted), also
// after a MySQL apply that stopped part-way.
const adoptJournal = "softdelete_adoptions"

// journal records m's steps with applied of them done; it returns the
// row's id.
func (db *DB) journal(ctx context.Context, ex *executor, m *Migration, applied int) (int64, error) {
	js := db.dialect.(ddlDialect).Journal()
	if _, err := ex.exec(ctx, js.Create); err != nil {
		return 0, err
	}
	steps, err := json.Marshal(m.steps)
	if err != nil {
		return 0, err
	}
	b := newBuilder(db.dialect, 128)
	b.WriteString("INSERT INTO " + adoptJournal + " (steps, applied) VALUES (")
	b.arg(string(steps))
	b.WriteString(", ")
	b.arg(applied)
	b.WriteString(")")
	if js.ReturningID {
		b.WriteString(" RETURNING id")
		var id int64
		return id, ex.queryRow(ctx, b.String(), b.args, &id)
	}
	res, err := ex.exec(ctx, b.String(), b.args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Adopted returns what adopt applied to this database and was not undone
// yet (every ApplyMigration of an adopt plan is recorded, with how many of
// its steps ran): its Down undoes exactly that, also after an apply that
// stopped part-way. It is empty when nothing is recorded.
func (db *DB) Adopted(ctx context.Context) (*Migration, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	m := &Migration{Dialect: db.Dialect()}
	ex := db.exec()
	n, err := ex.queryInt64(ctx, db.dialect.(ddlDialect).Journal().Exists)
	if err != nil || n == 0 {
		return m, err
	}
	rows, err := ex.query(ctx, "SELECT id, steps, applied FROM "+adoptJournal+" ORDER BY id")
	if err != nil {
		return nil, err
	}
	var steps []ddlStep
	for rows.Next() {
		var id int64
		var text string
		var applied int
		if err := rows.Scan(&id, &text, &applied); err != nil {
			rows.Close()
			return nil, err
		}
		var st []ddlStep
		if err := json.Unmarshal([]byte(text), &st); err != nil {
			rows.Close()
			return nil, fmt.Errorf("softdelete: %s row %d: %w", adoptJournal, id, err)
		}
		applied = max(0, min(applied, len(st)))
		steps = append(steps, st[:applied]...)
		m.journalIDs = append(m.journalIDs, id)
		m.journalApplied = append(m.journalApplied, applied)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	m.setSteps(steps)
	// A SQLite rebuild (ddl_sqlite.go) is undone by a rebuild too, which
	// must run as the rebuild did (applyWithoutFKs): with foreign keys on,
	// dropping a rebuilt parent ran its children's ON DELETE actions (a
	// CASCADE deleted every child row).
	for _, s := range m.Down {
		if db.Dialect() == "sqlite" && strings.Contains(s, sqliteRebuildPrefix) {
			m.rebuild = true
		}
	}
	return m, nil
}

// forget removes the journal rows of m once its down migration ran.
func (db *DB) forget(ctx context.Context, ex *executor, m *Migration) error {
	for _, id := range m.journalIDs {
		b := newBuilder(db.dialect, 64)
		b.WriteString("DELETE FROM " + adoptJournal + " WHERE id = ")
		b.arg(id)
		if _, err := ex.exec(ctx, b.String(), b.args...); err != nil {
			return err
		}
	}
	m.journalIDs, m.journalApplied = nil, nil
	return nil
}

// ApplyMigration runs a migration's Up (or Down): in one transaction where
// the dialect's DDL is transactional (PostgreSQL, SQLite). On MySQL and
// MariaDB, which commit each DDL statement, every statement is first
// rehearsed on empty copies of the tables (key lengths, index kinds,
// column types: nothing is applied if one fails), then the steps run one
// by one and the journal counts them, so a failure part-way can be
// finished (plan and apply again) or undone (Adopted, then its Down).
// What an Up applied is recorded in the database (see Adopted); applying
// the Down of that migration removes the record. The schema cache is
// refreshed afterwards.
func (db *DB) ApplyMigration(ctx context.Context, m *Migration, down bool) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	if len(m.Blocking) > 0 && !down {
		return fmt.Errorf("%w: migration has blocking problems: %s", ErrInvalid, strings.Join(m.Blocking, "; "))
	}
	if len(m.steps) == 0 && (len(m.Up) > 0 || len(m.Down) > 0) {
		m.steps = []ddlStep{{m.Up, m.Down}} // built by hand
	}
	steps := m.steps
	if down {
		steps = make([]ddlStep, len(m.steps))
		for i, st := range m.steps {
			steps[len(steps)-1-i] = ddlStep{st.Down, st.Up}
		}
	}
	var stmts []string
	for _, st := range steps {
		stmts = append(stmts, st.Up...)
	}
	record := func(ctx context.Context, ex *executor) error {
		if down {
			return db.forget(ctx, ex, m)
		}
		if len(stmts) == 0 {
			return nil
		}
		id, err := db.journal(ctx, ex, m, len(m.steps))
		if err != nil {
			return err // rolled back with the migration
		}
		m.journalIDs = append(m.journalIDs, id)
		m.journalApplied = append(m.journalApplied, len(m.steps))
		return nil
	}
	dd := db.dialect.(ddlDialect)
	if pc, ok := dd.(interface {
		checkPrivileges(ctx context.Context, ex *executor, tables []string) error
	}); ok && len(stmts) > 0 {
		tables := m.Tables
		if len(tables) == 0 {
			for _, s := range stmts {
				if name := alterTargetQuoted(s, '"'); name != "" && !slices.Contains(tables, name) {
					tables = append(tables, name)
				}
			}
		}
		if err := pc.checkPrivileges(ctx, db.exec(), tables); err != nil {
			return err
		}
	}
	privilege := func(raw, err error) error {
		if raw != nil && db.dialect.Classify(raw) == errPrivilege {
			return &PrivilegeError{Op: "adopt --apply", Need: "write access to the database", Err: err}
		}
		return err
	}
	var err error
	if m.rebuild {
		err = db.applyWithoutFKs(ctx, stmts, record)
	} else if dd.TransactionalDDL() {
		err = db.exec().inTx(ctx, func(ex *executor) error {
			for _, s := range stmts {
				if _, err := ex.exec(ctx, s); err != nil {
					return privilege(err, fmt.Errorf("softdelete: %s: %w", firstLine(s), err))
				}
			}
			err := record(ctx, ex)
			return privilege(err, err)
		})
	} else {
		err = db.applyStepwise(ctx, m, steps, down)
	}
	// The schema changed (all of it, or on MariaDB part of it): the cache
	// is read again. A failure to read it is not the migration's: what ran
	// is committed, so it must not be reported as a failure (which says
	// nothing changed); the cache is dropped instead and read on next use.
	if rerr := db.Refresh(ctx); rerr != nil {
		db.dropSchema()
	}
	return err
}

// applyStepwise runs a migration on MySQL/MariaDB: rehearsal on empty
// copies, then step by step with the journal keeping count.
func (db *DB) applyStepwise(ctx context.Context, m *Migration, steps []ddlStep, down bool) error {
	if len(steps) == 0 {
		return nil
	}
	if err := db.rehearse(ctx, m, steps); err != nil {
		return err
	}
	ex := db.exec()
	var id int64
	if !down {
		var err error
		if id, err = db.journal(ctx, ex, m, 0); err != nil {
			if db.dialect.Classify(err) == errPrivilege {
				return &PrivilegeError{Op: "adopt --apply", Need: mysqlAdoptPrivileges, Err: err}
			}
			return err
		}
	}
	// Which journal row holds each step of a down migration, and the
	// position of the step in it: undoing a step records it (the row's
	// applied count goes down), so that a down that stopped part-way is
	// finished by the Down of Adopted. Unknown counts (a migration built
	// by hand) leave the rows to forget at the end.
	type place struct {
		id  int64
		pos int
	}
	var places []place
	if down && len(m.journalApplied) == len(m.journalIDs) {
		for r, n := range m.journalApplied {
			for p := 0; p < n; p++ {
				places = append(places, place{m.journalIDs[r], p})
			}
		}
		if len(places) != len(steps) {
			places = nil
		}
	}
	for i, st := range steps {
		for _, s := range st.Up {
			if _, err := ex.exec(ctx, s); err != nil {
				if down {
					if places != nil {
						m.journalApplied = nil // the record changed: read it again (Adopted)
						return fmt.Errorf("softdelete: %s: %w (%s commits each statement: the down migration stopped after %d of %d steps, which are recorded; apply the Down of Adopted again (softdelete adopt --down --apply) to finish)", firstLine(s), err, db.Dialect(), i, len(steps))
					}
					return fmt.Errorf("softdelete: %s: %w (the down migration stopped after %d of %d steps; run it again to finish)", firstLine(s), err, i, len(steps))
				}
				m.journalIDs = append(m.journalIDs, id)
				m.journalApplied = append(m.journalApplied, i)
				return fmt.Errorf("softdelete: %s: %w (%s commits each statement: %d of %d steps stayed applied and are recorded; plan and apply adopt again to finish, or apply the Down of Adopted (softdelete adopt --down --apply) to undo them)",
					firstLine(s), err, db.Dialect(), i, len(steps))
			}
		}
		// The step is committed: its record must follow, even if ctx ended
		// meanwhile, and on a fresh connection if this one was lost.
		rid, applied := id, i+1
		if down {
			if places == nil {
				continue
			}
			p := places[len(places)-1-i]
			rid, applied = p.id, p.pos
		}
		if err := db.journalCount(ctx, rid, applied); err != nil {
			if down {
				m.journalApplied = nil
				return fmt.Errorf("softdelete: recording the down migration's progress: %w (%s commits each statement: %d of %d steps of the down migration were applied, but the record says %d; apply the Down of Adopted again (softdelete adopt --down --apply) and drop what it then fails to find by hand)",
					err, db.Dialect(), i+1, len(steps), i)
			}
			m.journalIDs = append(m.journalIDs, id)
			m.journalApplied = append(m.journalApplied, i)
			return fmt.Errorf("softdelete: recording adopt's progress: %w (%s commits each statement: %d of %d steps stayed applied, the record says %d (the Down of Adopted misses: %s); plan and apply adopt again to finish)",
				err, db.Dialect(), i+1, len(steps), i, strings.Join(st.Down, "; "))
		}
	}
	if down {
		err := db.forget(context.WithoutCancel(ctx), ex, m)
		if err != nil && places != nil {
			// Every step is undone and recorded so (the rows count none):
			// the rows left are empty records, nothing to report.
			m.journalIDs, m.journalApplied = nil, nil
			return nil
		}
		return err
	}
	m.journalIDs = append(m.journalIDs, id)
	m.journalApplied = append(m.journalApplied, len(steps))
	return nil
}

// journalCount sets how many steps of journal row id are applied: after a
// step that committed, so not cut by ctx, and tried again once on another
// connection if the first attempt failed (a killed connection).
func (db *DB) journalCount(ctx context.Context, id int64, applied int) error {
	b := newBuilder(db.dialect, 64)
	b.WriteString("UPDATE " + adoptJournal + " SET applied = ")
	b.arg(applied)
	b.WriteString(" WHERE id = ")
	b.arg(id)
	ctx = context.WithoutCancel(ctx)
	var err error
	for range 2 {
		if _, err = db.exec().exec(ctx, b.String(), b.args...); err == nil {
			return nil
		}
	}
	return err
}

// rehearse runs steps, then their inverses, on empty copies (CREATE TABLE
// ... LIKE) of the tables they change, and drops the copies: a statement
// the database would refuse (key too long, a TEXT column without prefix,
// an index kind the engine lacks) fails here, before anything is applied.
// The tables their foreign keys link to are copied too, with those keys
// between the copies, so that what a foreign key forbids also fails here
// (dropping an index a key needs: error 1553; changing a column a key
// uses: 1832, 1833; a key the change would leave malformed: errno 150). A
// unique key the database would turn into a HASH long unique because it
// grew too long for a b-tree is refused too (MariaDB does that silently,
// and a HASH key serves no lookup). A privilege the user lacks is a
// *PrivilegeError.
func (db *DB) rehearse(ctx context.Context, m *Migration, steps []ddlStep) error {
	q := db.dialect.Quote
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return db.translate(err)
	}
	defer conn.Close()
	ex := &executor{db: db, q: conn}
	// privilege wraps err (saying what failed) in a *PrivilegeError if
	// the database's refusal raw is about a privilege.
	privilege := func(raw, err error) error {
		if db.dialect.Classify(raw) == errPrivilege {
			return &PrivilegeError{Op: "adopt --apply", Need: mysqlAdoptPrivileges, Err: err}
		}
		return err
	}
	tables := m.Tables
	if len(tables) == 0 {
		for _, st := range steps {
			for _, s := range append(append([]string(nil), st.Up...), st.Down...) {
				if name := alterTarget(s); name != "" && !slices.Contains(tables, name) {
					tables = append(tables, name)
				}
			}
		}
	}
	// On Galera a read of the catalog can be aborted by another session's
	// DDL (replicated in total order): error 1213, ErrBusy; read again.
	var fks []*rehearsalFK
	err = ex.retrying(ctx, func() error {
		var err error
		fks, err = db.rehearsalFKs(ctx, ex)
		return err
	})
	if err != nil {
		return privilege(err, fmt.Errorf("softdelete: rehearsal: reading foreign keys: %w", err))
	}
	all := slices.Clone(tables)
	for _, fk := range fks {
		if slices.Contains(tables, fk.child) || slices.Contains(tables, fk.parent) {
			for _, n := range []string{fk.child, fk.parent} {
				if !slices.Contains(all, n) {
					all = append(all, n)
				}
			}
		}
	}
	copies := map[string]string{}
	copyName := func(t string) string { return rehearsalPrefix + fmt.Sprintf("%08x", fnv32(t)) }
	// Copies left over by a rehearsal that was killed go first.
	if err := db.dropRehearsalCopies(ctx, ex); err != nil {
		return privilege(err, fmt.Errorf("softdelete: rehearsal: dropping the copies an earlier rehearsal left: %w (nothing was applied)", err))
	}
	defer func() {
		// The copies go, whatever happened: on this connection, else (it
		// may be lost, or its foreign_key_checks left off) on another one,
		// and this one is closed rather than returned to the pool.
		ctx := context.WithoutCancel(ctx)
		if db.dropRehearsalCopies(ctx, ex) == nil {
			return
		}
		conn.Raw(func(any) error { return driver.ErrBadConn })
		if c2, err := db.sql.Conn(ctx); err == nil {
			if db.dropRehearsalCopies(ctx, &executor{db: db, q: c2}) != nil {
				c2.Raw(func(any) error { return driver.ErrBadConn })
			}
			c2.Close()
		}
	}()
	for _, t := range all {
		c := copyName(t)
		if _, err := ex.exec(ctx, "CREATE TABLE "+q(c)+" LIKE "+q(t)); err != nil {
			return privilege(err, fmt.Errorf("softdelete: rehearsal: copying %s: %w", t, err))
		}
		copies[t] = c
	}
	for _, fk := range fks {
		c, p := copies[fk.child], copies[fk.parent]
		if c == "" || p == "" {
			continue
		}
		add := "ALTER TABLE " + q(c) + " ADD CONSTRAINT " + q(fkCopyName(fk)) +
			" FOREIGN KEY (" + pgCols(db.dialect, fk.cols) + ") REFERENCES " + q(p) + " (" + pgCols(db.dialect, fk.parentCols) + ")"
		if _, err := ex.exec(ctx, add+" ON DELETE "+fk.onDelete+" ON UPDATE "+fk.onUpdate); err != nil {
			// A key the server kept but would not create again (SET NULL
			// on a NOT NULL column): without its actions, or not at all.
			ex.exec(ctx, add)
		}
	}
	rewrite := func(s string) string {
		for t, c := range copies {
			s = strings.Replace(s, "ALTER TABLE "+q(t)+" ", "ALTER TABLE "+q(c)+" ", 1)
			s = strings.Replace(s, " ON "+q(t)+" (", " ON "+q(c)+" (", 1)
		}
		return s
	}
	// The server's message names the copies: give their real names back.
	var names []string
	for t, c := range copies {
		names = append(names, c, t)
	}
	for _, fk := range fks {
		if copies[fk.child] != "" && copies[fk.parent] != "" {
			names = append(names, fkCopyName(fk), fk.name)
		}
	}
	real := strings.NewReplacer(names...)
	run := func(stmts []string) error {
		for _, s := range stmts {
			if _, err := ex.exec(ctx, rewrite(s)); err != nil {
				return privilege(err, &rehearsalError{fmt.Sprintf("softdelete: %s: %s (found by a rehearsal on an empty copy of the table; nothing was applied)", firstLine(s), real.Replace(err.Error())), err})
			}
		}
		return nil
	}
	for _, st := range steps {
		if err := run(st.Up); err != nil {
			return err
		}
	}
	if err := db.rehearsalHashes(ctx, ex, steps, copies); err != nil {
		return err
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if err := run(steps[i].Down); err != nil {
			return fmt.Errorf("down migration: %w", err)
		}
	}
	return nil
}

// rehearsalPrefix begins the names of the empty copies a rehearsal makes
// (and drops again); softdelete ignores such tables (schema.finish).
const rehearsalPrefix = "_softdelete_check_"

// dropRehearsalCopies drops every rehearsal copy in the database, with
// foreign_key_checks off for the drop (foreign keys link the copies).
func (db *DB) dropRehearsalCopies(ctx context.Context, ex *executor) error {
	rows, err := ex.query(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_softdelete\\_check\\_%'")
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return db.translate(err)
		}
		names = append(names, db.dialect.Quote(n))
	}
	if err := closeRows(rows); err != nil || len(names) == 0 {
		return err
	}
	if _, err := ex.exec(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		return err
	}
	_, err = ex.exec(ctx, "DROP TABLE IF EXISTS "+strings.Join(names, ", "))
	if _, rerr := ex.exec(ctx, "SET SESSION foreign_key_checks = 1"); err == nil {
		err = rerr
	}
	return err
}

// rehearsalError is a statement the rehearsal saw refused, its message
// naming the real tables and keys instead of their copies.
type rehearsalError struct {
	msg string
	err error
}

func (e *rehearsalError) Error() string { return e.msg }
func (e *rehearsalError) Unwrap() error { return e.err }

// fkCopyName names the copy of a foreign key made for a rehearsal (names
// of foreign keys are unique in a database).
func fkCopyName(fk *rehearsalFK) string {
	return fmt.Sprintf(rehearsalPrefix+"fk_%08x", fnv32(fk.child+"\x00"+fk.name))
}

// mysqlAdoptPrivileges is what adopt --apply needs on MariaDB/MySQL.
const mysqlAdoptPrivileges = "ALTER, CREATE, DROP, INDEX and REFERENCES on the database (every statement is first rehearsed on copies of the tables there), and INSERT, UPDATE, DELETE and SELECT on " + adoptJournal

// PrivilegeError: the database user lacks a privilege that an operation
// needs. It is returned before anything was changed.
type PrivilegeError struct {
	Op   string // what needed it, "adopt --apply"
	Need string // the privileges the operation needs
	Err  error  // the database's refusal, naming the missing privilege
}

func (e *PrivilegeError) Error() string {
	return fmt.Sprintf("softdelete: %s needs %s; the database refused: %v (nothing was changed)", e.Op, e.Need, e.Err)
}

func (e *PrivilegeError) Unwrap() error { return e.Err }

// rehearsalFK is a foreign key as the rehearsal copies it.
type rehearsalFK struct {
	child, name, parent string
	cols, parentCols    []string
	onDelete, onUpdate  string
}

// rehearsalFKs lists the foreign keys between tables of the database.
func (db *DB) rehearsalFKs(ctx context.Context, ex *executor) ([]*rehearsalFK, error) {
	rows, err := ex.query(ctx, `SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA
  AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND BINARY r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
  AND k.TABLE_NAME NOT LIKE '\_softdelete\_check\_%'
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`)
	if err != nil {
		return nil, err
	}
	var out []*rehearsalFK
	for rows.Next() {
		var child, name, col, parent, pcol, del, upd string
		if err := rows.Scan(&child, &name, &col, &parent, &pcol, &del, &upd); err != nil {
			rows.Close()
			return nil, db.translate(err)
		}
		if n := len(out); n > 0 && out[n-1].child == child && out[n-1].name == name {
			out[n-1].cols = append(out[n-1].cols, col)
			out[n-1].parentCols = append(out[n-1].parentCols, pcol)
			continue
		}
		out = append(out, &rehearsalFK{child: child, name: name, parent: parent, cols: []string{col}, parentCols: []string{pcol},
			onDelete: ruleSQL(del), onUpdate: ruleSQL(upd)})
	}
	return out, db.translate(closeRows(rows))
}

// ruleSQL keeps a referential action read from the catalog to the ones
// SQL spells (it is written into a statement).
func ruleSQL(r string) string {
	switch r {
	case "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT":
		return r
	}
	return "NO ACTION"
}

// rehearsalHashes fails if a unique key the steps add came out as a HASH
// long unique on the copies though the steps did not ask for one: the key
// grew longer than a b-tree takes (InnoDB: 3072 bytes, 767 with ROW_FORMAT
// COMPACT or REDUNDANT) and MariaDB silently changed its kind.
func (db *DB) rehearsalHashes(ctx context.Context, ex *executor, steps []ddlStep, copies map[string]string) error {
	asked := map[string]bool{} // unique keys the steps add -> USING HASH asked
	owner := map[string]string{}
	for _, st := range steps {
		for _, s := range st.Up {
			const add = " ADD UNIQUE KEY "
			if i := strings.Index(s, add); i >= 0 {
				rest := s[i+len(add):]
				if j := strings.Index(rest[1:], "` "); rest != "" && rest[0] == '`' && j >= 0 {
					name := strings.ReplaceAll(rest[1:j+1], "``", "`")
					asked[name] = strings.Contains(rest, " USING HASH")
					owner[name] = alterTarget(s)
				}
			}
		}
	}
	if len(asked) == 0 {
		return nil
	}
	for name, hash := range asked {
		c := copies[owner[name]]
		if hash || c == "" {
			continue
		}
		b := newBuilder(db.dialect, 192)
		b.WriteString("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ")
		b.arg(c)
		b.WriteString(" AND INDEX_NAME = ")
		b.arg(name)
		b.WriteString(" AND INDEX_TYPE = 'HASH'")
		n, err := ex.queryInt64(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: %s: the alive-only unique key %s would be longer than InnoDB takes in a b-tree (3072 bytes; 767 with ROW_FORMAT COMPACT or REDUNDANT): the server would silently make it a HASH long unique, which enforces the key but serves no lookup, so queries that use the key today would scan (found by a rehearsal on an empty copy of the table; nothing was applied). Leave the table out (--table) and shorten the key's columns, or convert it by hand",
				ErrInvalid, owner[name], name)
		}
	}
	return nil
}

// CheckMigration rehearses a migration where DDL is not transactional
// (MySQL, MariaDB): every statement, then its inverse, on empty copies of
// the tables, which are dropped again. Nothing of the database's own
// tables changes. Where DDL is transactional it returns nil: ApplyMigration
// runs everything in one transaction there.
func (db *DB) CheckMigration(ctx context.Context, m *Migration) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	steps := m.steps
	if len(steps) == 0 && (len(m.Up) > 0 || len(m.Down) > 0) {
		steps = []ddlStep{{m.Up, m.Down}} // built by hand
	}
	if dd := db.dialect.(ddlDialect); dd.TransactionalDDL() || len(steps) == 0 {
		return nil
	}
	return db.rehearse(ctx, m, steps)
}

// alterTarget returns the table an ALTER TABLE or CREATE INDEX statement
// written by adopt for MySQL changes.
func alterTarget(s string) string { return alterTargetQuoted(s, '`') }

// alterTargetQuoted is alterTarget for identifiers quoted with q.
func alterTargetQuoted(s string, q byte) string {
	for _, p := range []string{"ALTER TABLE " + string(q), " ON " + string(q)} {
		if i := strings.Index(s, p); i >= 0 {
			rest := s[i+len(p):]
			for j := 0; j < len(rest); j++ {
				if rest[j] == q {
					if j+1 < len(rest) && rest[j+1] == q {
						j++
						continue
					}
					return strings.ReplaceAll(rest[:j], string(q)+string(q), string(q))
				}
			}
		}
	}
	return ""
}

// applyWithoutFKs runs a SQLite migration that rebuilds tables: foreign
// keys off for the connection (a DROP TABLE would otherwise run the
// children's ON DELETE actions), one transaction, a foreign_key_check
// before commit, foreign keys back on.
func (db *DB) applyWithoutFKs(ctx context.Context, stmts []string, record func(context.Context, *executor) error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return db.translate(err)
	}
	defer conn.Close()
	// Foreign keys off: DROP TABLE would otherwise run the children's ON
	// DELETE actions. legacy_alter_table on: the final RENAME then does not
	// re-check views that name the table while it is being replaced.
	for _, p := range []string{"PRAGMA foreign_keys = OFF", "PRAGMA legacy_alter_table = ON"} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	defer conn.ExecContext(context.Background(), "PRAGMA legacy_alter_table = OFF")
	defer conn.ExecContext(context.Background(), "PRAGMA foreign_keys = ON")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	ex := &executor{db: db, q: tx, tx: tx}
	for _, s := range stmts {
		if _, err := ex.exec(ctx, s); err != nil {
			tx.Rollback()
			return fmt.Errorf("softdelete: %s: %w", firstLine(s), err)
		}
	}
	rows, err := ex.query(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		tx.Rollback()
		return err
	}
	bad := rows.Next()
	rows.Close()
	if bad {
		tx.Rollback()
		return fmt.Errorf("softdelete: the rebuild would break foreign keys (PRAGMA foreign_key_check); nothing was changed")
	}
	if err := record(ctx, ex); err != nil {
		tx.Rollback()
		return err
	}
	return db.translate(tx.Commit())
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// WriteFiles writes the migration to dir in a form each tool applies as
// it is, with its defaults. Format "migrate" (default, golang-migrate):
// VERSION_name.up.sql and VERSION_name.down.sql; on MySQL/MariaDB, whose
// driver runs a file as one statement unless multiStatements is set, one
// pair per statement (VERSION001_name..., VERSION002_name...), each
// undoing exactly its own step. Format "goose": one VERSION_name.sql with
// Up and Down sections, one statement per line group (goose splits them;
// no StatementBegin/End block, which MySQL would reject as one
// multi-statement). It returns the paths written.
func (m *Migration) WriteFiles(dir, name, format string) ([]string, error) {
	if format != "" && format != "migrate" && format != "goose" {
		return nil, invalidf("unknown migration format %q (want migrate or goose)", format)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	version := time.Now().UTC().Format("20060102150405")
	header := "-- Generated by softdelete adopt for " + m.Dialect + ".\n"
	if m.rebuild {
		header += "-- It rebuilds SQLite tables: run it outside a transaction with foreign keys off\n" +
			"-- (golang-migrate: x-no-tx-wrap=true); otherwise DROP TABLE runs the children's ON DELETE actions.\n"
	}
	for _, n := range m.Notes {
		// No semicolon: some tools end a statement at one, even in a comment.
		header += "-- Note: " + strings.ReplaceAll(n, ";", ",") + "\n"
	}
	var files []string
	write := func(p, text string) error {
		files = append(files, p)
		return os.WriteFile(p, []byte(text), 0o644)
	}
	if format == "goose" {
		var b strings.Builder
		b.WriteString(header)
		if m.rebuild {
			b.WriteString("-- +goose NO TRANSACTION\n")
		}
		b.WriteString("-- +goose Up\n")
		b.WriteString(Script(m.Up))
		b.WriteString("\n-- +goose Down\n")
		b.WriteString(Script(m.Down))
		return files, write(filepath.Join(dir, version+"_"+name+".sql"), b.String())
	}
	if m.Dialect == "mysql" && len(m.steps) > 0 {
		for i, st := range m.steps {
			v := fmt.Sprintf("%s%03d", version, i+1)
			h := fmt.Sprintf("-- softdelete adopt, step %d of %d (one statement per file).\n", i+1, len(m.steps))
			if i == 0 {
				h = header + h
			}
			if err := write(filepath.Join(dir, v+"_"+name+".up.sql"), h+Script(st.Up)); err != nil {
				return nil, err
			}
			if err := write(filepath.Join(dir, v+"_"+name+".down.sql"), h+Script(st.Down)); err != nil {
				return nil, err
			}
		}
		return files, nil
	}
	up, down := m.Up, m.Down
	if m.rebuild {
		wrap := func(s []string) []string {
			return append(append([]string{"PRAGMA foreign_keys = OFF"}, s...), "PRAGMA foreign_keys = ON")
		}
		up, down = wrap(up), wrap(down)
	}
	if err := write(filepath.Join(dir, version+"_"+name+".up.sql"), header+Script(up)); err != nil {
		return nil, err
	}
	return files, write(filepath.Join(dir, version+"_"+name+".down.sql"), header+Script(down))
}
