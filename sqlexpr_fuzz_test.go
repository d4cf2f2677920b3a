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
				if strings.ContainsAny(stripStrings(tok.s), ";#") || strings.Contains(tok.s, "--") || strings.Contains(tok.s, "/*") {
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
	refused := map[string]bool{
		"name = ?; DROP TABLE products":         true,
		"name = ? -- comment":                   true,
		"name = ? /* x */":                      true,
		"name = ? # mysql comment":              true,
		"name = ? OR password = ?":              true,
		"id = ? UNION SELECT secret FROM users": true,
		"id IN (SELECT id FROM users)":          true,
		"\"nosuch\" = ?":                        true,
		"name = $1":                             true,
		"name = 'unterminated":                  true,
		"other.name = ?":                        true,
	}
	for _, s := range injectionCorpus {
		_, err := parseExpr(s, "products", fuzzCols)
		if refused[s] && err == nil {
			t.Errorf("accepted %q", s)
		}
		if !refused[s] && err != nil && s != "pg_sleep(10) IS NULL" {
			t.Errorf("refused %q: %v", s, err)
		}
	}
}
