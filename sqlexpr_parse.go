package softdelete

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The grammar of a Where expression (keywords are case-insensitive):
//
//	expr    = and { OR and }
//	and     = not { AND not }
//	not     = NOT not | pred
//	pred    = concat [ cmpop concat
//	                 | IS [NOT] NULL | IS [NOT] DISTINCT FROM concat
//	                 | [NOT] IN ( expr { , expr } )
//	                 | [NOT] BETWEEN concat AND concat
//	                 | [NOT] LIKE|ILIKE concat [ ESCAPE concat ] ]
//	cmpop   = "=" | "<>" | "!=" | "<" | "<=" | ">" | ">="
//	concat  = sum { "||" sum }
//	sum     = prod { ("+" | "-") prod }
//	prod    = unary { ("*" | "/" | "%") unary }
//	unary   = ("-" | "+") unary | primary
//	primary = number | 'string' | TRUE | FALSE | NULL | ? | column
//	        | function ( [ expr { , expr } ] ) | CAST ( expr AS type )
//	        | EXTRACT ( unit FROM expr ) | CASE [expr] WHEN expr THEN expr
//	          { WHEN expr THEN expr } [ ELSE expr ] END | ( expr )
//	column  = name | "name" | `name` | table . column
//
// Anything else is refused: other characters (';', '@', ':', '$', '#',
// '\', non-ASCII outside string literals, NUL), comments, ?NNN, $n,
// subqueries, unknown columns and functions, AS outside CAST.

const (
	maxExprLen   = 64 << 10
	maxExprDepth = 100
)

// dialect bits of exprFunctions.
const (
	onSQLite   = 1
	onPostgres = 2
	onMySQL    = 4
	onAll      = onSQLite | onPostgres | onMySQL
)

// exprFunctions are the functions a Where expression may call: common,
// side-effect-free scalar functions, with the databases that have them.
var exprFunctions = map[string]uint8{
	"lower": onAll, "upper": onAll, "length": onAll, "char_length": onPostgres | onMySQL,
	"coalesce": onAll, "nullif": onAll, "abs": onAll, "round": onAll, "floor": onAll, "ceil": onAll,
	"ceiling": onAll, "trim": onAll, "ltrim": onAll, "rtrim": onAll, "substr": onAll, "substring": onAll,
	"replace": onAll, "concat": onAll, "ifnull": onSQLite | onMySQL, "greatest": onPostgres | onMySQL,
	"least": onPostgres | onMySQL, "date": onAll, "date_trunc": onPostgres,
	"julianday": onSQLite, "strftime": onSQLite, "unixepoch": onSQLite,
	"year": onMySQL, "month": onMySQL, "day": onMySQL,
}

// castTypes are the type names CAST(x AS type) may name; a length or
// precision may follow in parentheses.
var castTypes = map[string]bool{
	"text": true, "char": true, "varchar": true, "integer": true, "int": true, "bigint": true, "smallint": true,
	"signed": true, "unsigned": true, "real": true, "float": true, "double": true, "numeric": true,
	"decimal": true, "date": true, "datetime": true, "timestamp": true, "timestamptz": true, "boolean": true,
}

// extractUnits are the fields EXTRACT(unit FROM x) may name.
var extractUnits = map[string]bool{
	"year": true, "month": true, "day": true, "hour": true, "minute": true, "second": true,
}

func allowedFunctions(bit uint8) string {
	names := make([]string, 0, len(exprFunctions))
	for n, on := range exprFunctions {
		if on&bit != 0 {
			names = append(names, n)
		}
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}

type tokKind uint8

const (
	tEOF    tokKind = iota
	tWord           // bare word
	tQuoted         // "name" or `name` (s is the name)
	tNum
	tStr // s is the unquoted content
	tPh
	tOp // s is the operator or punctuation
)

type token struct {
	k   tokKind
	s   string
	pos int
}

// exprParser is a recursive-descent parser over a one-token lookahead.
type exprParser struct {
	src   string
	pos   int
	tok   token
	tbl   string
	cols  map[string]string
	dbit  uint8
	depth int
	e     *expr
	err   error
}

// parseExpr parses a Where expression over the columns of table tbl
// (cols maps each name to its quoted form) for dialect d.
func parseExpr(s string, tbl string, cols map[string]string, d dialect) (*expr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, invalidf("empty Where expression")
	}
	if len(s) > maxExprLen {
		return nil, invalidf("Where expression of %d bytes is too long (at most %d; pass values as ? arguments)", len(s), maxExprLen)
	}
	if !utf8.ValidString(s) {
		return nil, invalidf("Where expression %s is not valid UTF-8", shortQuote(s))
	}
	p := &exprParser{src: s, tbl: tbl, cols: cols, dbit: d.Facts().ExprFuncs, e: &expr{}}
	p.next()
	root := p.parseOr()
	if p.err == nil && p.tok.k != tEOF {
		p.failf(p.tok.pos, "unexpected %s", p.tok.describe())
	}
	if p.err != nil {
		return nil, p.err
	}
	p.e.root = root
	return p.e, nil
}

func (t token) describe() string {
	switch t.k {
	case tEOF:
		return "end of expression"
	case tWord, tOp:
		return strconv.Quote(t.s)
	case tQuoted:
		return "quoted name " + strconv.Quote(t.s)
	case tNum:
		return "number " + t.s
	case tStr:
		return "string literal"
	case tPh:
		return "?"
	}
	return "token"
}

// failf records the first error; parsing then unwinds.
func (p *exprParser) failf(pos int, format string, args ...any) {
	if p.err == nil {
		p.err = invalidf("Where %s, at offset %d: %s", shortQuote(p.src), pos, fmt.Sprintf(format, args...))
	}
	p.tok = token{k: tEOF, pos: len(p.src)}
	p.pos = len(p.src)
}

func (p *exprParser) fail(err error) {
	if p.err == nil {
		p.err = err
	}
	p.tok = token{k: tEOF, pos: len(p.src)}
	p.pos = len(p.src)
}

// next reads the next token into p.tok.
func (p *exprParser) next() {
	s := p.src
	i := p.pos
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	if i >= len(s) {
		p.tok = token{k: tEOF, pos: i}
		p.pos = i
		return
	}
	start := i
	c := s[i]
	switch {
	case isIdentStart(c):
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
		p.tok = token{k: tWord, s: s[start:i], pos: start}
	case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i < len(s) && s[i] == '.' {
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			j := i + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if j < len(s) && s[j] >= '0' && s[j] <= '9' {
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				i = j
			}
		}
		if i < len(s) && (isIdentChar(s[i]) || s[i] == '.') {
			p.failf(start, "malformed number %q", s[start:i+1])
			return
		}
		p.tok = token{k: tNum, s: s[start:i], pos: start}
	case c == '\'':
		i++
		var b strings.Builder
		from := i
		for {
			if i >= len(s) {
				p.failf(start, "unterminated string literal")
				return
			}
			if s[i] == '\\' {
				// MySQL reads \' inside a literal as an escaped quote.
				p.failf(i, "backslashes are not allowed in string literals (pass values as ? arguments)")
				return
			}
			if s[i] == 0 {
				p.failf(i, "NUL is not allowed in a string literal (pass values as ? arguments)")
				return
			}
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteString(s[from : i+1])
					i += 2
					from = i
					continue
				}
				break
			}
			i++
		}
		lit := s[from:i]
		if b.Len() > 0 {
			b.WriteString(lit)
			lit = b.String()
		}
		i++
		p.tok = token{k: tStr, s: lit, pos: start}
	case c == '"' || c == '`':
		i++
		var b strings.Builder
		from := i
		for {
			if i >= len(s) {
				p.failf(start, "unterminated quoted name")
				return
			}
			if s[i] == c {
				if i+1 < len(s) && s[i+1] == c {
					b.WriteString(s[from : i+1])
					i += 2
					from = i
					continue
				}
				break
			}
			i++
		}
		name := s[from:i]
		if b.Len() > 0 {
			b.WriteString(name)
			name = b.String()
		}
		i++
		p.tok = token{k: tQuoted, s: name, pos: start}
	case c == '?':
		i++
		if i < len(s) && (s[i] >= '0' && s[i] <= '9' || isIdentStart(s[i])) {
			p.failf(start, "numbered or named placeholders are not allowed; use a bare ?")
			return
		}
		p.tok = token{k: tPh, pos: start}
	default:
		op := ""
		two := ""
		if i+1 < len(s) {
			two = s[i : i+2]
		}
		switch two {
		case "--", "/*":
			p.failf(start, "comments are not allowed")
			return
		case "<>", "!=", "<=", ">=", "||":
			op = two
		}
		if op == "" {
			switch c {
			case '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.':
				op = s[i : i+1]
			}
		}
		if op == "" {
			p.failf(start, "%s is not allowed in a Where expression", describeChar(s[i:]))
			return
		}
		i += len(op)
		p.tok = token{k: tOp, s: op, pos: start}
	}
	p.pos = i
}

func describeChar(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	switch {
	case r == ';':
		return "';' (one statement only)"
	case r == '#':
		return "'#' (comments)"
	case r == '$':
		return "'$' (use ? placeholders)"
	case r == '@':
		return "'@' (server and user variables)"
	case r == ':':
		return "':'"
	case r == '\\':
		return "a backslash"
	case r == 0:
		return "NUL"
	case r < 0x20 || r == 0x7f:
		return "control character " + strconv.QuoteRune(r)
	case r >= 0x80:
		return "non-ASCII character " + strconv.QuoteRune(r) + " outside a string literal"
	}
	return strconv.QuoteRune(r)
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// isKw reports whether the current token is the keyword kw (lower case).
func (p *exprParser) isKw(kw string) bool {
	return p.tok.k == tWord && strings.EqualFold(p.tok.s, kw)
}

func (p *exprParser) isOp(op string) bool { return p.tok.k == tOp && p.tok.s == op }

func (p *exprParser) expectOp(op string) {
	if !p.isOp(op) {
		p.failf(p.tok.pos, "expected %q, found %s", op, p.tok.describe())
		return
	}
	p.next()
}

func (p *exprParser) expectKw(kw string) {
	if !p.isKw(kw) {
		p.failf(p.tok.pos, "expected %s, found %s", strings.ToUpper(kw), p.tok.describe())
		return
	}
	p.next()
}

func (p *exprParser) enter() bool {
	p.depth++
	if p.depth > maxExprDepth {
		p.failf(p.tok.pos, "expression nested too deeply")
		return false
	}
	return true
}

func (p *exprParser) parseOr() *enode {
	if !p.enter() {
		return nil
	}
	defer func() { p.depth-- }()
	n := p.parseAnd()
	if !p.isKw("or") {
		return n
	}
	or := &enode{k: eOr, kids: []*enode{n}}
	for p.isKw("or") && p.err == nil {
		p.next()
		or.kids = append(or.kids, p.parseAnd())
	}
	return or
}

func (p *exprParser) parseAnd() *enode {
	n := p.parseNot()
	if !p.isKw("and") {
		return n
	}
	and := &enode{k: eAnd, kids: []*enode{n}}
	for p.isKw("and") && p.err == nil {
		p.next()
		and.kids = append(and.kids, p.parseNot())
	}
	return and
}

func (p *exprParser) parseNot() *enode {
	if p.isKw("not") {
		if !p.enter() {
			return nil
		}
		defer func() { p.depth-- }()
		p.next()
		return &enode{k: eNot, kids: []*enode{p.parseNot()}}
	}
	return p.parsePred()
}

var cmpOps = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (p *exprParser) parsePred() *enode {
	l := p.parseConcat()
	if p.err != nil {
		return l
	}
	if p.tok.k == tOp {
		if op, ok := cmpOps[p.tok.s]; ok {
			p.next()
			r := p.parseConcat()
			if p.tok.k == tOp && cmpOps[p.tok.s] != "" {
				p.failf(p.tok.pos, "comparisons do not chain; use AND")
			}
			return &enode{k: eCmp, op: op, kids: []*enode{l, r}}
		}
		return l
	}
	if p.isKw("is") {
		p.next()
		not := false
		if p.isKw("not") {
			not = true
			p.next()
		}
		switch {
		case p.isKw("null"):
			p.next()
			return &enode{k: eIsNull, not: not, kids: []*enode{l}}
		case p.isKw("distinct"):
			p.next()
			p.expectKw("from")
			r := p.parseConcat()
			return &enode{k: eDistinct, not: not, kids: []*enode{l, r}}
		}
		p.failf(p.tok.pos, "expected NULL or DISTINCT FROM after IS, found %s", p.tok.describe())
		return l
	}
	not := false
	if p.isKw("not") {
		not = true
		p.next()
	}
	switch {
	case p.isKw("in"):
		p.next()
		p.expectOp("(")
		if p.isOp(")") {
			p.failf(p.tok.pos, "empty IN list")
			return l
		}
		n := &enode{k: eIn, not: not, kids: []*enode{l}}
		for p.err == nil {
			n.kids = append(n.kids, p.parseOr())
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		p.expectOp(")")
		if len(n.kids) == 2 && n.kids[1] != nil && n.kids[1].k == ePh {
			n.kids[1].inList = true
		}
		return n
	case p.isKw("between"):
		p.next()
		lo := p.parseConcat()
		p.expectKw("and")
		hi := p.parseConcat()
		return &enode{k: eBetween, not: not, kids: []*enode{l, lo, hi}}
	case p.isKw("like"), p.isKw("ilike"):
		ilike := p.isKw("ilike")
		p.next()
		n := &enode{k: eLike, not: not, ilike: ilike, kids: []*enode{l, p.parseConcat()}}
		if p.isKw("escape") {
			p.next()
			n.kids = append(n.kids, p.parseConcat())
		}
		return n
	}
	if not {
		p.failf(p.tok.pos, "expected IN, BETWEEN or LIKE after NOT, found %s", p.tok.describe())
	}
	return l
}

func (p *exprParser) parseConcat() *enode {
	n := p.parseSum()
	for p.isOp("||") && p.err == nil {
		p.next()
		n = &enode{k: eConcat, kids: []*enode{n, p.parseSum()}}
	}
	return n
}

func (p *exprParser) parseSum() *enode {
	n := p.parseProd()
	for (p.isOp("+") || p.isOp("-")) && p.err == nil {
		op := p.tok.s
		p.next()
		n = &enode{k: eArith, op: op, kids: []*enode{n, p.parseProd()}}
	}
	return n
}

func (p *exprParser) parseProd() *enode {
	n := p.parseUnary()
	for (p.isOp("*") || p.isOp("/") || p.isOp("%")) && p.err == nil {
		op := p.tok.s
		p.next()
		n = &enode{k: eArith, op: op, kids: []*enode{n, p.parseUnary()}}
	}
	return n
}

func (p *exprParser) parseUnary() *enode {
	if p.isOp("-") || p.isOp("+") {
		if !p.enter() {
			return nil
		}
		defer func() { p.depth-- }()
		neg := p.tok.s == "-"
		p.next()
		n := p.parseUnary()
		if neg {
			return &enode{k: eNeg, kids: []*enode{n}}
		}
		return n
	}
	return p.parsePrimary()
}

func (p *exprParser) parsePrimary() *enode {
	t := p.tok
	switch t.k {
	case tNum:
		p.next()
		return &enode{k: eNum, s: t.s}
	case tStr:
		p.next()
		return &enode{k: eStr, s: t.s}
	case tPh:
		p.next()
		n := &enode{k: ePh, ph: p.e.nph}
		p.e.nph++
		p.e.phs = append(p.e.phs, n)
		return n
	case tQuoted:
		p.next()
		return p.column(t, true)
	case tOp:
		if t.s == "(" {
			p.next()
			if p.isKw("select") || p.isKw("with") || p.isKw("values") {
				p.failf(p.tok.pos, "subqueries are not allowed")
				return nil
			}
			n := p.parseOr()
			p.expectOp(")")
			return n
		}
		p.failf(t.pos, "unexpected %s", t.describe())
		return nil
	case tEOF:
		p.failf(t.pos, "unexpected end of expression")
		return nil
	}
	// a word
	lw := strings.ToLower(t.s)
	switch lw {
	case "true", "false":
		p.next()
		return &enode{k: eBool, s: strings.ToUpper(lw)}
	case "null":
		p.next()
		return &enode{k: eNull}
	case "case":
		return p.parseCase()
	case "cast":
		return p.parseCast()
	case "extract":
		return p.parseExtract()
	case "select", "with", "values", "exists", "union", "and", "or", "not", "in", "is", "like", "ilike",
		"between", "when", "then", "else", "end", "escape", "as", "from", "distinct":
		if _, isCol := p.cols[t.s]; !isCol {
			p.failf(t.pos, "unexpected keyword %s", strings.ToUpper(t.s))
			return nil
		}
	}
	p.next()
	if p.isOp("(") {
		on, ok := exprFunctions[lw]
		if !ok {
			p.failf(t.pos, "function %q is not allowed (allowed: %s)", t.s, allowedFunctions(p.dbit))
			return nil
		}
		if on&p.dbit == 0 {
			p.failf(t.pos, "function %q is not available on this database (allowed: %s)", t.s, allowedFunctions(p.dbit))
			return nil
		}
		return p.parseCall(lw)
	}
	return p.column(t, false)
}

// column resolves a column reference whose first name is t; a following
// "." makes t the table name.
func (p *exprParser) column(t token, quoted bool) *enode {
	if p.isOp(".") {
		if t.s != p.tbl {
			p.failf(t.pos, "unknown table %q (only columns of %s may be named)", t.s, p.tbl)
			return nil
		}
		p.next()
		if p.tok.k != tWord && p.tok.k != tQuoted {
			p.failf(p.tok.pos, "expected a column name after %q, found %s", t.s+".", p.tok.describe())
			return nil
		}
		t = p.tok
		p.next()
	}
	q, ok := p.cols[t.s]
	if !ok {
		p.fail(unknownColumn(t.s, p.tbl, p.cols, p.src))
		return nil
	}
	return &enode{k: eCol, s: t.s, q: q}
}

func (p *exprParser) parseCall(name string) *enode {
	if !p.enter() {
		return nil
	}
	defer func() { p.depth-- }()
	p.next() // (
	n := &enode{k: eFunc, op: name}
	if p.isOp(")") {
		p.next()
		return n
	}
	for p.err == nil {
		n.kids = append(n.kids, p.parseOr())
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	p.expectOp(")")
	return n
}

func (p *exprParser) parseCast() *enode {
	if !p.enter() {
		return nil
	}
	defer func() { p.depth-- }()
	p.next()
	p.expectOp("(")
	x := p.parseOr()
	p.expectKw("as")
	if p.err != nil {
		return nil
	}
	if p.tok.k != tWord || !castTypes[strings.ToLower(p.tok.s)] {
		p.failf(p.tok.pos, "unknown type %s in CAST", p.tok.describe())
		return nil
	}
	typ := strings.ToLower(p.tok.s)
	p.next()
	if p.isOp("(") {
		p.next()
		var b strings.Builder
		b.WriteString(typ)
		b.WriteByte('(')
		for i := 0; p.err == nil; i++ {
			if p.tok.k != tNum || strings.ContainsAny(p.tok.s, ".eE") || i > 1 {
				p.failf(p.tok.pos, "expected a length or precision in CAST type, found %s", p.tok.describe())
				return nil
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(p.tok.s)
			p.next()
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		p.expectOp(")")
		b.WriteByte(')')
		typ = b.String()
	}
	p.expectOp(")")
	return &enode{k: eCast, op: typ, kids: []*enode{x}}
}

func (p *exprParser) parseExtract() *enode {
	if !p.enter() {
		return nil
	}
	defer func() { p.depth-- }()
	if p.dbit == onSQLite {
		p.failf(p.tok.pos, "EXTRACT is not available on SQLite (use strftime)")
		return nil
	}
	p.next()
	p.expectOp("(")
	if p.tok.k != tWord || !extractUnits[strings.ToLower(p.tok.s)] {
		p.failf(p.tok.pos, "unknown EXTRACT field %s", p.tok.describe())
		return nil
	}
	unit := strings.ToUpper(p.tok.s)
	p.next()
	p.expectKw("from")
	x := p.parseOr()
	p.expectOp(")")
	return &enode{k: eExtract, op: unit, kids: []*enode{x}}
}

func (p *exprParser) parseCase() *enode {
	if !p.enter() {
		return nil
	}
	defer func() { p.depth-- }()
	p.next()
	n := &enode{k: eCase}
	if !p.isKw("when") {
		n.operand = true
		n.kids = append(n.kids, p.parseOr())
	}
	if !p.isKw("when") {
		p.failf(p.tok.pos, "expected WHEN, found %s", p.tok.describe())
		return nil
	}
	for p.isKw("when") && p.err == nil {
		p.next()
		w := p.parseOr()
		p.expectKw("then")
		n.kids = append(n.kids, w, p.parseOr())
	}
	if p.isKw("else") {
		p.next()
		n.els = true
		n.kids = append(n.kids, p.parseOr())
	}
	p.expectKw("end")
	return n
}
