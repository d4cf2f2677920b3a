package softdelete

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
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

// expr is a parsed, validated Where expression: literal SQL, quoted column
// references (which render qualified by a table alias when one is given)
// and placeholders.
type expr struct {
	toks []exprTok
	nph  int
}

type exprTok struct {
	kind byte // 'l' literal, 'c' column (quoted), '?' placeholder
	s    string
}

func (e *expr) lit(sb *strings.Builder) {
	if sb.Len() > 0 {
		e.toks = append(e.toks, exprTok{'l', sb.String()})
		sb.Reset()
	}
}

// exprCache memoises parsed expressions per table: Where strings are
// usually constants in code. It stops growing at exprCacheMax entries.
type exprCache struct {
	mu sync.RWMutex
	m  map[string]*expr
}

const exprCacheMax = 1024

func (c *exprCache) get(s string) *expr {
	c.mu.RLock()
	e := c.m[s]
	c.mu.RUnlock()
	return e
}

func (c *exprCache) put(s string, e *expr) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*expr{}
	}
	if len(c.m) < exprCacheMax {
		c.m[s] = e
	}
	c.mu.Unlock()
}

// exprKeywords are the words allowed in a Where expression besides column
// names and function calls.
var exprKeywords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "is": true, "null": true,
	"like": true, "ilike": true, "between": true, "true": true, "false": true,
	"case": true, "when": true, "then": true, "else": true, "end": true,
	"escape": true, "as": true, "distinct": true, "from": true,
}

// exprFunctions are the functions a Where expression may call: common,
// side-effect-free scalar functions of the three databases.
var exprFunctions = map[string]bool{
	"lower": true, "upper": true, "length": true, "char_length": true, "coalesce": true, "nullif": true,
	"abs": true, "round": true, "floor": true, "ceil": true, "ceiling": true, "trim": true, "ltrim": true,
	"rtrim": true, "substr": true, "substring": true, "replace": true, "concat": true, "ifnull": true,
	"greatest": true, "least": true, "cast": true, "date": true, "extract": true, "date_trunc": true,
	"julianday": true, "strftime": true, "unixepoch": true, "year": true, "month": true, "day": true,
}

// castTypes are the type names CAST(x AS type) may name.
var castTypes = map[string]bool{
	"text": true, "char": true, "varchar": true, "integer": true, "int": true, "bigint": true, "smallint": true,
	"signed": true, "unsigned": true, "real": true, "float": true, "double": true, "numeric": true,
	"decimal": true, "date": true, "datetime": true, "timestamp": true, "timestamptz": true, "boolean": true,
}

func allowedFunctions() string {
	names := make([]string, 0, len(exprFunctions))
	for n := range exprFunctions {
		names = append(names, n)
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}

// parseExpr tokenizes a Where expression, checks every identifier against
// the table's columns (quoting them), allows function calls, literals and
// ? placeholders, and refuses statement separators and comments. It is a
// guard against mistakes, not a SQL parser: values must still be passed as
// arguments.
func parseExpr(s string, tbl string, cols map[string]string) (*expr, error) {
	e := &expr{}
	if strings.ContainsAny(s, "\\\x00") {
		// MySQL reads \' inside a literal as an escaped quote: a literal
		// this tokenizer ends could go on for the server. Refuse them.
		return nil, invalidf("backslashes are not allowed in a Where expression (pass values as ? arguments): %q", s)
	}
	var cur strings.Builder
	afterAs := false
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\'':
			j := i + 1
			for {
				if j >= len(s) {
					return nil, invalidf("unterminated string literal in %q", s)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			cur.WriteString(s[i : j+1])
			i = j + 1
		case c == '?':
			e.lit(&cur)
			e.toks = append(e.toks, exprTok{'?', ""})
			e.nph++
			i++
		case c == ';':
			return nil, invalidf("';' is not allowed in a Where expression: %q", s)
		case c == '-' && i+1 < len(s) && s[i+1] == '-', c == '/' && i+1 < len(s) && s[i+1] == '*', c == '#':
			return nil, invalidf("comments are not allowed in a Where expression: %q", s)
		case c == '$':
			return nil, invalidf("use ? placeholders, not $n, in %q", s)
		case c == '"' || c == '`':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, invalidf("unterminated quoted identifier in %q", s)
			}
			name := s[i+1 : i+1+j]
			q, ok := cols[name]
			if !ok {
				return nil, unknownColumn(name, tbl, cols, s)
			}
			e.lit(&cur)
			e.toks = append(e.toks, exprTok{'c', q})
			i += j + 2
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			word := s[i:j]
			lower := strings.ToLower(word)
			// table.column
			if j < len(s) && s[j] == '.' && word == tbl {
				i = j + 1
				continue
			}
			k := j
			for k < len(s) && s[k] == ' ' {
				k++
			}
			switch {
			case afterAs:
				if !castTypes[lower] {
					return nil, invalidf("unknown type %q after AS in %q", word, s)
				}
				cur.WriteString(word) // a type name in CAST(x AS type)
				afterAs = false
			case cols[word] != "":
				e.lit(&cur)
				e.toks = append(e.toks, exprTok{'c', cols[word]})
			case exprKeywords[lower]:
				cur.WriteString(word)
				afterAs = lower == "as"
			case k < len(s) && s[k] == '(':
				if !exprFunctions[lower] {
					return nil, invalidf("function %q is not allowed in a Where expression (allowed: %s)", word, allowedFunctions())
				}
				cur.WriteString(word) // function call
			default:
				return nil, unknownColumn(word, tbl, cols, s)
			}
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') && j+1 < len(s) && (s[j+1] >= '0' && s[j+1] <= '9' || s[j+1] == '-' || s[j+1] == '+') {
				j += 2
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
			}
			if j < len(s) && isIdentChar(s[j]) {
				return nil, invalidf("malformed number %q in %q", s[i:j+1], s)
			}
			cur.WriteString(s[i:j])
			i = j
		default:
			cur.WriteByte(c)
			i++
		}
	}
	e.lit(&cur)
	return e, nil
}

func unknownColumn(name, tbl string, cols map[string]string, s string) error {
	known := make([]string, 0, len(cols))
	for c := range cols {
		known = append(known, c)
	}
	sortStrings(known)
	return invalidf("unknown column %q in %q (table %s has: %s)", name, s, tbl, strings.Join(known, ", "))
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// render writes the expression with its arguments; a slice argument
// expands into a parenthesis-less list of placeholders (so "id IN (?)"
// takes []int64{1,2,3}); an empty slice becomes NULL, which matches nothing.
func (e *expr) render(b *sqlBuilder, alias string, args []any) {
	i := 0
	for _, t := range e.toks {
		switch t.kind {
		case 'l':
			b.WriteString(t.s)
			continue
		case 'c':
			if alias != "" {
				b.WriteString(alias)
				b.WriteByte('.')
			}
			b.WriteString(t.s)
			continue
		}
		a := args[i]
		i++
		if n, ok := sliceLen(a); ok {
			if n == 0 {
				b.WriteString("NULL")
			}
			rv := reflect.ValueOf(a)
			for j := 0; j < n; j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				b.arg(rv.Index(j).Interface())
			}
		} else {
			b.arg(a)
		}
	}
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
	if rv.Kind() == reflect.Slice {
		return rv.Len(), true
	}
	return 0, false
}
