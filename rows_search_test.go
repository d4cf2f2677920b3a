package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// searchFixture: people(id, email indexed, name unindexed, code indexed
// the dialect's case-insensitive or pattern way, n integer indexed).
func searchFixture(t *testing.T, db *DB) {
	t.Helper()
	code := `CREATE INDEX people_code ON people (code)`
	switch db.Dialect() {
	case "sqlite":
		code = `CREATE INDEX people_code ON people (code COLLATE NOCASE)`
	case "postgres":
		code = `CREATE INDEX people_code ON people (code text_pattern_ops)`
	}
	ddl(t, db,
		`CREATE TABLE people (id {id}, email {text} NOT NULL, name {text} NULL, code {text} NULL, n {big} NULL, deleted_at {ts} NULL)`,
		`CREATE INDEX people_email ON people (email)`,
		`CREATE INDEX people_n ON people (n)`,
		code,
	)
}

func insertPeople(t *testing.T, db *DB, emails []string) {
	t.Helper()
	ctx := context.Background()
	q := "INSERT INTO people (email, name, code, n) VALUES (" + placeholders(db, 4) + ")"
	for i, e := range emails {
		if _, err := db.exec().exec(ctx, q, e, "name "+e, e, int64(i)); err != nil {
			t.Fatalf("insert %q: %v", e, err)
		}
	}
}

func searchEmails(t *testing.T, db *DB, q RowsQuery) []string {
	t.Helper()
	q.Table = "people"
	q.Limit = 1000
	p, err := db.Rows(context.Background(), q)
	if err != nil {
		t.Fatalf("%+v: %v", q, err)
	}
	n, err := db.CountRows(context.Background(), q)
	if err != nil || n != int64(len(p.Rows)) {
		t.Fatalf("%+v: CountRows %d, %v; Rows %d", q, n, err, len(p.Rows))
	}
	out := []string{}
	for _, r := range p.Rows {
		out = append(out, r[1].(string))
	}
	slices.Sort(out)
	return out
}

func TestRowsSearchModes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		searchFixture(t, db)
		corpus := []string{"user1@example.com", "User10@example.com", "user2@example.com", "50% off", "%lead", "_lead",
			`\lead`, "!lead", "a_b", "aXb", "'quote", "é-accent", "f", "\U0010FFFF-max", "z\U0010FFFF", "z\U0010FFFFa", "zz"}
		insertPeople(t, db, corpus)
		ci := db.Dialect() == "mysql" // utf8mb4_general_ci

		// The schema names the indexes; the default search columns are
		// the indexed text columns.
		s, err := db.Schema(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ti := s.Table("people")
		var names []string
		for _, ix := range ti.Indexes {
			names = append(names, fmt.Sprintf("%s%v:%v", strings.ToLower(ix.Name), ix.Columns, ix.PrefixSearch))
		}
		for _, want := range []string{"people_email[email]:true", "people_code[code]:true", "people_n[n]"} {
			if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, want) }) {
				t.Errorf("indexes %v: no %s", names, want)
			}
		}
		for mode, want := range map[SearchMode][]string{SearchContains: {"email", "name", "code"},
			SearchPrefix: {"email", "code"}, SearchExact: {"email", "code"}} {
			if got := ti.SearchColumns(mode); !slices.Equal(got, want) {
				t.Errorf("SearchColumns(%v) = %v, want %v", mode, got, want)
			}
		}

		only := []string{"email"}
		check := func(q RowsQuery, want ...string) {
			t.Helper()
			slices.Sort(want)
			if want == nil {
				want = []string{}
			}
			if got := searchEmails(t, db, q); !slices.Equal(got, want) {
				t.Errorf("%v %q on %v: %q, want %q", q.SearchMode, q.Search, q.SearchColumns, got, want)
			}
		}
		// Prefix: wildcards and escape characters are literal.
		for p, want := range map[string][]string{"%": {"%lead"}, "_": {"_lead"}, `\`: {`\lead`}, "!": {"!lead"},
			"a_": {"a_b"}, "'": {"'quote"}, "50%": {"50% off"}, "é": {"é-accent"}, "\U0010FFFF": {"\U0010FFFF-max"},
			"z\U0010FFFF": {"z\U0010FFFF", "z\U0010FFFFa"}, "z": {"z\U0010FFFF", "z\U0010FFFFa", "zz"}, "nobody": nil} {
			check(RowsQuery{Search: p, SearchMode: SearchPrefix, SearchColumns: only}, want...)
		}
		if ci {
			check(RowsQuery{Search: "user1", SearchMode: SearchPrefix, SearchColumns: only}, "user1@example.com", "User10@example.com")
			check(RowsQuery{Search: "USER1@EXAMPLE.COM", SearchMode: SearchExact, SearchColumns: only}, "user1@example.com")
		} else {
			check(RowsQuery{Search: "user1", SearchMode: SearchPrefix, SearchColumns: only}, "user1@example.com")
			check(RowsQuery{Search: "USER1@EXAMPLE.COM", SearchMode: SearchExact, SearchColumns: only})
		}
		// code is indexed case-insensitively on SQLite (NOCASE: LIKE) and
		// MariaDB, by text_pattern_ops on PostgreSQL (case-sensitive).
		if db.Dialect() == "postgres" {
			check(RowsQuery{Search: "User", SearchMode: SearchPrefix, SearchColumns: []string{"code"}}, "User10@example.com")
		} else {
			check(RowsQuery{Search: "USER", SearchMode: SearchPrefix, SearchColumns: []string{"code"}}, "user1@example.com", "User10@example.com", "user2@example.com")
		}
		check(RowsQuery{Search: "a_", SearchMode: SearchPrefix, SearchColumns: []string{"code"}}, "a_b")
		check(RowsQuery{Search: "%", SearchMode: SearchPrefix, SearchColumns: []string{"code"}}, "%lead")
		// An unindexed column is searched too when named (the same way).
		check(RowsQuery{Search: "name a_", SearchMode: SearchPrefix, SearchColumns: []string{"name"}}, "a_b")
		// Default columns: email and code.
		check(RowsQuery{Search: "50", SearchMode: SearchPrefix}, "50% off")
		check(RowsQuery{Search: "name", SearchMode: SearchPrefix}) // name is not indexed
		// Exact.
		check(RowsQuery{Search: "a_b", SearchMode: SearchExact}, "a_b")
		check(RowsQuery{Search: "a_", SearchMode: SearchExact})
		check(RowsQuery{Search: "%lead", SearchMode: SearchExact}, "%lead")
		// Exact on an integer column: the text converted, or no match.
		check(RowsQuery{Search: "3", SearchMode: SearchExact, SearchColumns: []string{"n"}}, corpus[3])
		check(RowsQuery{Search: "3 OR 1=1", SearchMode: SearchExact, SearchColumns: []string{"n", "email"}})
		// Contains is unchanged.
		check(RowsQuery{Search: "_lea", SearchMode: SearchContains, SearchColumns: only}, "_lead")
		if _, err := db.Rows(ctx, RowsQuery{Table: "people", Search: "x", SearchMode: SearchMode(9)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown mode: %v", err)
		}
		// Scopes still apply.
		if _, err := db.exec().exec(ctx, "UPDATE people SET deleted_at = "+placeholders(db, 1)+" WHERE email = 'a_b'", stampNow(db)); err != nil {
			t.Fatal(err)
		}
		check(RowsQuery{Search: "a_", SearchMode: SearchPrefix})
		check(RowsQuery{Search: "a_", SearchMode: SearchPrefix, Scope: ScopeDeleted}, "a_b")
	})
}

func stampNow(db *DB) any {
	if db.Dialect() == "sqlite" {
		return "2026-01-01 00:00:00.000"
	}
	return "2026-01-01 00:00:00"
}

// TestRowsSearchHostile searches the adversarial corpus in every mode: the
// statement is the same whatever the text (values are bound), a text the
// database cannot hold is ErrInvalid before anything is sent, and the rows
// found are the ones the text matches literally.
func TestRowsSearchHostile(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		searchFixture(t, db)
		var stored, texts []string
		for _, p := range expressionPayloads(false) {
			texts = append(texts, p)
			if utf8.ValidString(p) && !strings.ContainsRune(p, 0) && utf8.RuneCountInString(p) <= 150 && p != "" {
				stored = append(stored, p)
			}
		}
		insertPeople(t, db, stored)
		ci := db.Dialect() == "mysql"
		var c counter
		db.hook = c.hook
		ref := map[SearchMode]string{}
		for _, mode := range []SearchMode{SearchContains, SearchPrefix, SearchExact} {
			c.reset(0)
			if _, err := db.Rows(ctx, RowsQuery{Table: "people", Search: "abc", SearchMode: mode, SearchColumns: []string{"email"}, Limit: 1000}); err != nil {
				t.Fatal(err)
			}
			ref[mode] = strings.Join(c.log, ";")
		}
		for _, p := range texts {
			if p == "" {
				continue
			}
			for _, mode := range []SearchMode{SearchContains, SearchPrefix, SearchExact} {
				q := RowsQuery{Table: "people", Search: p, SearchMode: mode, SearchColumns: []string{"email"}, Limit: 1000}
				c.reset(0)
				page, err := db.Rows(ctx, q)
				if !utf8.ValidString(p) || strings.ContainsRune(p, 0) || utf8.RuneCountInString(p) > maxSearchLen {
					if !errors.Is(err, ErrInvalid) || c.count() != 0 {
						t.Errorf("%v %.80q: %v after %d statements, want ErrInvalid before any", mode, p, err, c.count())
					}
					continue
				}
				if err != nil {
					t.Errorf("%v %.80q: %.300v", mode, p, err)
					continue
				}
				if got := strings.Join(c.log, ";"); got != ref[mode] {
					t.Errorf("%v %.80q: statement\n%s\nwant\n%s", mode, p, got, ref[mode])
				}
				found := map[string]bool{}
				for _, r := range page.Rows {
					found[r[1].(string)] = true
				}
				for _, e := range stored {
					var literal bool
					switch mode {
					case SearchContains:
						literal = strings.Contains(strings.ToLower(e), strings.ToLower(p))
					case SearchPrefix:
						literal = strings.HasPrefix(e, p)
					default:
						literal = e == p
					}
					switch {
					case literal && !found[e] && (mode != SearchContains || isASCII(p)):
						t.Errorf("%v %.80q: %.80q not found", mode, p, e)
					case !literal && found[e] && !ci && mode != SearchContains:
						t.Errorf("%v %.80q: %.80q found", mode, p, e)
					case found[e] && !ci && mode == SearchContains && !strings.Contains(strings.ToLower(e), strings.ToLower(p)) && isASCII(p+e):
						t.Errorf("%v %.80q: %.80q found", mode, p, e)
					}
				}
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestRowsSearchUsesIndex: the database's plan for a prefix and an exact
// search on an indexed column reads the index (not the table).
func TestRowsSearchUsesIndex(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		searchFixture(t, db)
		emails := make([]string, 2000)
		for i := range emails {
			emails[i] = fmt.Sprintf("user%d@example.com", i)
		}
		insertPeople(t, db, emails)
		analyze := map[string]string{"sqlite": "ANALYZE", "postgres": "ANALYZE people", "mysql": "ANALYZE TABLE people"}[db.Dialect()]
		if _, err := db.SQL().ExecContext(ctx, analyze); err != nil {
			t.Fatal(err)
		}
		type stmt struct {
			q    string
			args []any
		}
		var stmts []stmt
		hook := func(_ context.Context, q string, args []any) error {
			stmts = append(stmts, stmt{q, args})
			return nil
		}
		for _, tc := range []struct {
			mode  SearchMode
			col   string
			index string
		}{{SearchPrefix, "email", "people_email"}, {SearchExact, "email", "people_email"}, {SearchPrefix, "code", "people_code"},
			{SearchExact, "code", "people_code"}, {SearchPrefix, "", ""}} {
			var cols []string
			if tc.col != "" {
				cols = []string{tc.col}
			}
			got := searchEmails(t, db, RowsQuery{Search: "user1234", SearchMode: tc.mode, SearchColumns: cols})
			if tc.mode == SearchExact && len(got) != 0 || tc.mode == SearchPrefix && len(got) != 1 {
				t.Fatalf("%v %s: %v", tc.mode, tc.col, got)
			}
			for _, scope := range []Scope{ScopeAlive, ScopeAll} {
				stmts = nil
				db.hook = hook
				searchEmails(t, db, RowsQuery{Search: "user1234", SearchMode: tc.mode, SearchColumns: cols, Scope: scope})
				db.hook = nil
				// Every statement (SQLite's probe, the page, the count) reads
				// through the index.
				for _, st := range stmts {
					plan := explain(t, db, st.q, st.args)
					want := tc.index
					if want == "" {
						want = "people_"
					}
					if !strings.Contains(strings.ToLower(plan), want) || strings.Contains(plan, "SCAN people") {
						t.Errorf("%v on %q, %v: plan does not use %s:\n%s\n%s", tc.mode, tc.col, scope, want, st.q, plan)
					}
				}
			}
		}
	})
}

// explain returns the database's plan for q as text. PostgreSQL plans it
// with sequential scans disabled: on a small table a scan would win, and
// the question is whether the index can serve the condition.
func explain(t *testing.T, db *DB, q string, args []any) string {
	t.Helper()
	ctx := context.Background()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prefix := "EXPLAIN "
	switch db.Dialect() {
	case "sqlite":
		prefix = "EXPLAIN QUERY PLAN "
	case "postgres":
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "RESET enable_seqscan")
	}
	rows, err := conn.QueryContext(ctx, prefix+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			fmt.Fprintf(&b, "%s=%s ", cols[i], v.String)
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestNextPrefix(t *testing.T) {
	for in, want := range map[string]string{"a": "b", "ab": "ac", "a\U0010FFFF": "b", "\uD7FF": "\uE000", "é": "ê", "a\U0010FFFF\U0010FFFF": "b"} {
		if got, ok := nextPrefix(in); !ok || got != want {
			t.Errorf("nextPrefix(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := nextPrefix("\U0010FFFF"); ok {
		t.Error("nextPrefix(U+10FFFF) has a bound")
	}
}

// FuzzSearchPrefix (SQLite): a prefix search finds exactly the rows that
// start with the text, byte for byte, whatever the text.
func FuzzSearchPrefix(f *testing.F) {
	for _, s := range []string{"a", "%", "_", `\`, "!", "a%b", "'", "\U0010FFFF", "é", "z\U0010FFFF", "\x00", "\xff"} {
		f.Add(s)
	}
	db := openTest(f, "sqlite")
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, code TEXT, n INTEGER, deleted_at DATETIME);
CREATE INDEX people_email ON people (email)`); err != nil {
		f.Fatal(err)
	}
	if err := db.Refresh(ctx); err != nil {
		f.Fatal(err)
	}
	corpus := []string{"a", "ab", "a%b", "a_b", `a\b`, "a!b", "%", "_", "!", `\`, "é", "éa", "E", "z\U0010FFFF", "\U0010FFFF", "'", "A", "aB"}
	for _, e := range corpus {
		if _, err := db.SQL().ExecContext(ctx, "INSERT INTO people (email) VALUES (?)", e); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, mode := range []SearchMode{SearchPrefix, SearchExact} {
			p, err := db.Rows(ctx, RowsQuery{Table: "people", Search: s, SearchMode: mode, Limit: 100})
			if s == "" || !utf8.ValidString(s) || strings.ContainsRune(s, 0) || utf8.RuneCountInString(s) > maxSearchLen {
				if s != "" && !errors.Is(err, ErrInvalid) {
					t.Fatalf("%q: %v", s, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			var got, want []string
			for _, r := range p.Rows {
				got = append(got, r[1].(string))
			}
			for _, e := range corpus {
				if mode == SearchPrefix && strings.HasPrefix(e, s) || mode == SearchExact && e == s {
					want = append(want, e)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%v %q: %q, want %q", mode, s, got, want)
			}
		}
	})
}

// TestRowsSearchManyMatches: a search matching more rows than SQLite's
// probe counts (searchUnionProbe) is read with the plain condition; pages
// and counts are the same either way.
func TestRowsSearchManyMatches(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		searchFixture(t, db)
		n := searchUnionProbe + 500
		for i := 0; i < n; i += 500 {
			var vals []string
			for j := i; j < i+500; j++ {
				vals = append(vals, fmt.Sprintf("('user%05d@x', 'c%d')", j, j))
			}
			if _, err := db.SQL().ExecContext(ctx, "INSERT INTO people (email, code) VALUES "+strings.Join(vals, ", ")); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []RowsQuery{{Search: "user", SearchMode: SearchPrefix}, {Search: "user0001", SearchMode: SearchPrefix},
			{Search: "user", SearchMode: SearchPrefix, OrderBy: []RowOrder{{Column: "email", Desc: true}}}} {
			q.Table, q.Limit = "people", 7
			p, err := db.Rows(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"user00000@x", "user00001@x", "user00002@x", "user00003@x", "user00004@x", "user00005@x", "user00006@x"}
			if q.Search == "user0001" {
				want = []string{"user00010@x", "user00011@x", "user00012@x", "user00013@x", "user00014@x", "user00015@x", "user00016@x"}
			}
			if q.OrderBy != nil {
				want = nil
				for j := n - 1; j > n-8; j-- {
					want = append(want, fmt.Sprintf("user%05d@x", j))
				}
			}
			var got []string
			for _, r := range p.Rows {
				got = append(got, r[1].(string))
			}
			if !slices.Equal(got, want) || p.Next == "" {
				t.Errorf("%q %v: %v, want %v (next %q)", q.Search, q.OrderBy, got, want, p.Next)
			}
			c, err := db.CountRows(ctx, q)
			wantN := int64(n)
			if q.Search == "user0001" {
				wantN = 10
			}
			if err != nil || c != wantN {
				t.Errorf("%q: count %d, %v; want %d", q.Search, c, err, wantN)
			}
		}
	})
}
