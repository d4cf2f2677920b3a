package softdelete

import (
	"errors"
	"strings"
	"testing"
)

var fuzzCols = map[string]string{"id": `"id"`, "name": `"name"`, "deleted_at": `"deleted_at"`, "version": `"version"`}

// fuzzDialect renders like PostgreSQL (|| and ILIKE kept) but with ?
// placeholders, so that a rendered expression can be parsed again.
type fuzzDialect struct{ postgresDialect }

func (fuzzDialect) Placeholder(b *strings.Builder, _ int) { b.WriteByte('?') }

// injectionCorpus: each must be refused, or accepted (the accepted ones
// are listed in TestInjectionCorpus).
var injectionCorpus = []string{
	"name = ?; DROP TABLE products",
	"name = ? -- comment",
	"name = ? /* x */",
	"name = ? # mysql comment",
	"name = '' OR 1=1",
	"name = ? OR password = ?",
	"id = ? UNION SELECT secret FROM users",
	"id IN (SELECT id FROM users)",
	"name = 'it''s' AND id = ?",
	"\"name\" = ?",
	"`id` = ?",
	"\"nosuch\" = ?",
	"name = $1",
	"name = 'unterminated",
	"LOWER(name) = LOWER(?)",
	"CAST(id AS TEXT) = ?",
	"products.name = ?",
	"other.name = ?",
	"name = ? AND deleted_at IS NULL",
	"pg_sleep(10) IS NULL",
	"body = '\\'' OR (SELECT LENGTH(pw) FROM secrets LIMIT 1) = 7 -- '\n",
	"query_to_xml('select 1', true, true, '') IS NULL",
	"CAST(id AS text) = ?",
	"CAST(id AS x; DROP TABLE t) = ?",
	"id = 1union",
	"id = 1e5",
	// issue 8
	"1=0)) OR ((1=1",
	"1=0) OR (1=1",
	"@@version LIKE '10.%'",
	"version LIKE '10.%'",
	"@`x` := 42",
	"id = ?1",
	"id = ?123",
	"",
	"   ",
	"id AS x",
	"name ＝ ?",
	"ｉｄ = 1",
	"id = 1 ) OR ( 1 = 1",
	"(id = 1",
	"id = 1)",
	"id IN (?) AND name NOT LIKE ? ESCAPE '!'",
	"CASE WHEN id > 1 THEN name ELSE 'x' END = ?",
	"id BETWEEN ? AND ? OR NOT (name IS NOT NULL)",
	"-id - -1 = ?",
	"name || 'x' ILIKE ?",
	"coalesce(name, '') <> '' AND abs(-id) % 2 = 0",
	"id = ? AND (name = ? OR name IS NULL)",
}

func FuzzParseExpr(f *testing.F) {
	for _, s := range injectionCorpus {
		f.Add(s)
	}
	for _, s := range expressionPayloads(false) {
		if len(s) <= 4096 {
			f.Add(s)
		}
	}
	d := fuzzDialect{}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseExpr(s, "products", fuzzCols, postgresDialect{})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: error is not ErrInvalid: %v", s, err)
			}
			return
		}
		args := make([]any, e.nph)
		for i := range args {
			args[i] = int64(i)
		}
		b := newBuilder(d, 64)
		e.render(b, "", args)
		out := b.String()
		if err := balanced(out); err != "" {
			t.Fatalf("%q rendered %q: %s", s, out, err)
		}
		e2, err := parseExpr(out, "products", fuzzCols, postgresDialect{})
		if err != nil {
			t.Fatalf("%q rendered %q, which does not parse: %v", s, out, err)
		}
		if !sameTree(e.root, e2.root) || e.nph != e2.nph {
			t.Fatalf("%q rendered %q, which parses to another tree", s, out)
		}
		b2 := newBuilder(d, 64)
		e2.render(b2, "", args)
		if b2.String() != out {
			t.Fatalf("render is not stable: %q then %q", out, b2.String())
		}
	})
}

// balanced checks that parentheses balance outside string literals and
// quoted names, and that no separator or comment appears there.
func balanced(s string) string {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return "unterminated quote"
			}
			i = j
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return "')' closes more than was opened"
			}
		case ';', '#', '\\', '@', '$', ':':
			return "separator or special character outside literals"
		case '-', '/':
			if i+1 < len(s) && (s[i+1] == '-' || s[i+1] == '*') {
				return "comment outside literals"
			}
		}
	}
	if depth != 0 {
		return "unbalanced parentheses"
	}
	return ""
}

func sameTree(a, b *enode) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.k != b.k || a.not != b.not || a.ilike != b.ilike || a.operand != b.operand || a.els != b.els ||
		a.inList != b.inList || a.ph != b.ph || a.op != b.op || a.s != b.s || a.q != b.q || len(a.kids) != len(b.kids) {
		return false
	}
	for i := range a.kids {
		if !sameTree(a.kids[i], b.kids[i]) {
			return false
		}
	}
	return true
}

func TestInjectionCorpus(t *testing.T) {
	accepted := map[string]bool{
		"name = '' OR 1=1":                              true, // harmless: only this table's columns
		"name = 'it''s' AND id = ?":                     true,
		"\"name\" = ?":                                  true,
		"`id` = ?":                                      true,
		"LOWER(name) = LOWER(?)":                        true,
		"CAST(id AS TEXT) = ?":                          true,
		"CAST(id AS text) = ?":                          true,
		"products.name = ?":                             true,
		"name = ? AND deleted_at IS NULL":               true,
		"id = 1e5":                                      true,
		"version LIKE '10.%'":                           true,
		"id IN (?) AND name NOT LIKE ? ESCAPE '!'":      true,
		"CASE WHEN id > 1 THEN name ELSE 'x' END = ?":   true,
		"id BETWEEN ? AND ? OR NOT (name IS NOT NULL)":  true,
		"-id - -1 = ?":                                  true,
		"name || 'x' ILIKE ?":                           true,
		"coalesce(name, '') <> '' AND abs(-id) % 2 = 0": true,
		"id = ? AND (name = ? OR name IS NULL)":         true,
	}
	for _, s := range injectionCorpus {
		_, err := parseExpr(s, "products", fuzzCols, postgresDialect{})
		if accepted[s] && err != nil {
			t.Errorf("refused %q: %v", s, err)
		}
		if !accepted[s] && err == nil {
			t.Errorf("accepted %q", s)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v is not ErrInvalid", s, err)
		}
	}
}

// TestRenderShape pins the SQL rendered for a few expressions.
func TestRenderShape(t *testing.T) {
	for _, c := range []struct{ in, dialect, want string }{
		{"id = ? OR name = 'a''b'", "postgres", `(("id" = $1) OR ("name" = 'a''b'))`},
		{"NOT id IN (?) AND -id != 1", "sqlite", `((NOT ("id" IN (?, ?))) AND ((-"id") <> 1))`},
		{"name || 'x' ILIKE ? ESCAPE '!'", "mysql", "(LOWER(CONCAT(`name`, 'x')) LIKE LOWER(?) ESCAPE '!')"},
		{"name IS NOT DISTINCT FROM ?", "mysql", "(`name` <=> ?)"},
		{"name IS DISTINCT FROM ?", "mysql", "(NOT (`name` <=> ?))"},
		{"CASE id WHEN 1 THEN 'a' ELSE name END = ?", "sqlite", `((CASE "id" WHEN 1 THEN 'a' ELSE "name" END) = ?)`},
		{"CAST(id AS DECIMAL(10,2)) BETWEEN ? AND ?", "postgres", `(CAST("id" AS decimal(10, 2)) BETWEEN $1 AND $2)`},
	} {
		d, _ := dialectByName(c.dialect)
		e, err := parseExpr(c.in, "products", map[string]string{"id": d.Quote("id"), "name": d.Quote("name")}, d)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		args := make([]any, e.nph)
		for i := range args {
			args[i] = "v"
		}
		if strings.Contains(c.in, "IN (?)") {
			args[0] = []int64{1, 2}
		}
		b := newBuilder(d, 64)
		e.render(b, "", args)
		if b.String() != c.want {
			t.Errorf("%s %q:\n got %s\nwant %s", c.dialect, c.in, b.String(), c.want)
		}
	}
}
