package softdelete

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Scope chooses which rows of a soft-deletable table Rows reads.
type Scope int

const (
	// ScopeAlive: rows that are not soft-deleted (every row of a table
	// that is not soft-deletable).
	ScopeAlive Scope = iota
	// ScopeAll: alive and soft-deleted rows.
	ScopeAll
	// ScopeDeleted: soft-deleted rows only (none, for a table that is not
	// soft-deletable).
	ScopeDeleted
)

func (s Scope) String() string {
	switch s {
	case ScopeAlive:
		return "alive"
	case ScopeAll:
		return "all"
	case ScopeDeleted:
		return "deleted"
	}
	return "Scope(" + strconv.Itoa(int(s)) + ")"
}

// RowFilter is an equality condition: Column = Value, or Column IS NULL
// when Value is nil. Value may be a string, whatever the column's type
// (the form a value has in a URL): it is converted to the column's kind
// (integer, number, bool; an unparsable one is ErrInvalid); other values
// are bound as they are (int64, float64, bool, time.Time, []byte...).
type RowFilter struct {
	Column string
	Value  any
}

// RowOrder orders by one column.
type RowOrder struct {
	Column string
	Desc   bool
}

// SearchMode says how RowsQuery.Search matches a column.
type SearchMode int

const (
	// SearchContains: the column contains the text, ignoring case (ILIKE
	// on PostgreSQL, LIKE elsewhere: '%text%'). No b-tree index serves
	// it: every row of the scope is read.
	SearchContains SearchMode = iota
	// SearchPrefix: the column starts with the text, compared as the
	// column's index compares, so that the index serves it (a range
	// scan): case-insensitively on MariaDB under a _ci collation (its
	// default) and on SQLite on a column indexed with COLLATE NOCASE (ASCII
	// letters); case-sensitively on PostgreSQL and on SQLite's default
	// BINARY columns. PostgreSQL serves it from an index whose collation
	// sorts by code point (C, POSIX, C.UTF-8) or one built with
	// text_pattern_ops/varchar_pattern_ops; under a linguistic collation
	// (en_US.UTF-8...) the column is not among the default columns (see
	// TableInfo.SearchColumns) and is compared byte by byte when named.
	SearchPrefix
	// SearchExact: the column equals the text (by its collation: MariaDB's
	// _ci collations ignore case), which any b-tree index on it serves.
	// Integer, number and bool columns named in SearchColumns match the
	// text converted to their kind (none when it does not convert); other
	// columns are compared in their text form.
	SearchExact
)

func (m SearchMode) String() string {
	switch m {
	case SearchContains:
		return "contains"
	case SearchPrefix:
		return "prefix"
	case SearchExact:
		return "exact"
	}
	return "SearchMode(" + strconv.Itoa(int(m)) + ")"
}

// RowsQuery selects rows of any table, given by name (see DB.Rows).
type RowsQuery struct {
	Table   string
	Scope   Scope
	Filters []RowFilter // AND-ed
	// Search, when not empty, keeps rows where one of SearchColumns
	// matches it as SearchMode says; %, _ and \ in it are literal
	// characters.
	Search string
	// SearchMode: contains (the zero value), starts with, or equals. Only
	// the last two can be served by an index (see DB.Rows).
	SearchMode SearchMode
	// SearchColumns default to TableInfo.SearchColumns(SearchMode): every
	// text column for SearchContains, the text columns an index serves for
	// SearchPrefix and SearchExact.
	SearchColumns []string
	// OrderBy orders the rows; the primary key is appended as the
	// tie-breaker, in the direction of the last order column (default:
	// primary key ascending), so that an index on (column, primary key)
	// serves the order both ways. NULLs sort as the
	// database sorts them: last in ascending order on PostgreSQL, first
	// on SQLite and MariaDB.
	OrderBy []RowOrder
	// After is the cursor of RowsPage.Next: the page starts after the row
	// it names (keyset pagination, never OFFSET). "" starts at the first
	// row. A cursor is only valid for the same table and OrderBy.
	After string
	Limit int // rows per page: default 50, at most 1000
	// Operation, when not 0, keeps the rows that delete operation
	// Operation hid and still hides: those carrying its stamp (Scope is
	// then ignored). With the
	// default order (the primary key) and After, the rows of a large
	// delete are paged by key, as OperationKeys cannot. An operation that
	// is not a delete, or a table that is not soft-deletable, is
	// ErrInvalid; an unknown one *OperationNotFoundError.
	Operation int64
	// WithOperations also reads, for each row, the delete operation that
	// hid it (RowsPage.Operations): one lookup per row in the log's
	// unique index on stamps.
	WithOperations bool
}

// RowsPage is one page of rows.
type RowsPage struct {
	Columns []string // every column of the table, in table order
	// Rows hold one value per column, normalized by the column's kind:
	// nil; int64 (integer; also bool and number values SQLite stores as
	// integers); float64 (floating point); string (text, exact decimals
	// as the database prints them, uuid, json, time of day and other
	// kinds); []byte (binary columns only); bool; time.Time (date,
	// datetime, timestamp).
	Rows [][]any
	// Next is the cursor of the next page (RowsQuery.After), "" when this
	// page is the last.
	Next string
	// Operations, with RowsQuery.WithOperations, holds per row the id of
	// the logged delete operation whose stamp the row carries: the one
	// that hid it. 0 for an alive row, and for one hidden outside
	// softdelete (or by a delete whose log entry was pruned).
	Operations []int64
}

const (
	rowsDefaultLimit = 50
	rowsMaxLimit     = 1000
	maxCursorLen     = 16 << 10
	// maxSearchLen bounds RowsQuery.Search, in characters: SQLite
	// refuses LIKE patterns of more than 50,000 bytes.
	maxSearchLen = 4096
)

// rowsPlan is a validated RowsQuery.
type rowsPlan struct {
	db      *DB
	t       *table
	scope   Scope
	kinds   []ColumnKind // per column of t
	filters []rowsFilter
	search  string      // the search text, "" for none
	smode   SearchMode  // how it matches
	scols   []searchCol // search columns
	union   bool        // write the search as a union of lookups (whereSearch)
	opStamp *stamp      // RowsQuery.Operation's stamp
	wantOps bool        // RowsQuery.WithOperations on a soft-deletable table
	withOps bool        // and the log exists: read each row's operation
	order   []orderTerm
	after   []any // cursor values, one per order term; nil slice: first page
	limit   int
}

// searchCol is a search column, with the index that serves the search on
// it (nil: none does) and, for SearchExact on a column that is not text,
// the search converted to its kind (skip: it does not convert).
type searchCol struct {
	col   int
	ix    *index
	value any
	skip  bool
}

type rowsFilter struct {
	col   int
	value any // nil: IS NULL
}

type orderTerm struct {
	col  int
	desc bool
	raw  string // RawSortExpr, "" if the column's scanned value is used
	cmp  string // what the keyset compares the cursor's value with; "" for the column
}

// Rows reads one page of rows of any table, given by name. Every table,
// column and order name is checked against the cached schema (Refresh
// reads it again after DDL); an unknown one is ErrInvalid and sends
// nothing. Values are bind parameters.
//
// The scope is the condition Query uses ("deleted_at IS NULL" for alive
// rows), so indexes on alive rows serve it. The search is a
// case-insensitive substring match: ILIKE on PostgreSQL, LIKE on SQLite
// (ASCII letters) and MariaDB (by the column's collation); columns that
// are not text are searched in their text form.
//
// Pages follow each other by keyset (RowsPage.Next): a page starts after
// the last row of the previous one by the values of its order columns and
// primary key, so deep pages cost what the first one does, and rows
// inserted or deleted meanwhile neither shift nor repeat rows. A table
// without a primary key is ordered by its first unique key of NOT NULL
// columns, else by all its columns (rows equal in every column may then
// be skipped at a page boundary).
func (db *DB) Rows(ctx context.Context, q RowsQuery) (*RowsPage, error) {
	p, err := db.rowsPlan(ctx, q, true)
	if err != nil {
		return nil, err
	}
	d := db.dialect
	rd := d.(rowsDialect)
	t := p.t
	if err := db.searchUnion(ctx, p); err != nil {
		return nil, err
	}
	b := newBuilder(d, 256)
	b.WriteString("SELECT ")
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.ident(c.Name)
	}
	extra := map[int]int{} // order term -> index of its raw value in the row
	for i, o := range p.order {
		if o.raw != "" {
			extra[i] = len(t.Columns) + len(extra)
			b.WriteString(", ")
			b.WriteString(o.raw)
		}
	}
	opCol := -1 // index of the operation's id in the row
	if p.withOps {
		// The delete whose stamp the row carries (the log's stamps are
		// unique), as Restore finds it.
		opCol = len(t.Columns) + len(extra)
		b.WriteString(", " + db.hidingOp("r0", t, "id") + " AS softdelete_hidden_by") // not "id": ORDER BY "id" would be ambiguous
	}
	b.WriteString(" FROM ")
	b.ident(t.Name)
	if p.withOps {
		b.WriteString(" r0")
	}
	b.WriteString(" WHERE ")
	p.where(b)
	if p.after != nil {
		b.WriteString(" AND ")
		p.keyset(b, rd.NullsHigh())
	}
	b.WriteString(" ORDER BY ")
	for i, o := range p.order {
		if i > 0 {
			b.WriteString(", ")
		}
		b.ident(t.Columns[o.col].Name)
		if o.desc {
			b.WriteString(" DESC")
		}
	}
	b.WriteString(" LIMIT ") // a literal: see Query.limitOffset
	b.WriteString(strconv.FormatInt(int64(p.limit+1), 10))

	rows, err := db.exec().query(ctx, b.String(), b.args...)
	if err != nil {
		return nil, db.rowsErr(err)
	}
	defer rows.Close()
	page := &RowsPage{Columns: make([]string, len(t.Columns))}
	for i, c := range t.Columns {
		page.Columns[i] = c.Name
	}
	n := len(t.Columns) + len(extra)
	if opCol >= 0 {
		n++
	}
	if p.wantOps {
		page.Operations = []int64{}
	}
	var lastRaw []any
	for rows.Next() {
		if len(page.Rows) == p.limit {
			// One more row than the page holds: there is a next page,
			// which starts after the page's last row.
			last := page.Rows[len(page.Rows)-1]
			vals := make([]any, len(p.order))
			for i, o := range p.order {
				if j, ok := extra[i]; ok {
					vals[i] = lastRaw[j]
				} else {
					vals[i] = last[o.col]
				}
			}
			page.Next, err = encodeCursor(t.Name, p.order, t, vals)
			if err != nil {
				return nil, err
			}
			break
		}
		raw := make([]any, n)
		ptrs := make([]any, n)
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, db.rowsErr(err)
		}
		row := make([]any, len(t.Columns))
		for i, c := range t.Columns {
			row[i] = normValue(raw[i], p.kinds[i], c.Type)
		}
		for _, j := range extra {
			raw[j] = normRaw(raw[j], rd)
		}
		if p.wantOps {
			var id int64
			if opCol >= 0 {
				id, _ = normValue(raw[opCol], KindInteger, "bigint").(int64)
			}
			page.Operations = append(page.Operations, id)
		}
		lastRaw = raw
		page.Rows = append(page.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, db.rowsErr(err)
	}
	if err := rows.Close(); err != nil {
		return nil, db.rowsErr(err)
	}
	if page.Rows == nil {
		page.Rows = [][]any{}
	}
	return page, nil
}

// searchUnionProbe: a search that matches fewer index entries than this
// is written as a union of lookups where the dialect asks (SearchUnion).
const searchUnionProbe = 5000

// searchUnion decides p.union: on a dialect whose planner would read the
// table in the page's order for a prefix or exact search (SearchUnion),
// one statement counts the index entries the search matches, up to
// searchUnionProbe. Few: the page is read through the union of lookups.
// Many: the plain condition, where reading in the page's order finds a
// page of matches soon.
func (db *DB) searchUnion(ctx context.Context, p *rowsPlan) error {
	if p.search == "" || p.smode == SearchContains || len(p.t.PK) == 0 || !db.dialect.(rowsDialect).SearchUnion() {
		return nil
	}
	// One count per column (an OR would be read by scanning the table).
	b := newBuilder(db.dialect, 128)
	b.WriteString("SELECT 0")
	for _, sc := range p.scols {
		if sc.skip {
			continue
		}
		b.WriteString(" + (SELECT COUNT(*) FROM (SELECT 1 FROM ")
		b.ident(p.t.Name)
		b.WriteString(" WHERE ")
		p.searchCond(b, sc)
		b.WriteString(" LIMIT " + strconv.Itoa(searchUnionProbe) + ") AS probe)")
	}
	n, err := db.exec().queryInt64(ctx, b.String(), b.args...)
	if err != nil {
		return db.rowsErr(err)
	}
	p.union = n < searchUnionProbe
	return nil
}

// CountRows counts the rows a RowsQuery selects (table, scope, filters
// and search; order, cursor and limit are ignored).
func (db *DB) CountRows(ctx context.Context, q RowsQuery) (int64, error) {
	p, err := db.rowsPlan(ctx, q, false)
	if err != nil {
		return 0, err
	}
	// A count reads every match anyway: through the lookups, where the
	// dialect would otherwise scan the table for them.
	p.union = p.search != "" && p.smode != SearchContains && len(p.t.PK) > 0 && db.dialect.(rowsDialect).SearchUnion()
	b := newBuilder(db.dialect, 128)
	b.WriteString("SELECT COUNT(*) FROM ")
	b.ident(p.t.Name)
	b.WriteString(" WHERE ")
	p.where(b)
	n, err := db.exec().queryInt64(ctx, b.String(), b.args...)
	if err != nil {
		return 0, db.rowsErr(err)
	}
	return n, nil
}

// rowsErr turns a database's refusal of a value that does not fit its
// column (a filter or cursor value) into ErrInvalid.
func (db *DB) rowsErr(err error) error {
	err = db.translate(err)
	if db.dialect.(rowsDialect).BadValue(err) {
		return fmt.Errorf("%w: a value does not fit its column: %w", ErrInvalid, err)
	}
	return err
}

// cachedTable looks a table up in the cached schema only, by the
// database's case rules (schema.lookup): an unknown name is ErrInvalid,
// and neither reads the catalog nor makes the schema be read again (a
// reader fed names from outside must not turn each unknown one into a
// statement).
func (db *DB) cachedTable(ctx context.Context, name string) (*table, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	s, err := db.loadSchema(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.lookup(name)
	switch {
	case err != nil && errors.Is(err, ErrInvalid):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%w: unknown table %s: %w (the schema is read once; call Refresh after creating tables)", ErrInvalid, shortQuote(name), err)
	case t == nil:
		return nil, invalidf("unknown table %s (the schema is read once; call Refresh after creating tables)", shortQuote(name))
	}
	return t, nil
}

func (t *table) columnIndex(name string) (int, bool) {
	i, ok := t.colIdx[name]
	return i, ok
}

func unknownCol(t *table, name, what string) error {
	return invalidf("unknown column %s in %s of table %s", shortQuote(name), what, t.Name)
}

func (db *DB) rowsPlan(ctx context.Context, q RowsQuery, paged bool) (*rowsPlan, error) {
	p, err := db.rowsPlanChecked(ctx, q, paged)
	if err != nil {
		return nil, err
	}
	// Statements only once every argument is checked.
	t := p.t
	if q.Operation != 0 {
		op, err := db.Operation(ctx, q.Operation)
		if err != nil {
			return nil, err
		}
		if op.Stamp == nil || op.Kind != OpDelete {
			return nil, invalidf("operation %d is a %s: only deletes hide rows", op.ID, op.Kind)
		}
		if !t.soft() {
			return nil, invalidf("table %s is not soft-deletable: no operation hides its rows", t.Name)
		}
		st := ourStamp(*op.Stamp)
		p.opStamp = &st
	}
	if paged && q.WithOperations && t.soft() {
		p.wantOps = true
	}
	if p.wantOps && (q.Scope != ScopeAlive || p.opStamp != nil) { // alive rows: none was hidden
		ok, err := db.opsReadable(ctx, db.exec())
		if err != nil {
			return nil, err
		}
		p.withOps = ok // no log: no operation hid any row
	}
	return p, nil
}

// rowsPlanChecked checks q against the schema, sending nothing.
func (db *DB) rowsPlanChecked(ctx context.Context, q RowsQuery, paged bool) (*rowsPlan, error) {
	t, err := db.cachedTable(ctx, q.Table)
	if err != nil {
		return nil, err
	}
	p := &rowsPlan{db: db, t: t, scope: q.Scope, kinds: make([]ColumnKind, len(t.Columns))}
	for i, c := range t.Columns {
		p.kinds[i] = columnKind(c.Type)
	}
	if q.Scope < ScopeAlive || q.Scope > ScopeDeleted {
		return nil, invalidf("unknown scope %d", int(q.Scope))
	}
	for _, f := range q.Filters {
		i, ok := t.columnIndex(f.Column)
		if !ok {
			return nil, unknownCol(t, f.Column, "filter")
		}
		v, err := filterValue(f.Value, p.kinds[i], t.Columns[i].Type)
		if err != nil {
			return nil, invalidf("filter on %s.%s: %v", t.Name, f.Column, err)
		}
		if err := checkTextArg(v, db.dialect); err != nil {
			return nil, invalidf("filter on %s.%s: %v", t.Name, f.Column, err)
		}
		p.filters = append(p.filters, rowsFilter{col: i, value: v})
	}
	if q.Search != "" {
		if err := checkTextArg(q.Search, db.dialect); err != nil {
			return nil, invalidf("search: %v", err)
		}
		if !utf8.ValidString(q.Search) {
			return nil, invalidf("search is not valid UTF-8")
		}
		if strings.IndexByte(q.Search, 0) >= 0 {
			// SQLite's LIKE ends a pattern at NUL ('%a\x00' would match
			// every row containing a); no text search wants one.
			return nil, invalidf("search contains a NUL character")
		}
		if n := utf8.RuneCountInString(q.Search); n > maxSearchLen {
			return nil, invalidf("search of %d characters: at most %d", n, maxSearchLen)
		}
		if q.SearchMode < SearchContains || q.SearchMode > SearchExact {
			return nil, invalidf("unknown search mode %d", int(q.SearchMode))
		}
		p.search, p.smode = q.Search, q.SearchMode
		if len(q.SearchColumns) == 0 {
			for i, k := range p.kinds {
				if k != KindText {
					continue
				}
				ix := t.searchIndex(t.Columns[i].Name, q.SearchMode)
				if ix != nil || q.SearchMode == SearchContains {
					p.scols = append(p.scols, searchCol{col: i, ix: ix})
				}
			}
		}
		for _, name := range q.SearchColumns {
			i, ok := t.columnIndex(name)
			if !ok {
				return nil, unknownCol(t, name, "search columns")
			}
			if p.kinds[i] == KindBytes {
				return nil, invalidf("search column %s.%s is binary", t.Name, name)
			}
			sc := searchCol{col: i, ix: t.searchIndex(name, q.SearchMode)}
			if q.SearchMode == SearchExact {
				switch p.kinds[i] {
				case KindInteger, KindNumber, KindBool:
					v, err := filterValue(q.Search, p.kinds[i], t.Columns[i].Type)
					sc.value, sc.skip = v, err != nil
				}
			}
			p.scols = append(p.scols, sc)
		}
	}
	if !paged {
		return p, nil
	}
	switch {
	case q.Limit == 0:
		p.limit = rowsDefaultLimit
	case q.Limit < 0 || q.Limit > rowsMaxLimit:
		return nil, invalidf("limit %d: want 1 to %d (0: %d)", q.Limit, rowsMaxLimit, rowsDefaultLimit)
	default:
		p.limit = q.Limit
	}
	seen := map[int]bool{}
	rd := db.dialect.(rowsDialect)
	add := func(i int, desc bool) {
		if seen[i] {
			return
		}
		seen[i] = true
		raw, cmp := rd.RawSortExpr(db.dialect.Quote(t.Columns[i].Name), p.kinds[i], t.Columns[i].Type)
		p.order = append(p.order, orderTerm{col: i, desc: desc, raw: raw, cmp: cmp})
	}
	for _, o := range q.OrderBy {
		i, ok := t.columnIndex(o.Column)
		if !ok {
			return nil, unknownCol(t, o.Column, "order")
		}
		if p.kinds[i] == KindOther && strings.Contains(strings.ToLower(t.Columns[i].Type), "json") {
			return nil, invalidf("column %s.%s (%s) cannot be ordered by", t.Name, o.Column, t.Columns[i].Type)
		}
		add(i, o.Desc)
	}
	// The tie-breaker runs in the direction of the last order column, so
	// that one index on (column, key) (InnoDB and SQLite secondary indexes
	// end with the key anyway) serves the whole order, in either direction.
	desc := len(p.order) > 0 && p.order[len(p.order)-1].desc
	for _, i := range tieBreaker(t) {
		add(i, desc)
	}
	if q.After != "" {
		p.after, err = decodeCursor(q.After, t, p.order, p.kinds, rd.StrictParams())
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// tieBreaker is the columns that make an order total: the primary key,
// else the first unique key of NOT NULL columns, else every column.
func tieBreaker(t *table) []int {
	idx := func(cols []string) []int {
		out := make([]int, 0, len(cols))
		for _, c := range cols {
			i, ok := t.columnIndex(c)
			if !ok {
				return nil
			}
			out = append(out, i)
		}
		return out
	}
	if len(t.PK) > 0 {
		if ix := idx(t.PK); ix != nil {
			return ix
		}
	}
	for _, u := range t.uniques() {
		if u.Partial || u.AliveOnly || u.Declared || len(u.Columns) == 0 {
			continue
		}
		ix := idx(u.Columns)
		ok := ix != nil
		for _, i := range ix {
			ok = ok && t.notNull(i)
		}
		if ok {
			return ix
		}
	}
	all := make([]int, len(t.Columns))
	for i := range all {
		all[i] = i
	}
	return all
}

// where writes the scope, filters and search.
func (p *rowsPlan) where(b *sqlBuilder) {
	if p.opStamp != nil {
		p.db.stampEq(b, "", p.t, *p.opStamp) // deleted rows: the scope does not matter
	} else {
		p.whereScope(b)
	}
	for _, f := range p.filters {
		b.WriteString(" AND ")
		b.ident(p.t.Columns[f.col].Name)
		if f.value == nil {
			b.WriteString(" IS NULL")
		} else {
			b.WriteString(" = ")
			b.arg(f.value)
		}
	}
	if p.search != "" {
		p.whereSearch(b)
	}
}

// whereSearch writes " AND (one search column matches)". With p.union, it
// is written "key IN (SELECT key ... WHERE c1 matches UNION ALL SELECT key
// ... WHERE c2 matches)": one index lookup per column, whatever order the
// page asks for.
func (p *rowsPlan) whereSearch(b *sqlBuilder) {
	var cols []searchCol
	for _, sc := range p.scols {
		if !sc.skip {
			cols = append(cols, sc)
		}
	}
	if len(cols) == 0 {
		b.WriteString(" AND 1=0")
		return
	}
	if p.union {
		key := make([]string, len(p.t.PK))
		for i, c := range p.t.PK {
			key[i] = b.d.Quote(c)
		}
		k := strings.Join(key, ", ")
		if len(key) > 1 {
			k = "(" + k + ")"
		}
		b.WriteString(" AND " + k + " IN (")
		for i, sc := range cols {
			if i > 0 {
				b.WriteString(" UNION ALL ")
			}
			b.WriteString("SELECT " + strings.Join(key, ", ") + " FROM ")
			b.ident(p.t.Name)
			b.WriteString(" WHERE ")
			p.searchCond(b, sc)
		}
		b.WriteByte(')')
		return
	}
	b.WriteString(" AND (")
	for i, sc := range cols {
		if i > 0 {
			b.WriteString(" OR ")
		}
		p.searchCond(b, sc)
	}
	b.WriteByte(')')
}

// searchCond writes the condition "the search matches column sc".
func (p *rowsPlan) searchCond(b *sqlBuilder, sc searchCol) {
	rd := b.d.(rowsDialect)
	{
		e := b.d.Quote(p.t.Columns[sc.col].Name)
		if sc.value != nil {
			b.WriteString(e + " = ")
			b.arg(sc.value)
			return
		}
		if p.kinds[sc.col] != KindText {
			e = b.d.CastText(e)
		}
		switch p.smode {
		case SearchPrefix:
			way, coll := prefixNone, ""
			if sc.ix != nil {
				way, coll = sc.ix.prefix, sc.ix.coll
			}
			if way == prefixNone {
				way, coll = rd.PrefixFallback()
			}
			b.WriteByte('(')
			writePrefix(b, e, way, coll, p.search)
			b.WriteByte(')')
		case SearchExact:
			if sc.ix != nil && sc.ix.coll != "" {
				e += " COLLATE " + sc.ix.coll
			}
			b.WriteString(e + " = ")
			b.arg(p.search)
		default:
			rd.SearchLike(b, e, "%"+likeEscape(p.search)+"%")
		}
	}
}

// writePrefix writes "expr starts with prefix" the way an index with that
// prefixWay serves (see prefixWay).
func writePrefix(b *sqlBuilder, expr string, way prefixWay, coll, prefix string) {
	switch way {
	case prefixRange, prefixPattern:
		lo, hi := ">= ", "< "
		if way == prefixPattern {
			lo, hi = "~>=~ ", "~<~ "
		} else if coll != "" {
			expr += " COLLATE " + coll
		}
		b.WriteString(expr + " " + lo)
		b.arg(prefix)
		if next, ok := nextPrefix(prefix); ok {
			b.WriteString(" AND " + expr + " " + hi)
			b.arg(next)
		}
	default:
		b.WriteString(expr + " LIKE ")
		b.arg(likeEscape(prefix) + "%")
		b.WriteString(" ESCAPE '!'")
	}
}

// nextPrefix is the least string, in code point order, greater than every
// string that starts with s: s with its last character incremented
// (characters U+10FFFF dropped first); false when there is none (s is
// only U+10FFFF characters). In UTF-8, byte order is code point order.
func nextPrefix(s string) (string, bool) {
	r := []rune(s)
	for len(r) > 0 {
		last := r[len(r)-1]
		if last >= utf8.MaxRune {
			r = r[:len(r)-1]
			continue
		}
		last++
		if last >= 0xD800 && last <= 0xDFFF { // surrogates are no characters
			last = 0xE000
		}
		r[len(r)-1] = last
		return string(r), true
	}
	return "", false
}

// searchIndex is the index that serves a search of that mode on the
// column: a b-tree whose first key is the column, on every row or on
// the alive rows (not one declared in code only); for SearchPrefix, one
// the dialect can use for a prefix (prefixWay). nil when none does (and
// for SearchContains).
func (t *table) searchIndex(col string, mode SearchMode) *index {
	if mode == SearchContains {
		return nil
	}
	var found *index
	for _, ix := range t.Indexes {
		if ix.Declared || ix.Kind != "" || len(ix.Columns) == 0 || ix.Columns[0] != col || ix.Partial && !ix.AliveOnly {
			continue
		}
		if mode == SearchPrefix && ix.prefix == prefixNone {
			continue
		}
		if found == nil || found.Partial && !ix.Partial {
			found = ix
		}
	}
	return found
}

// whereScope writes the scope's condition.
func (p *rowsPlan) whereScope(b *sqlBuilder) {
	switch {
	case !p.t.soft() && p.scope == ScopeDeleted:
		b.WriteString("1=0")
	case !p.t.soft() || p.scope == ScopeAll:
		b.WriteString("1=1")
	case p.scope == ScopeAlive:
		// The literal condition Query and the engine use: partial
		// indexes on alive rows match it.
		b.ident(p.t.SoftCol)
		b.WriteString(" IS NULL")
	default:
		b.ident(p.t.SoftCol)
		b.WriteString(" IS NOT NULL")
	}
}

// keyset writes the condition "the row comes after the cursor's row" in
// the order of p.order, with NULLs where the database sorts them
// (nullsHigh: after every value in ascending order).
//
// For terms c1..cn with cursor values v1..vn it is
//
//	bound(c1) AND (after(c1) OR (eq(c1) AND (after(c2) OR (eq(c2) AND ... after(cn)))))
//
// where bound(c1) (c1 >= v1) lets an index on c1 start at the cursor.
func (p *rowsPlan) keyset(b *sqlBuilder, nullsHigh bool) {
	type part struct {
		col              string
		nullable         bool
		nullLast, isNull bool
		op               string
		v                any
	}
	parts := make([]part, len(p.order))
	for i, o := range p.order {
		c := p.t.Columns[o.col]
		op := ">"
		if o.desc {
			op = "<"
		}
		col := b.d.Quote(c.Name)
		if o.cmp != "" {
			col = o.cmp
		}
		parts[i] = part{col: col, nullable: !p.t.notNull(o.col), nullLast: nullsHigh != o.desc,
			isNull: p.after[i] == nil, op: op, v: p.after[i]}
	}
	// after writes "the column comes after v"; false when nothing can.
	after := func(x part) bool {
		switch {
		case x.isNull && x.nullLast:
			return false
		case x.isNull:
			b.WriteString(x.col + " IS NOT NULL")
		case x.nullLast && x.nullable:
			b.WriteString("(" + x.col + " " + x.op + " ")
			b.arg(x.v)
			b.WriteString(" OR " + x.col + " IS NULL)")
		default:
			b.WriteString(x.col + " " + x.op + " ")
			b.arg(x.v)
		}
		return true
	}
	eq := func(x part) {
		if x.isNull {
			b.WriteString(x.col + " IS NULL")
			return
		}
		b.WriteString(x.col + " = ")
		b.arg(x.v)
	}
	if len(parts) > 1 && b.d.(rowsDialect).RowValueKeyset() {
		rowValue := true
		for _, x := range parts {
			rowValue = rowValue && !x.nullable && !x.isNull && x.op == parts[0].op
		}
		if rowValue {
			// (c1, c2, ...) > (v1, v2, ...): one index condition.
			b.WriteByte('(')
			for i, x := range parts {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(x.col)
			}
			b.WriteString(") " + parts[0].op + " (")
			for i, x := range parts {
				if i > 0 {
					b.WriteString(", ")
				}
				b.arg(x.v)
			}
			b.WriteByte(')')
			return
		}
	}
	b.WriteByte('(')
	if x := parts[0]; len(parts) > 1 {
		switch {
		case x.isNull && x.nullLast:
			b.WriteString(x.col + " IS NULL AND ")
		case !x.isNull && !(x.nullLast && x.nullable):
			b.WriteString(x.col + " " + x.op + "= ")
			b.arg(x.v)
			b.WriteString(" AND ")
		}
	}
	var rec func(i int)
	rec = func(i int) {
		x := parts[i]
		if i == len(parts)-1 {
			if !after(x) {
				b.WriteString("1=0")
			}
			return
		}
		b.WriteByte('(')
		if after(x) {
			b.WriteString(" OR ")
		}
		b.WriteByte('(')
		eq(x)
		b.WriteString(" AND ")
		rec(i + 1)
		b.WriteString("))")
	}
	rec(0)
	b.WriteByte(')')
}

// likeEscape escapes LIKE's wildcards (and the escape character '!') so
// that s matches literally.
func likeEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%', '_', '!':
			b.WriteByte('!')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var numberRE = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// filterValue converts a filter value to what is bound for a column of
// kind k.
func filterValue(v any, k ColumnKind, typ string) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		switch k {
		case KindInteger:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				if u, uerr := strconv.ParseUint(strings.TrimSpace(x), 10, 64); uerr == nil {
					return strconv.FormatUint(u, 10), nil
				}
				return nil, fmt.Errorf("%s is not an integer", shortQuote(x))
			}
			return n, nil
		case KindNumber:
			s := strings.TrimSpace(x)
			if !numberRE.MatchString(s) {
				return nil, fmt.Errorf("%s is not a number", shortQuote(x))
			}
			if !exactDecimal(typ) {
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return nil, fmt.Errorf("%s is not a number", shortQuote(x))
				}
				return f, nil
			}
			return s, nil
		case KindBool:
			bv, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("%s is not true or false", shortQuote(x))
			}
			return bv, nil
		case KindBytes:
			return []byte(x), nil
		}
		return x, nil
	case []byte:
		if k == KindBytes {
			return x, nil
		}
		return string(x), nil
	case bool, int64, float64, time.Time:
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return strconv.FormatUint(uint64(x), 10), nil
		}
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return strconv.FormatUint(x, 10), nil
		}
		return int64(x), nil
	case float32:
		return float64(x), nil
	default:
		return nil, fmt.Errorf("unsupported value type %T", v)
	}
	if k == KindText {
		return fmt.Sprint(v), nil
	}
	return v, nil
}

// exactDecimal reports whether a KindNumber type is an exact decimal.
func exactDecimal(typ string) bool {
	t := strings.ToLower(typ)
	return strings.HasPrefix(t, "numeric") || strings.HasPrefix(t, "decimal") || strings.HasPrefix(t, "dec") ||
		strings.HasPrefix(t, "fixed") || strings.HasPrefix(t, "number")
}

// normValue normalizes a value scanned from a column of kind k.
func normValue(v any, k ColumnKind, typ string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		switch k {
		case KindBytes:
			return x
		case KindInteger:
			if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
				return n
			}
			return string(x)
		case KindNumber:
			if !exactDecimal(typ) {
				if f, err := strconv.ParseFloat(string(x), 64); err == nil {
					return f
				}
			}
			return string(x)
		case KindBool:
			if b, err := strconv.ParseBool(string(x)); err == nil {
				return b
			}
			if len(x) == 1 && (x[0] == 0 || x[0] == 1) { // BIT(1)
				return x[0] == 1
			}
			return string(x)
		case KindTime:
			if t, ok := textTime(string(x)); ok {
				return t
			}
			return string(x)
		case KindOther:
			if !utf8.Valid(x) {
				return x
			}
		}
		return string(x)
	case string:
		switch k {
		case KindBytes:
			return []byte(x)
		case KindTime:
			if t, ok := textTime(x); ok {
				return t
			}
		case KindInteger:
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				return n
			}
		case KindBool:
			if b, err := strconv.ParseBool(x); err == nil {
				return b
			}
		case KindNumber:
			if !exactDecimal(typ) {
				if f, err := strconv.ParseFloat(x, 64); err == nil {
					return f
				}
			}
		}
		return x
	case int64:
		switch k {
		case KindBool:
			return x != 0
		case KindText:
			return strconv.FormatInt(x, 10)
		}
		return x
	case float64:
		if k == KindText {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	case int32:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return strconv.FormatUint(x, 10)
	case float32:
		return float64(x)
	case bool:
		if k == KindText {
			return strconv.FormatBool(x)
		}
		return x
	case time.Time:
		return x
	case [16]byte: // uuid, from drivers that give it as bytes
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	}
	return fmt.Sprint(v)
}

// normRaw keeps a raw sort value bindable: []byte becomes string where
// the driver gives text as bytes (rowsDialect.BytesAreText).
func normRaw(v any, rd rowsDialect) any {
	if b, ok := v.([]byte); ok && rd.BytesAreText() {
		return string(b)
	}
	return v
}

// textTime parses a time the driver gave as text.
func textTime(s string) (time.Time, bool) {
	if t, ok, _ := parseTimeText(s); ok {
		return t, true
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// A cursor is base64url(JSON): the table, the order it was made for, and
// one typed value per order term. It is decoded strictly: anything else is
// ErrInvalid, and its values are only ever bound.
type cursorJSON struct {
	T string      `json:"t"`
	O string      `json:"o"`
	V [][2]string `json:"v"` // [type tag, value]
}

func orderSig(t *table, order []orderTerm) string {
	var b strings.Builder
	for i, o := range order {
		if i > 0 {
			b.WriteByte(',')
		}
		if o.desc {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Quote(t.Columns[o.col].Name))
	}
	return b.String()
}

func encodeCursor(tbl string, order []orderTerm, t *table, vals []any) (string, error) {
	c := cursorJSON{T: tbl, O: orderSig(t, order), V: make([][2]string, len(vals))}
	for i, v := range vals {
		switch x := v.(type) {
		case nil:
			c.V[i] = [2]string{"n", ""}
		case int64:
			c.V[i] = [2]string{"i", strconv.FormatInt(x, 10)}
		case float64:
			c.V[i] = [2]string{"f", strconv.FormatFloat(x, 'g', -1, 64)}
		case string:
			c.V[i] = [2]string{"s", x}
		case []byte:
			c.V[i] = [2]string{"b", base64.RawStdEncoding.EncodeToString(x)}
		case bool:
			c.V[i] = [2]string{"B", strconv.FormatBool(x)}
		case time.Time:
			c.V[i] = [2]string{"t", x.Format(time.RFC3339Nano)}
		default:
			return "", fmt.Errorf("softdelete: cannot page by a value of type %T", v)
		}
	}
	j, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(j), nil
}

func badCursor(why string) error {
	return invalidf("bad cursor (%s): start from the first page", why)
}

func decodeCursor(s string, t *table, order []orderTerm, kinds []ColumnKind, strict bool) ([]any, error) {
	if len(s) > maxCursorLen {
		return nil, badCursor("too long")
	}
	j, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, badCursor("not base64url")
	}
	var c cursorJSON
	dec := json.NewDecoder(strings.NewReader(string(j)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, badCursor("not a cursor")
	}
	if c.T != t.Name {
		return nil, badCursor("made for another table")
	}
	if c.O != orderSig(t, order) {
		return nil, badCursor("made for another order")
	}
	if len(c.V) != len(order) {
		return nil, badCursor("wrong number of values")
	}
	out := make([]any, len(order))
	for i, tv := range c.V {
		col := t.Columns[order[i].col]
		k := kinds[order[i].col]
		var v any
		var err error
		switch tv[0] {
		case "n":
			if t.notNull(order[i].col) {
				return nil, badCursor("NULL for a NOT NULL column")
			}
		case "i":
			v, err = strconv.ParseInt(tv[1], 10, 64)
		case "f":
			v, err = strconv.ParseFloat(tv[1], 64)
		case "s":
			v = tv[1]
			if !utf8.ValidString(tv[1]) || strings.IndexByte(tv[1], 0) >= 0 {
				err = fmt.Errorf("bad text")
			}
		case "b":
			v, err = base64.RawStdEncoding.DecodeString(tv[1])
		case "B":
			v, err = strconv.ParseBool(tv[1])
		case "t":
			v, err = time.Parse(time.RFC3339Nano, tv[1])
		default:
			return nil, badCursor("unknown value type")
		}
		if err != nil {
			return nil, badCursor("bad value")
		}
		if strict && v != nil && !cursorFits(tv[0], k, col.Type) {
			return nil, badCursor("value of the wrong type for column " + col.Name)
		}
		out[i] = v
	}
	return out, nil
}

// cursorFits says which value types a strict database takes for a column
// of kind k (what Rows itself writes in a cursor for it).
func cursorFits(tag string, k ColumnKind, typ string) bool {
	switch k {
	case KindInteger:
		return tag == "i"
	case KindNumber:
		if exactDecimal(typ) {
			return tag == "s" || tag == "i"
		}
		return tag == "f"
	case KindTime:
		return tag == "t" || tag == "s" // PostgreSQL's infinity, -infinity
	case KindBool:
		return tag == "B"
	case KindBytes:
		return tag == "b"
	}
	return tag == "s"
}
