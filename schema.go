package softdelete

import (
	"slices"
	"sort"
	"strings"
)

// Rule is what a delete of a parent row does to the rows that reference it.
type Rule int

const (
	// RuleFromSchema uses the foreign key's own ON DELETE rule.
	RuleFromSchema Rule = iota
	// Cascade soft-deletes the referencing rows too.
	Cascade
	// Restrict refuses the delete while live referencing rows exist.
	Restrict
	// NoAction behaves as Restrict (soft deletes are checked at once).
	NoAction
	// SetNull sets the referencing columns to NULL; restore puts them back.
	SetNull
	// SetDefault sets the referencing columns to their default; restore puts
	// them back.
	SetDefault
	// Ignore leaves referencing rows alone.
	Ignore
)

func (r Rule) String() string {
	switch r {
	case Cascade:
		return "CASCADE"
	case Restrict:
		return "RESTRICT"
	case NoAction:
		return "NO ACTION"
	case SetNull:
		return "SET NULL"
	case SetDefault:
		return "SET DEFAULT"
	case Ignore:
		return "IGNORE"
	}
	return "FROM SCHEMA"
}

func parseRule(s string) Rule {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CASCADE", "C":
		return Cascade
	case "RESTRICT", "R":
		return Restrict
	case "SET NULL", "N":
		return SetNull
	case "SET DEFAULT", "D":
		return SetDefault
	}
	return NoAction
}

type relKey struct{ child, parent string }

// WithUniqueKey declares, from code, that cols must be unique among the
// alive rows of table. softdelete then checks it on restore (ErrConflict),
// and adopt creates the alive-only unique index for it.
func WithUniqueKey(table string, cols ...string) Option {
	return func(db *DB) error {
		if table == "" || len(cols) == 0 {
			return invalidf("WithUniqueKey needs a table and columns")
		}
		if db.declared == nil {
			db.declared = map[string][][]string{}
		}
		db.declared[table] = append(db.declared[table], cols)
		return nil
	}
}

// WithRelationRule overrides, for every foreign key from child to parent,
// the rule a soft delete follows (for example Cascade where the schema says
// NO ACTION). The database's own rule still applies to hard deletes.
func WithRelationRule(child, parent string, r Rule) Option {
	return func(db *DB) error {
		if db.overrides == nil {
			db.overrides = map[relKey]Rule{}
		}
		db.overrides[relKey{child, parent}] = r
		return nil
	}
}

// schema is what softdelete knows of the database: read once per DB,
// refreshed by (*DB).Refresh.
type schema struct {
	tables map[string]*table
	fks    []*foreignKey
	// names is how the database matches the table names it is given;
	// byLower indexes the tables by their lower-case name (lookup).
	names   nameCase
	byLower map[string][]string
}

// nameCase is how a database matches the table names it is given: the
// rule lookup applies to names that come from users (table-level API,
// options, adopt, doctor, purge, the CLI).
type nameCase int

const (
	// namesExact: names are case-sensitive (MariaDB and MySQL with
	// lower_case_table_names=0, the default on Linux).
	namesExact nameCase = iota
	// namesASCII: names match ignoring ASCII case (SQLite).
	namesASCII
	// namesFold: names match ignoring case (MariaDB and MySQL with
	// lower_case_table_names 1 or 2).
	namesFold
	// namesLower: a name written without quotes is folded to lower case;
	// a quoted one is exact (PostgreSQL).
	namesLower
)

// fold is the form two names the database takes for the same share.
func (r nameCase) fold(s string) string {
	switch r {
	case namesExact:
		return s
	case namesASCII:
		return asciiLower(s)
	}
	return strings.ToLower(s)
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// resolve returns which of the tables in names (those whose lower-case
// form is name's) a name given by a user means:
//   - the table of exactly that name, if there is one;
//   - on PostgreSQL, the table the name folds to unquoted (Customer is
//     customer), as the database itself would read it;
//   - where the database matches names ignoring case (SQLite, PostgreSQL,
//     MariaDB with lower_case_table_names 1 or 2), the one table that
//     matches ignoring case; two or more are ErrInvalid, with their names.
//
// Where names are case-sensitive (MariaDB's default on Linux) only the
// exact name matches; the error then names the tables that differ only in
// case.
func (r nameCase) resolve(name string, names []string) (string, error) {
	if slices.Contains(names, name) {
		return name, nil
	}
	if r == namesLower {
		if l := asciiLower(name); slices.Contains(names, l) {
			return l, nil
		}
	}
	var cands []string
	for _, n := range names {
		if strings.ToLower(n) == strings.ToLower(name) && (r == namesExact || r.fold(n) == r.fold(name)) {
			cands = append(cands, n)
		}
	}
	slices.Sort(cands)
	switch {
	case r == namesExact && len(cands) > 0:
		return "", &SchemaError{Table: name, Msg: "no such table (table names are case-sensitive on this server, lower_case_table_names=0: did you mean " + strings.Join(cands, " or ") + "?)"}
	case len(cands) == 1:
		return cands[0], nil
	case len(cands) > 1:
		return "", invalidf("table name %s is ambiguous: it matches %s, which differ only in case; give one exactly", shortQuote(name), strings.Join(cands, ", "))
	}
	return "", &SchemaError{Table: name, Msg: "no such table"}
}

// lookup returns the table a name given by a user means (see resolve):
// a *SchemaError if there is none, ErrInvalid if the name is ambiguous.
// It only reads the cache: tableFor also finds tables created since.
func (s *schema) lookup(name string) (*table, error) {
	if t := s.tables[name]; t != nil {
		return t, nil
	}
	n, err := s.names.resolve(name, s.byLower[strings.ToLower(name)])
	if err != nil {
		return nil, err
	}
	return s.tables[n], nil
}

// canonical returns the name of the table name means, or name itself when
// there is none (options naming tables that do not exist are ignored).
func (s *schema) canonical(name string) string {
	if t, err := s.lookup(name); err == nil {
		return t.Name
	}
	return name
}

type table struct {
	Name    string
	Columns []column
	PK      []string
	SoftCol string // "" when the table has no soft-delete column
	// softName is the soft-delete column the table has or would get (the
	// DB's name, or the table's own from WithTableDeletedColumn).
	softName string
	// stampPrec is the number of fractional second digits the soft-delete
	// column keeps (-1: not a type the dialect knows; nothing is refused);
	// stampZoned marks MariaDB TIMESTAMP columns, read and written through
	// the session time zone (stamps.go).
	stampPrec  int
	stampZoned bool
	Out        []*foreignKey
	In         []*foreignKey
	Indexes    []*index // every index and unique constraint (and keys declared in code)
	def        string   // CREATE TABLE statement, where the database keeps it (SQLite)
	// noRowid: a SQLite WITHOUT ROWID table, whose INTEGER PRIMARY KEY is
	// an ordinary column, not an alias of a rowid the database fills.
	noRowid bool
	// parent names the table this one inherits from or is a partition of
	// (PostgreSQL): its rows are reached, and its columns added, through
	// the parent.
	parent string
	colIdx map[string]int
}

type column struct {
	Name    string
	Type    string
	NotNull bool
	Default bool // has a default
	pkPos   int  // 1-based position in the primary key, 0 if not
	// Generated columns cannot be written.
	Generated bool
	// Virtual: a generated column computed on read, not stored (MySQL,
	// MariaDB; doctor flags the alive helper column when it is one).
	Virtual bool
}

type foreignKey struct {
	Name       string
	Child      string
	ChildCols  []string
	Parent     string
	ParentCols []string
	Schema     Rule // the rule declared in the database
	Rule       Rule // the rule soft deletes follow (Schema unless overridden)
}

// index is an index or a unique/primary key constraint.
type index struct {
	Name       string
	Columns    []string // user columns (without MySQL's alive helper column)
	Unique     bool
	Primary    bool
	Constraint bool   // a table constraint rather than CREATE INDEX
	Partial    bool   // has a WHERE clause
	AliveOnly  bool   // limited to alive rows (partial WHERE deleted_at IS NULL, or MySQL's helper column)
	Def        string // the database's own definition, when it gives one
	Declared   bool   // declared in code (WithUniqueKey), not found in the database
	softCol    bool   // mentions the soft-delete column
	// Kind is the access method or index type where it is not a plain
	// b-tree (gist, gin, FULLTEXT, SPATIAL, HASH...).
	Kind string
	// Expr: some key part is an expression (lower(email)), not a column.
	// Columns then holds only the columns before the first expression
	// (what the index can serve as a leading-column lookup); the key
	// itself is in Def. Checks that compare key columns skip it.
	Expr bool
	// parts are the MySQL key parts as written (quoted column, with its
	// prefix length), parallel to Columns.
	parts []string
	// prefix is how a prefix search on the first key column can use the
	// index (prefixNone: it cannot); coll is the collation of that key
	// column as written after COLLATE in a condition the index serves
	// ("" when the column's own collation does).
	prefix prefixWay
	coll   string
}

// prefixWay is how a condition "column starts with p" is written so that
// an index on the column serves it (dialect_rows.go writes it).
type prefixWay uint8

const (
	prefixNone    prefixWay = iota // no index serves it
	prefixLike                     // col LIKE 'p%' (MariaDB; SQLite on a NOCASE index)
	prefixRange                    // col COLLATE coll >= p AND col COLLATE coll < next(p): a collation in code point order
	prefixPattern                  // col ~>=~ p AND col ~<~ next(p): PostgreSQL's *_pattern_ops
)

// uniques returns the table's unique keys other than the primary key.
func (t *table) uniques() []*index {
	var out []*index
	for _, ix := range t.Indexes {
		if ix.Unique && !ix.Primary {
			out = append(out, ix)
		}
	}
	return out
}

func (t *table) column(name string) (column, bool) {
	i, ok := t.colIdx[name]
	if !ok {
		return column{}, false
	}
	return t.Columns[i], true
}

func (t *table) soft() bool { return t.SoftCol != "" }

// finish indexes the raw schema a dialect read.
func (s *schema) finish(db *DB) {
	for name := range s.tables {
		if strings.HasPrefix(name, "softdelete_") || strings.HasPrefix(name, rehearsalPrefix) {
			delete(s.tables, name) // softdelete's own bookkeeping, adopt's rehearsal copies
		}
	}
	s.byLower = make(map[string][]string, len(s.tables))
	for name := range s.tables {
		l := strings.ToLower(name)
		s.byLower[l] = append(s.byLower[l], name)
	}
	// Tables named in options by users, matched by the database's rules.
	softCols := map[string]string{}
	for name, c := range db.softColumns() {
		if _, exact := s.tables[name]; exact || softCols[s.canonical(name)] == "" {
			softCols[s.canonical(name)] = c
		}
	}
	declared := map[string][][]string{}
	for name, keys := range db.declared {
		n := s.canonical(name)
		declared[n] = append(declared[n], keys...)
	}
	overrides := map[relKey]Rule{}
	for k, r := range db.overrides {
		ck := relKey{s.canonical(k.child), s.canonical(k.parent)}
		if _, set := overrides[ck]; !set || ck == k {
			overrides[ck] = r
		}
	}
	for _, t := range s.tables {
		t.colIdx = make(map[string]int, len(t.Columns))
		var pk []column
		for i, c := range t.Columns {
			t.colIdx[c.Name] = i
			if c.pkPos > 0 {
				pk = append(pk, c)
			}
		}
		sort.Slice(pk, func(i, j int) bool { return pk[i].pkPos < pk[j].pkPos })
		t.PK = t.PK[:0]
		for _, c := range pk {
			t.PK = append(t.PK, c.Name)
		}
		softCol := db.softCol
		if c, ok := softCols[t.Name]; ok {
			softCol = c
		}
		t.softName = softCol
		if c, ok := t.column(softCol); ok && !c.NotNull {
			t.SoftCol = c.Name
			t.stampPrec, t.stampZoned = db.dialect.StampColumn(c.Type)
		}
		for _, ix := range t.Indexes {
			for _, c := range ix.Columns {
				if c == softCol {
					ix.softCol = true
				}
			}
			if ix.Partial && strings.Contains(strings.ToLower(ix.Def), strings.ToLower(softCol)) {
				ix.softCol = true
			}
		}
		for _, cols := range declared[t.Name] {
			found := false
			for _, ix := range t.uniques() {
				if !ix.Expr && slices.Equal(ix.Columns, cols) {
					found = true
				}
			}
			if !found {
				t.Indexes = append(t.Indexes, &index{Name: "declared:" + strings.Join(cols, ","), Columns: cols,
					Unique: true, AliveOnly: true, Declared: true})
			}
		}
		t.Out, t.In = nil, nil
	}
	sort.SliceStable(s.fks, func(i, j int) bool {
		if s.fks[i].Child != s.fks[j].Child {
			return s.fks[i].Child < s.fks[j].Child
		}
		return s.fks[i].Name < s.fks[j].Name
	})
	for _, fk := range s.fks {
		fk.Rule = fk.Schema
		if r, ok := overrides[relKey{fk.Child, fk.Parent}]; ok && r != RuleFromSchema {
			fk.Rule = r
		}
		if c := s.tables[fk.Child]; c != nil {
			c.Out = append(c.Out, fk)
		}
		if p := s.tables[fk.Parent]; p != nil {
			if len(fk.ParentCols) == 0 || fk.ParentCols[0] == "" {
				fk.ParentCols = append([]string(nil), p.PK...)
			}
			p.In = append(p.In, fk)
		}
	}
}

// addColumn is used by dialects while reading.
func (s *schema) addColumn(tbl string, c column) {
	if s.tables == nil {
		s.tables = map[string]*table{}
	}
	t := s.tables[tbl]
	if t == nil {
		t = &table{Name: tbl}
		s.tables[tbl] = t
	}
	t.Columns = append(t.Columns, c)
}

// addFKColumn appends one column pair to the foreign key identified by
// (child, name), creating it on first sight.
func (s *schema) addFKColumn(child, name, parent, childCol, parentCol, rule string) {
	for _, fk := range s.fks {
		if fk.Child == child && fk.Name == name {
			fk.ChildCols = append(fk.ChildCols, childCol)
			fk.ParentCols = append(fk.ParentCols, parentCol)
			return
		}
	}
	s.fks = append(s.fks, &foreignKey{Name: name, Child: child, Parent: parent,
		ChildCols: []string{childCol}, ParentCols: []string{parentCol}, Schema: parseRule(rule)})
}

// addIndexColumn appends a column to the index (tbl, name), creating it
// on first sight with the flags of ix.
func (s *schema) addIndexColumn(tbl string, ix index, col string) {
	t := s.tables[tbl]
	if t == nil {
		return
	}
	for _, u := range t.Indexes {
		if u.Name == ix.Name {
			if col != "" && !u.Expr { // after an expression, no leading column
				u.Columns = append(u.Columns, col)
			}
			return
		}
	}
	n := ix
	if col != "" {
		n.Columns = []string{col}
	}
	t.Indexes = append(t.Indexes, &n)
}

// addIndexExpr records an expression key part of the index (tbl, name),
// creating it on first sight with the flags of ix: the index is Expr from
// then on and later columns are not leading columns.
func (s *schema) addIndexExpr(tbl string, ix index) {
	t := s.tables[tbl]
	if t == nil {
		return
	}
	for _, u := range t.Indexes {
		if u.Name == ix.Name {
			u.Expr = true
			return
		}
	}
	n := ix
	n.Columns, n.Expr = nil, true
	t.Indexes = append(t.Indexes, &n)
}

// keyText is the key of ix as doctor and adopt show it: (a, b), or the
// database's own text of a key with expressions, (lower(email)).
func (ix *index) keyText() string {
	if ix.Expr {
		if k := defKey(ix.Def); k != "" {
			return k
		}
		return "(expression)"
	}
	return "(" + strings.Join(ix.Columns, ",") + ")"
}

// defKey returns the parenthesized key of a CREATE INDEX definition: what
// follows the table name (and USING method), up to its closing
// parenthesis.
func defKey(def string) string {
	i := strings.Index(def, " USING ")
	if i < 0 {
		i = strings.Index(strings.ToUpper(def), " ON ")
	}
	if i < 0 {
		return ""
	}
	open := strings.IndexByte(def[i:], '(')
	if open < 0 {
		return ""
	}
	depth := 0
	for j := i + open; j < len(def); j++ {
		switch def[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return def[i+open : j+1]
			}
		case '\'', '"':
			q := def[j]
			for j++; j < len(def) && def[j] != q; j++ {
			}
		}
	}
	return ""
}

// addIndexPart records a MySQL key part (column with prefix length) of the
// index (tbl, name), in column order.
func (s *schema) addIndexPart(tbl, name, part string) {
	if t := s.tables[tbl]; t != nil {
		for _, u := range t.Indexes {
			if u.Name == name {
				u.parts = append(u.parts, part)
			}
		}
	}
}
