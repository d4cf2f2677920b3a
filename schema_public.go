package softdelete

import (
	"context"
	"slices"
	"sort"
	"strings"
)

// Schema is what softdelete knows of the database's tables, as read by
// the last schema load (first use of the DB, or Refresh). It is a copy:
// safe to keep and to read from several goroutines, and unaffected by
// later refreshes.
type Schema struct {
	// Tables are sorted by name. softdelete's own tables (softdelete_*)
	// are not listed.
	Tables []*TableInfo
}

// Table returns the table of that name, nil if there is none.
func (s *Schema) Table(name string) *TableInfo {
	if s == nil {
		return nil
	}
	i, ok := slices.BinarySearchFunc(s.Tables, name, func(t *TableInfo, n string) int { return strings.Compare(t.Name, n) })
	if !ok {
		return nil
	}
	return s.Tables[i]
}

// TableInfo describes one table.
type TableInfo struct {
	Name       string
	Columns    []ColumnInfo // in table order
	PrimaryKey []string     // in key order; empty when the table has none
	// DeletedColumn is the soft-delete column, "" when the table is not
	// soft-deletable.
	DeletedColumn string
	ForeignKeys   []ForeignKeyInfo // this table's references to parents
	ReferencedBy  []ForeignKeyInfo // other tables' references to this one
	UniqueKeys    []UniqueKeyInfo  // unique keys other than the primary key
	// Indexes are the table's indexes, the primary and unique keys among
	// them, as the database reports them (keys declared in code only are
	// in UniqueKeys, not here).
	Indexes []IndexInfo
	// PartOf names the table this one is a partition or an inheritance
	// child of (PostgreSQL); its rows are also rows of that table.
	PartOf string
}

// SoftDelete reports whether the table has a soft-delete column.
func (t *TableInfo) SoftDelete() bool { return t != nil && t.DeletedColumn != "" }

// Column returns the column of that name.
func (t *TableInfo) Column(name string) (ColumnInfo, bool) {
	if t == nil {
		return ColumnInfo{}, false
	}
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return ColumnInfo{}, false
}

// IndexInfo is one index of a table.
type IndexInfo struct {
	Name string
	// Columns are the key columns in key order; when a key part is an
	// expression (lower(email)), only the columns before it.
	Columns         []string
	Unique, Primary bool
	// Partial: the index has a WHERE clause; AliveOnly: it holds the
	// alive rows (WHERE deleted_at IS NULL, or MariaDB's alive helper
	// column).
	Partial, AliveOnly bool
	// Kind is the access method or index type when it is not a b-tree
	// (gin, gist, FULLTEXT, HASH...); "" for a b-tree.
	Kind string
	// Expression: some key part is an expression rather than a column.
	Expression bool
	// PrefixSearch: a SearchPrefix on Columns[0] can use this index (see
	// SearchPrefix for which PostgreSQL and SQLite indexes can).
	PrefixSearch bool
}

// SearchColumns are the columns a RowsQuery searches in that mode when it
// names none: every text column for SearchContains; for SearchPrefix and
// SearchExact, the text columns that lead a b-tree index able to serve
// the search (on every row, or on the alive rows only). Empty when there
// are none: such a search matches no row.
func (t *TableInfo) SearchColumns(mode SearchMode) []string {
	if t == nil {
		return nil
	}
	var out []string
	for _, c := range t.Columns {
		if c.Kind != KindText {
			continue
		}
		ok := mode == SearchContains
		for _, ix := range t.Indexes {
			if ok {
				break
			}
			ok = ix.Kind == "" && len(ix.Columns) > 0 && ix.Columns[0] == c.Name && (!ix.Partial || ix.AliveOnly) &&
				(mode == SearchExact || mode == SearchPrefix && ix.PrefixSearch)
		}
		if ok {
			out = append(out, c.Name)
		}
	}
	return out
}

// ColumnKind is the family of a column's type, the same on every dialect.
type ColumnKind string

// Column kinds. Values read by Rows are normalized per kind (see RowsPage).
const (
	KindText    ColumnKind = "text"
	KindInteger ColumnKind = "integer"
	KindNumber  ColumnKind = "number" // decimal and floating point
	KindTime    ColumnKind = "time"   // date, datetime, timestamp
	KindBool    ColumnKind = "bool"
	KindBytes   ColumnKind = "bytes"
	KindOther   ColumnKind = "other" // uuid, json, time of day, intervals, arrays, enums...
)

// ColumnInfo describes one column.
type ColumnInfo struct {
	Name string
	Type string // as the database declares it
	Kind ColumnKind
	// NotNull: the column refuses NULL. HasDefault: it has a default (or
	// is an identity/auto-increment column). Generated: computed by the
	// database, never written. PrimaryKey: part of the primary key.
	NotNull, HasDefault, Generated, PrimaryKey bool
}

// ForeignKeyInfo is one foreign key.
type ForeignKeyInfo struct {
	Name          string
	Table         string // the child (referencing) table
	Columns       []string
	Parent        string
	ParentColumns []string
	OnDelete      Rule // the rule soft deletes follow (SchemaRule unless WithRelationRule overrides it)
	SchemaRule    Rule // the rule declared in the database
}

// UniqueKeyInfo is a unique key other than the primary key. AliveOnly: it
// holds among alive rows only (a partial index WHERE deleted_at IS NULL,
// MariaDB's alive helper column, or a key declared with WithUniqueKey).
type UniqueKeyInfo struct {
	Name      string
	Columns   []string
	AliveOnly bool
}

// Schema returns the schema softdelete has cached (read on first use of
// the DB; Refresh reads it again after DDL made behind softdelete's back).
func (db *DB) Schema(ctx context.Context) (*Schema, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	s, err := db.loadSchema(ctx)
	if err != nil {
		return nil, err
	}
	return s.public(), nil
}

// public deep-copies the schema into its public form.
func (s *schema) public() *Schema {
	out := &Schema{Tables: make([]*TableInfo, 0, len(s.tables))}
	for _, t := range s.tables {
		out.Tables = append(out.Tables, t.public())
	}
	sort.Slice(out.Tables, func(i, j int) bool { return out.Tables[i].Name < out.Tables[j].Name })
	return out
}

func (t *table) public() *TableInfo {
	ti := &TableInfo{
		Name:          t.Name,
		Columns:       make([]ColumnInfo, len(t.Columns)),
		PrimaryKey:    slices.Clone(t.PK),
		DeletedColumn: t.SoftCol,
		PartOf:        t.parent,
	}
	for i, c := range t.Columns {
		ti.Columns[i] = ColumnInfo{Name: c.Name, Type: c.Type, Kind: columnKind(c.Type), NotNull: t.notNull(i),
			HasDefault: c.Default, Generated: c.Generated, PrimaryKey: c.pkPos > 0}
	}
	for _, fk := range t.Out {
		ti.ForeignKeys = append(ti.ForeignKeys, fk.public())
	}
	for _, fk := range t.In {
		ti.ReferencedBy = append(ti.ReferencedBy, fk.public())
	}
	for _, ix := range t.Indexes {
		if ix.Declared {
			continue
		}
		ti.Indexes = append(ti.Indexes, IndexInfo{Name: ix.Name, Columns: slices.Clone(ix.Columns), Unique: ix.Unique,
			Primary: ix.Primary, Partial: ix.Partial, AliveOnly: ix.AliveOnly, Kind: ix.Kind, Expression: ix.Expr,
			PrefixSearch: ix.prefix != prefixNone})
	}
	for _, ix := range t.uniques() {
		ti.UniqueKeys = append(ti.UniqueKeys, UniqueKeyInfo{Name: ix.Name, Columns: slices.Clone(ix.Columns), AliveOnly: ix.AliveOnly})
	}
	return ti
}

func (fk *foreignKey) public() ForeignKeyInfo {
	return ForeignKeyInfo{Name: fk.Name, Table: fk.Child, Columns: slices.Clone(fk.ChildCols), Parent: fk.Parent,
		ParentColumns: slices.Clone(fk.ParentCols), OnDelete: fk.Rule, SchemaRule: fk.Schema}
}

// columnKind classifies a declared type. The names of the three dialects
// overlap (INTEGER, TEXT, TIMESTAMP...); SQLite's own rules for type
// affinity decide the names no dialect defines.
func columnKind(declared string) ColumnKind {
	t := strings.ToLower(strings.TrimSpace(declared))
	base := t
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = strings.TrimSpace(base[:i])
	}
	base = strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(base, "[]")), " unsigned")
	if strings.HasSuffix(t, "[]") || strings.HasPrefix(t, "_") {
		return KindOther // PostgreSQL arrays
	}
	switch {
	case t == "tinyint(1)" || base == "bool" || base == "boolean":
		return KindBool
	case base == "bit" && (t == "bit" || t == "bit(1)"):
		return KindBool
	}
	switch base {
	case "int", "integer", "int2", "int4", "int8", "smallint", "bigint", "tinyint", "mediumint",
		"serial", "bigserial", "smallserial", "serial4", "serial8", "year":
		return KindInteger
	case "numeric", "decimal", "real", "float", "float4", "float8", "double", "double precision", "dec", "fixed", "number":
		return KindNumber
	case "date", "datetime", "timestamp", "timestamp without time zone", "timestamp with time zone", "timestamptz", "smalldatetime":
		return KindTime
	case "text", "varchar", "char", "character", "character varying", "nchar", "nvarchar", "varchar2", "nvarchar2",
		"tinytext", "mediumtext", "longtext", "clob", "string", "citext", "name", "bpchar", "national char", "national varchar":
		return KindText
	case "bytea", "blob", "tinyblob", "mediumblob", "longblob", "binary", "varbinary":
		return KindBytes
	case "time", "time without time zone", "time with time zone", "timetz", "interval", "uuid", "json", "jsonb",
		"enum", "set", "xml", "inet", "cidr", "macaddr", "money", "bit", "bit varying", "varbit", "tsvector", "point", "geometry":
		return KindOther
	}
	if strings.HasPrefix(base, "timestamp") || strings.HasPrefix(base, "datetime") {
		return KindTime
	}
	if strings.HasPrefix(base, "enum") || strings.HasPrefix(base, "set") {
		return KindOther
	}
	// SQLite type affinity (https://sqlite.org/datatype3.html, 3.1).
	switch {
	case t == "":
		return KindOther
	case strings.Contains(t, "int"):
		return KindInteger
	case strings.Contains(t, "char"), strings.Contains(t, "clob"), strings.Contains(t, "text"):
		return KindText
	case strings.Contains(t, "blob"):
		return KindBytes
	case strings.Contains(t, "real"), strings.Contains(t, "floa"), strings.Contains(t, "doub"):
		return KindNumber
	}
	return KindOther
}

// notNull reports whether column i can hold no NULL: declared NOT NULL, or
// a single-column INTEGER primary key (SQLite's rowid, which the
// catalog does not report as NOT NULL).
func (t *table) notNull(i int) bool {
	c := t.Columns[i]
	return c.NotNull || len(t.PK) == 1 && t.PK[0] == c.Name && strings.EqualFold(strings.TrimSpace(c.Type), "integer")
}
