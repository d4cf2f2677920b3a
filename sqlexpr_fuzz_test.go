package softdelete

import (
	"strings"
	"testing"
)

var fuzzCols = map[string]string{"id": `"id"`, "name": `"name"`, "deleted_at": `"deleted_at"`}

// injection corpus: each must be refused, or accepted only with every word
// accounted for (a quoted known column, a keyword or a function call).
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
}

func FuzzParseExpr(f *testing.F) {
	for _, s := range injectionCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseExpr(s, "products", fuzzCols)
		if err != nil {
			return
		}
		for _, tok := range e.toks {
			switch tok.kind {
			case 'c':
				known := false
				for _, q := range fuzzCols {
					known = known || q == tok.s
				}
				if !known {
					t.Fatalf("%q: unknown column token %q", s, tok.s)
				}
			case 'l':
				bare := stripStrings(tok.s)
				if strings.ContainsAny(bare, ";#\\") || strings.Contains(bare, "--") || strings.Contains(bare, "/*") {
					t.Fatalf("%q: accepted separator or comment in %q", s, tok.s)
				}
			}
		}
	})
}

// stripStrings removes '...' literals (which may hold anything).
func stripStrings(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			in = !in
			continue
		}
		if !in {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func TestInjectionCorpus(t *testing.T) {
	accepted := map[string]bool{
		"name = '' OR 1=1":                true, // harmless: only this table's columns
		"name = 'it''s' AND id = ?":       true,
		"\"name\" = ?":                    true,
		"`id` = ?":                        true,
		"LOWER(name) = LOWER(?)":          true,
		"CAST(id AS TEXT) = ?":            true,
		"CAST(id AS text) = ?":            true,
		"products.name = ?":               true,
		"name = ? AND deleted_at IS NULL": true,
		"id = 1e5":                        true,
	}
	for _, s := range injectionCorpus {
		_, err := parseExpr(s, "products", fuzzCols)
		if accepted[s] && err != nil {
			t.Errorf("refused %q: %v", s, err)
		}
		if !accepted[s] && err == nil {
			t.Errorf("accepted %q", s)
		}
	}
}
