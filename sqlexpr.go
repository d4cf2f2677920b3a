package softdelete

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// sqlBuilder accumulates SQL text and its bind arguments, numbering
// placeholders for the dialect.
type sqlBuilder struct {
	strings.Builder
	d      dialect
	args   []any
	aliasN int
	argBuf [6]any // avoids an allocation for short argument lists
}

// alias returns a fresh table alias for this statement.
func (b *sqlBuilder) alias() string {
	b.aliasN++
	return "a" + strconv.Itoa(b.aliasN)
}

func newBuilder(d dialect, size int) *sqlBuilder {
	b := &sqlBuilder{d: d}
	b.args = b.argBuf[:0]
	b.Grow(size)
	return b
}

// arg appends one bind placeholder for v.
func (b *sqlBuilder) arg(v any) {
	b.args = append(b.args, v)
	b.d.Placeholder(&b.Builder, len(b.args))
}

func (b *sqlBuilder) ident(s string) { b.WriteString(b.d.Quote(s)) }

// qualified writes alias.column, quoted.
func (b *sqlBuilder) qualified(alias, col string) {
	if alias != "" {
		b.WriteString(alias)
		b.WriteByte('.')
	}
	b.ident(col)
}

// identList writes a comma-separated list of quoted columns, each
// qualified by alias when alias is not empty.
func (b *sqlBuilder) identList(alias string, cols []string) {
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.qualified(alias, c)
	}
}

// A Where expression is parsed into a tree (sqlexpr_parse.go) and the SQL
// sent is rendered from that tree, never copied from the input: whatever
// the input, the rendered condition is one fully parenthesized
// expression over the table's own columns, literals and bind parameters.

// expr is a parsed, validated Where expression.
type expr struct {
	root *enode
	nph  int      // number of ? placeholders
	phs  []*enode // the placeholders, in order
}

type ekind uint8

const (
	eOr       ekind = iota + 1 // kids: operands
	eAnd                       // kids: operands
	eNot                       // kids[0]
	eCmp                       // op; kids[0] op kids[1]
	eIsNull                    // kids[0] IS [NOT] NULL
	eDistinct                  // kids[0] IS [NOT] DISTINCT FROM kids[1]
	eIn                        // kids[0] [NOT] IN (kids[1:])
	eBetween                   // kids[0] [NOT] BETWEEN kids[1] AND kids[2]
	eLike                      // kids[0] [NOT] LIKE|ILIKE kids[1] [ESCAPE kids[2]]
	eArith                     // op in + - * / %
	eConcat                    // kids[0] || kids[1]
	eNeg                       // -kids[0]
	eFunc                      // op(kids...)
	eCast                      // CAST(kids[0] AS op)
	eCase                      // CASE [operand] WHEN .. THEN .. [ELSE ..] END
	eExtract                   // EXTRACT(op FROM kids[0])
	eNum                       // s
	eStr                       // s is the unquoted content
	eBool                      // s is TRUE or FALSE
	eNull                      // NULL
	eCol                       // s name, q quoted
	ePh                        // ? placeholder number ph (0-based)
)

// enode is one node of a parsed expression.
type enode struct {
	k       ekind
	not     bool   // NOT IN, NOT BETWEEN, NOT LIKE, IS NOT NULL, IS NOT DISTINCT FROM
	ilike   bool   // eLike: ILIKE
	operand bool   // eCase: CASE operand WHEN ...
	els     bool   // eCase: has ELSE (the last kid)
	inList  bool   // ePh: the only element of an IN list (a slice expands there)
	ph      int    // ePh
	op      string // operator, function name, cast type, extract unit
	s       string // literal text or column name
	q       string // eCol: quoted column
	kids    []*enode
}

// exprCache memoises parsed expressions per table: Where strings are
// usually constants in code. It stops growing at exprCacheMax entries and
// keeps no long strings.
type exprCache struct {
	mu sync.RWMutex
	m  map[string]*expr
}

const (
	exprCacheMax    = 1024
	exprCacheMaxLen = 2048
)

func (c *exprCache) get(s string) *expr {
	c.mu.RLock()
	e := c.m[s]
	c.mu.RUnlock()
	return e
}

func (c *exprCache) put(s string, e *expr) {
	if len(s) > exprCacheMaxLen {
		return
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*expr{}
	}
	if len(c.m) < exprCacheMax {
		c.m[s] = e
	}
	c.mu.Unlock()
}

func unknownColumn(name, tbl string, cols map[string]string, s string) error {
	known := make([]string, 0, len(cols))
	for c := range cols {
		known = append(known, c)
	}
	sortStrings(known)
	return invalidf("unknown column %q in %s (table %s has: %s)", name, shortQuote(s), tbl, strings.Join(known, ", "))
}

// shortQuote quotes s for an error message, cut to a readable length.
func shortQuote(s string) string {
	if len(s) > 120 {
		cut := 120
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// inExpr is the condition "col IN (?)" for Query.In.
func inExpr(quoted, name string) *expr {
	ph := &enode{k: ePh, inList: true}
	return &expr{root: &enode{k: eIn, kids: []*enode{{k: eCol, s: name, q: quoted}, ph}}, nph: 1, phs: []*enode{ph}}
}

// checkArgs checks the arguments of e: a slice (other than []byte) may
// only stand for the list of an IN (?).
func (e *expr) checkArgs(src string, args []any, d dialect) error {
	if e.nph != len(args) {
		return invalidf("%s has %d placeholders but %d arguments were given", shortQuote(src), e.nph, len(args))
	}
	for i, a := range args {
		if _, isSlice := sliceLen(a); isSlice && !e.phs[i].inList {
			return invalidf("argument %d of %s is a slice (%T): slices are only accepted as the list of IN (?)", i+1, shortQuote(src), a)
		}
		if err := checkTextArg(a, d); err != nil {
			return invalidf("argument %d of %s: %v", i+1, shortQuote(src), err)
		}
	}
	return nil
}

// checkTextArg refuses, where the database's text cannot hold it
// (dialectFacts.StrictText: PostgreSQL), text with NUL or invalid UTF-8,
// which the server would reject with a raw encoding error.
func checkTextArg(a any, d dialect) error {
	if !d.Facts().StrictText {
		return nil
	}
	bad := func(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }
	switch v := a.(type) {
	case string:
		if bad(v) {
			return errors.New("PostgreSQL text cannot hold NUL or invalid UTF-8")
		}
	case []string:
		for _, x := range v {
			if bad(x) {
				return errors.New("PostgreSQL text cannot hold NUL or invalid UTF-8")
			}
		}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok && bad(s) {
				return errors.New("PostgreSQL text cannot hold NUL or invalid UTF-8")
			}
		}
	}
	return nil
}

// render writes the expression, its columns qualified by alias, binding
// args to its placeholders. A slice bound to IN (?) becomes the list of
// its elements (or, when it is large, one array or JSON argument); an
// empty slice matches nothing (NOT IN: everything).
func (e *expr) render(b *sqlBuilder, alias string, args []any) {
	e.root.render(b, alias, args)
}

func (n *enode) render(b *sqlBuilder, alias string, args []any) {
	switch n.k {
	case eCol:
		if alias != "" {
			b.WriteString(alias)
			b.WriteByte('.')
		}
		b.WriteString(n.q)
	case ePh:
		b.arg(args[n.ph])
	case eNum:
		b.WriteString(n.s)
	case eStr:
		b.WriteByte('\'')
		if strings.IndexByte(n.s, '\'') < 0 {
			b.WriteString(n.s)
		} else {
			for i := 0; i < len(n.s); i++ {
				if n.s[i] == '\'' {
					b.WriteByte('\'')
				}
				b.WriteByte(n.s[i])
			}
		}
		b.WriteByte('\'')
	case eBool:
		b.WriteString(n.s)
	case eNull:
		b.WriteString("NULL")
	case eOr, eAnd:
		sep := " AND "
		if n.k == eOr {
			sep = " OR "
		}
		b.WriteByte('(')
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.render(b, alias, args)
		}
		b.WriteByte(')')
	case eNot:
		b.WriteString("(NOT ")
		n.kids[0].render(b, alias, args)
		b.WriteByte(')')
	case eCmp, eArith:
		b.WriteByte('(')
		n.kids[0].render(b, alias, args)
		b.WriteByte(' ')
		b.WriteString(n.op)
		b.WriteByte(' ')
		n.kids[1].render(b, alias, args)
		b.WriteByte(')')
	case eConcat:
		if !b.d.PipesConcat() {
			b.WriteString("CONCAT(")
			n.kids[0].render(b, alias, args)
			b.WriteString(", ")
			n.kids[1].render(b, alias, args)
			b.WriteByte(')')
			return
		}
		b.WriteByte('(')
		n.kids[0].render(b, alias, args)
		b.WriteString(" || ")
		n.kids[1].render(b, alias, args)
		b.WriteByte(')')
	case eNeg:
		b.WriteString("(-")
		n.kids[0].render(b, alias, args)
		b.WriteByte(')')
	case eIsNull:
		b.WriteByte('(')
		n.kids[0].render(b, alias, args)
		if n.not {
			b.WriteString(" IS NOT NULL)")
		} else {
			b.WriteString(" IS NULL)")
		}
	case eDistinct:
		if !b.d.DistinctFrom() {
			if !n.not {
				b.WriteString("(NOT ")
			}
			b.WriteByte('(')
			n.kids[0].render(b, alias, args)
			b.WriteString(" <=> ")
			n.kids[1].render(b, alias, args)
			b.WriteByte(')')
			if !n.not {
				b.WriteByte(')')
			}
			return
		}
		b.WriteByte('(')
		n.kids[0].render(b, alias, args)
		if n.not {
			b.WriteString(" IS NOT DISTINCT FROM ")
		} else {
			b.WriteString(" IS DISTINCT FROM ")
		}
		n.kids[1].render(b, alias, args)
		b.WriteByte(')')
	case eIn:
		n.renderIn(b, alias, args)
	case eBetween:
		b.WriteByte('(')
		n.kids[0].render(b, alias, args)
		if n.not {
			b.WriteString(" NOT")
		}
		b.WriteString(" BETWEEN ")
		n.kids[1].render(b, alias, args)
		b.WriteString(" AND ")
		n.kids[2].render(b, alias, args)
		b.WriteByte(')')
	case eLike:
		b.WriteByte('(')
		op, lower := "LIKE", false
		if n.ilike {
			op, lower = b.d.ILike()
		}
		if lower {
			b.WriteString("LOWER(")
		}
		n.kids[0].render(b, alias, args)
		if lower {
			b.WriteByte(')')
		}
		if n.not {
			b.WriteString(" NOT")
		}
		b.WriteByte(' ')
		b.WriteString(op)
		b.WriteByte(' ')
		if lower {
			b.WriteString("LOWER(")
		}
		n.kids[1].render(b, alias, args)
		if lower {
			b.WriteByte(')')
		}
		if len(n.kids) > 2 {
			b.WriteString(" ESCAPE ")
			n.kids[2].render(b, alias, args)
		}
		b.WriteByte(')')
	case eFunc:
		b.WriteString(n.op)
		b.WriteByte('(')
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(", ")
			}
			k.render(b, alias, args)
		}
		b.WriteByte(')')
	case eCast:
		b.WriteString("CAST(")
		n.kids[0].render(b, alias, args)
		b.WriteString(" AS ")
		b.WriteString(n.op)
		b.WriteByte(')')
	case eExtract:
		b.WriteString("EXTRACT(")
		b.WriteString(n.op)
		b.WriteString(" FROM ")
		n.kids[0].render(b, alias, args)
		b.WriteByte(')')
	case eCase:
		b.WriteString("(CASE")
		kids := n.kids
		if n.operand {
			b.WriteByte(' ')
			kids[0].render(b, alias, args)
			kids = kids[1:]
		}
		var els *enode
		if n.els {
			els = kids[len(kids)-1]
			kids = kids[:len(kids)-1]
		}
		for i := 0; i+1 < len(kids); i += 2 {
			b.WriteString(" WHEN ")
			kids[i].render(b, alias, args)
			b.WriteString(" THEN ")
			kids[i+1].render(b, alias, args)
		}
		if els != nil {
			b.WriteString(" ELSE ")
			els.render(b, alias, args)
		}
		b.WriteString(" END)")
	default:
		panic("softdelete: internal error: unknown expression node")
	}
}

// bigInList is the number of elements above which a slice bound to
// IN (?) is sent as one argument (a PostgreSQL array, a JSON array on
// SQLite and, for integers, on MySQL) instead of one placeholder each:
// the databases cap the placeholders of a statement (PostgreSQL 65535,
// SQLite 32766).
const bigInList = 1000

func (n *enode) renderIn(b *sqlBuilder, alias string, args []any) {
	lhs, list := n.kids[0], n.kids[1:]
	var slice any
	count := -1
	if len(list) == 1 && list[0].k == ePh {
		if c, ok := sliceLen(args[list[0].ph]); ok {
			slice, count = args[list[0].ph], c
		}
	}
	if count == 0 {
		// x IN () is false, x NOT IN () true, even for a NULL x.
		if n.not {
			b.WriteString("(1=1)")
		} else {
			b.WriteString("(1=0)")
		}
		return
	}
	if count > bigInList && renderBigIn(b, alias, args, lhs, n.not, slice) {
		return
	}
	b.WriteByte('(')
	lhs.render(b, alias, args)
	if n.not {
		b.WriteString(" NOT IN (")
	} else {
		b.WriteString(" IN (")
	}
	if count > 0 {
		switch v := slice.(type) {
		case []int64:
			for j, x := range v {
				if j > 0 {
					b.WriteString(", ")
				}
				b.arg(x)
			}
		case []string:
			for j, x := range v {
				if j > 0 {
					b.WriteString(", ")
				}
				b.arg(x)
			}
		default:
			rv := reflect.ValueOf(slice)
			for j := 0; j < count; j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				b.arg(rv.Index(j).Interface())
			}
		}
	} else {
		for i, k := range list {
			if i > 0 {
				b.WriteString(", ")
			}
			k.render(b, alias, args)
		}
	}
	b.WriteString("))")
}

// sliceLen reports whether a is a slice to expand (not []byte).
func sliceLen(a any) (int, bool) {
	switch v := a.(type) {
	case nil, []byte, string, int64, int, bool, float64:
		return 0, false
	case []int64:
		return len(v), true
	case []int:
		return len(v), true
	case []string:
		return len(v), true
	case []any:
		return len(v), true
	}
	rv := reflect.ValueOf(a)
	if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() != reflect.Uint8 {
		return rv.Len(), true
	}
	return 0, false
}
