package softdelete

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// rowsFixture creates shop-like tables on db:
//
//	cats (id, name UNIQUE, deleted_at)             soft
//	items (id, cat_id -> cats CASCADE, grp, name, price, at, flag, data, deleted_at)   soft
//	notes (code text PK, body)                    not soft
func rowsFixture(t *testing.T, db *DB) {
	t.Helper()
	ts, blob, boolT := "{ts}", "BLOB", "BOOLEAN"
	switch db.Dialect() {
	case "postgres":
		blob = "BYTEA"
	case "mysql":
		blob = "VARBINARY(64)"
	}
	ddl(t, db,
		`CREATE TABLE cats (id {id}, name {text} NOT NULL, deleted_at {ts} NULL)`,
		`CREATE UNIQUE INDEX cats_name ON cats (name)`,
		fmt.Sprintf(`CREATE TABLE items (id {id}, cat_id {big} NOT NULL REFERENCES cats (id) ON DELETE CASCADE,
			grp {big} NULL, name {text} NULL, price {dec} NULL, at %s NULL, flag %s NULL, data %s NULL, deleted_at {ts} NULL)`, ts, boolT, blob),
		`CREATE TABLE notes (code {text} NOT NULL PRIMARY KEY, body {text} NULL)`,
	)
}

type rowsItem struct {
	id    int64
	cat   int64
	grp   *int64
	name  *string
	price *string // decimal, as text
	at    *time.Time
	dead  bool
}

// rowsSeed inserts n items with duplicates and NULLs in every sortable
// column, every third one soft-deleted.
func rowsSeed(t *testing.T, db *DB, n int) []rowsItem {
	t.Helper()
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, "INSERT INTO cats (id, name) VALUES (1, 'one'), (2, 'two')"); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	var items []rowsItem
	for i := 1; i <= n; i++ {
		it := rowsItem{id: int64(i), cat: int64(1 + i%2)}
		if i%5 != 0 {
			g := int64(i % 4)
			it.grp = &g
		}
		if i%7 != 3 {
			s := []string{"apple", "banana", "cherry", "apple", "date"}[i%5]
			it.name = &s
		}
		if i%6 != 1 {
			p := fmt.Sprintf("%d.%02d", i%3, (i*7)%100)
			it.price = &p
		}
		if i%4 != 2 {
			a := base.Add(time.Duration(i%6) * time.Hour)
			it.at = &a
		}
		it.dead = i%3 == 0
		var del any
		if it.dead {
			del = base
		}
		q := fmt.Sprintf("INSERT INTO items (id, cat_id, grp, name, price, at, flag, data, deleted_at) VALUES (%s)", placeholders(db, 9))
		var atArg any
		if it.at != nil {
			atArg = *it.at
		}
		var grp, name, price any
		if it.grp != nil {
			grp = *it.grp
		}
		if it.name != nil {
			name = *it.name
		}
		if it.price != nil {
			price = *it.price
		}
		if _, err := db.exec().exec(ctx, q, int64(i), int64(1+i%2), grp, name, price, atArg, i%2 == 0, []byte{byte(i), 0xff}, del); err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	return items
}

func placeholders(db *DB, n int) string {
	b := newBuilder(db.dialect, 32)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.arg(nil)
	}
	return b.String()
}

// expectedOrder sorts items the way the database must: NULLs where the
// dialect puts them, the primary key last.
func expectedOrder(db *DB, items []rowsItem, scope Scope, order []RowOrder) []int64 {
	nullsHigh := db.dialect.(rowsDialect).NullsHigh()
	var sel []rowsItem
	for _, it := range items {
		if scope == ScopeAll || (scope == ScopeAlive) == !it.dead {
			sel = append(sel, it)
		}
	}
	cmpNullable := func(aNull, bNull bool, cmp func() int, desc bool) int {
		var c int
		switch {
		case aNull && bNull:
			c = 0
		case aNull:
			c = -1
			if nullsHigh {
				c = 1
			}
		case bNull:
			c = 1
			if nullsHigh {
				c = -1
			}
		default:
			c = cmp()
		}
		if desc {
			c = -c
		}
		return c
	}
	tieDesc := len(order) > 0 && order[len(order)-1].Desc
	sort.SliceStable(sel, func(i, j int) bool {
		a, b := sel[i], sel[j]
		for _, o := range order {
			var c int
			switch o.Column {
			case "grp":
				c = cmpNullable(a.grp == nil, b.grp == nil, func() int { return int(*a.grp - *b.grp) }, o.Desc)
			case "name":
				c = cmpNullable(a.name == nil, b.name == nil, func() int { return strings.Compare(*a.name, *b.name) }, o.Desc)
			case "price":
				c = cmpNullable(a.price == nil, b.price == nil, func() int { return strings.Compare(*a.price, *b.price) }, o.Desc)
			case "at":
				c = cmpNullable(a.at == nil, b.at == nil, func() int { return a.at.Compare(*b.at) }, o.Desc)
			case "cat_id":
				c = int(a.cat - b.cat)
				if o.Desc {
					c = -c
				}
			case "id":
				c = int(a.id - b.id)
				if o.Desc {
					c = -c
				}
			}
			if c != 0 {
				return c < 0
			}
		}
		if tieDesc {
			return a.id > b.id
		}
		return a.id < b.id
	})
	ids := make([]int64, len(sel))
	for i, it := range sel {
		ids[i] = it.id
	}
	return ids
}

func pageIDs(t *testing.T, p *RowsPage) []int64 {
	t.Helper()
	var ids []int64
	for _, r := range p.Rows {
		id, ok := r[0].(int64)
		if !ok {
			t.Fatalf("id is %T %v", r[0], r[0])
		}
		ids = append(ids, id)
	}
	return ids
}

func TestSchemaPublic(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		rowsFixture(t, db)
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		s, err := db.Schema(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tb := range s.Tables {
			names = append(names, tb.Name)
		}
		if want := []string{"cats", "items", "notes"}; !slices.Equal(names, want) {
			t.Fatalf("tables %v, want %v", names, want)
		}
		items := s.Table("items")
		if items == nil || s.Table("nope") != nil || s.Table("softdelete_operations") != nil {
			t.Fatalf("Table lookup: items=%v", items)
		}
		if !items.SoftDelete() || items.DeletedColumn != "deleted_at" || !slices.Equal(items.PrimaryKey, []string{"id"}) {
			t.Fatalf("items: %+v", items)
		}
		if s.Table("notes").SoftDelete() || !slices.Equal(s.Table("notes").PrimaryKey, []string{"code"}) {
			t.Fatalf("notes: %+v", s.Table("notes"))
		}
		kinds := map[string]ColumnKind{"id": KindInteger, "cat_id": KindInteger, "grp": KindInteger, "name": KindText,
			"price": KindNumber, "at": KindTime, "flag": KindBool, "data": KindBytes, "deleted_at": KindTime}
		var cols []string
		for _, c := range items.Columns {
			cols = append(cols, c.Name)
			if kinds[c.Name] != c.Kind {
				t.Errorf("column %s (%s): kind %q, want %q", c.Name, c.Type, c.Kind, kinds[c.Name])
			}
		}
		if want := []string{"id", "cat_id", "grp", "name", "price", "at", "flag", "data", "deleted_at"}; !slices.Equal(cols, want) {
			t.Fatalf("columns %v", cols)
		}
		if c, ok := items.Column("id"); !ok || !c.PrimaryKey || !c.NotNull {
			t.Fatalf("id: %+v", c)
		}
		if len(items.ForeignKeys) != 1 {
			t.Fatalf("fks %+v", items.ForeignKeys)
		}
		fk := items.ForeignKeys[0]
		if fk.Table != "items" || fk.Parent != "cats" || !slices.Equal(fk.Columns, []string{"cat_id"}) ||
			!slices.Equal(fk.ParentColumns, []string{"id"}) || fk.OnDelete != Cascade || fk.SchemaRule != Cascade {
			t.Fatalf("fk %+v", fk)
		}
		cats := s.Table("cats")
		if len(cats.ReferencedBy) != 1 || cats.ReferencedBy[0].Table != "items" {
			t.Fatalf("cats referenced by %+v", cats.ReferencedBy)
		}
		if len(cats.UniqueKeys) != 1 || !slices.Equal(cats.UniqueKeys[0].Columns, []string{"name"}) || cats.UniqueKeys[0].AliveOnly {
			t.Fatalf("cats unique keys %+v", cats.UniqueKeys)
		}
		// A copy: changing it changes nothing for the next caller.
		items.Columns[0].Name = "changed"
		items.ForeignKeys[0].Columns[0] = "changed"
		s2, _ := db.Schema(ctx)
		if s2.Table("items").Columns[0].Name != "id" || s2.Table("items").ForeignKeys[0].Columns[0] != "cat_id" {
			t.Fatal("Schema returned shared state")
		}
	})
}

func TestRowsKeysetPagination(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		rowsFixture(t, db)
		items := rowsSeed(t, db, 61)
		orders := [][]RowOrder{
			nil,
			{{Column: "id", Desc: true}},
			{{Column: "grp"}},
			{{Column: "grp", Desc: true}},
			{{Column: "name"}, {Column: "grp", Desc: true}},
			{{Column: "name", Desc: true}, {Column: "grp"}},
			{{Column: "at"}},
			{{Column: "at", Desc: true}, {Column: "name"}},
			{{Column: "price"}},
			{{Column: "price", Desc: true}},
			{{Column: "cat_id"}},                                         // NOT NULL: a row-value keyset on PostgreSQL
			{{Column: "cat_id", Desc: true}, {Column: "id", Desc: true}}, // the same, explicit
			{{Column: "cat_id", Desc: true}, {Column: "id"}},             // mixed directions
		}
		for _, scope := range []Scope{ScopeAlive, ScopeAll, ScopeDeleted} {
			for _, order := range orders {
				want := expectedOrder(db, items, scope, order)
				full, err := db.Rows(ctx, RowsQuery{Table: "items", Scope: scope, OrderBy: order, Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				if got := pageIDs(t, full); !slices.Equal(got, want) || full.Next != "" {
					t.Fatalf("%v %v: one page\n got %v\nwant %v", scope, order, got, want)
				}
				for _, size := range []int{1, 2, 7} {
					var got []int64
					q := RowsQuery{Table: "items", Scope: scope, OrderBy: order, Limit: size}
					for pages := 0; ; pages++ {
						if pages > len(items)+1 {
							t.Fatalf("%v %v size %d: too many pages", scope, order, size)
						}
						p, err := db.Rows(ctx, q)
						if err != nil {
							t.Fatalf("%v %v size %d page %d: %v", scope, order, size, pages, err)
						}
						if len(p.Rows) > size || (p.Next != "" && len(p.Rows) != size) {
							t.Fatalf("page of %d rows, next %q", len(p.Rows), p.Next)
						}
						got = append(got, pageIDs(t, p)...)
						if p.Next == "" {
							break
						}
						q.After = p.Next
					}
					if !slices.Equal(got, want) {
						t.Fatalf("%v %v size %d: pages\n got %v\nwant %v", scope, order, size, got, want)
					}
				}
			}
		}
	})
}

func TestRowsValuesFiltersSearch(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		rowsFixture(t, db)
		rowsSeed(t, db, 12)
		p, err := db.Rows(ctx, RowsQuery{Table: "items", Filters: []RowFilter{{Column: "id", Value: "8"}}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"id", "cat_id", "grp", "name", "price", "at", "flag", "data", "deleted_at"}; !slices.Equal(p.Columns, want) {
			t.Fatalf("columns %v", p.Columns)
		}
		if len(p.Rows) != 1 {
			t.Fatalf("rows %v", p.Rows)
		}
		r := p.Rows[0]
		at := time.Date(2024, 5, 6, 9, 8, 9, 123456000, time.UTC)
		if r[0] != int64(8) || r[1] != int64(1) || r[2] != int64(0) || r[3] != "apple" || r[5] == nil ||
			!r[5].(time.Time).Equal(at) || r[6] != true || string(r[7].([]byte)) != "\x08\xff" || r[8] != nil {
			t.Fatalf("row %#v", r)
		}
		switch v := r[4].(type) { // 2.56: exact text on PostgreSQL and MariaDB, a float on SQLite
		case string:
			if v != "2.56" {
				t.Fatalf("price %q", v)
			}
		case float64:
			if v != 2.56 {
				t.Fatalf("price %v", v)
			}
		default:
			t.Fatalf("price %T", v)
		}

		ids := func(q RowsQuery) []int64 {
			t.Helper()
			q.Table = "items"
			p, err := db.Rows(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			n, err := db.CountRows(ctx, q)
			if err != nil || n != int64(len(p.Rows)) {
				t.Fatalf("CountRows %d, %v; Rows %d", n, err, len(p.Rows))
			}
			return pageIDs(t, p)
		}
		check := func(got []int64, want ...int64) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
		check(ids(RowsQuery{Filters: []RowFilter{{Column: "grp", Value: int64(1)}}}), 1)                               // 5 has NULL grp, 9 ok
		check(ids(RowsQuery{Filters: []RowFilter{{Column: "grp", Value: "1"}}, Scope: ScopeAll}), 1, 9)                // 5 has NULL grp
		check(ids(RowsQuery{Filters: []RowFilter{{Column: "grp", Value: nil}}, Scope: ScopeAll}), 5, 10)               // NULL
		check(ids(RowsQuery{Filters: []RowFilter{{Column: "flag", Value: "true"}}, Scope: ScopeDeleted}), 6, 12)       // bool from text
		check(ids(RowsQuery{Filters: []RowFilter{{Column: "name", Value: "apple"}, {Column: "cat_id", Value: 2}}}), 5) // AND
		check(ids(RowsQuery{Search: "ANAN"}), 1, 11)
		check(ids(RowsQuery{Search: "an", SearchColumns: []string{"name"}, Scope: ScopeDeleted}), 6)
		check(ids(RowsQuery{Search: "1", SearchColumns: []string{"grp"}, Scope: ScopeAll}), 1, 9) // a number searched as text
		check(ids(RowsQuery{Search: "x", SearchColumns: []string{}, Table: "items"}))

		// LIKE's wildcards and the escape characters are literal.
		ddl(t, db, `CREATE TABLE texts (id {id}, body {text} NULL)`)
		bodies := []string{"50% off", "a_b", `back\slash`, "bang!", "plain", "5000 off", "aXb", `back/slash`, "'quote"}
		for _, s := range bodies {
			if _, err := db.exec().exec(ctx, "INSERT INTO texts (body) VALUES ("+placeholders(db, 1)+")", s); err != nil {
				t.Fatal(err)
			}
		}
		search := func(s string) []string {
			t.Helper()
			p, err := db.Rows(ctx, RowsQuery{Table: "texts", Search: s})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range p.Rows {
				out = append(out, r[1].(string))
			}
			return out
		}
		for s, want := range map[string][]string{"%": {"50% off"}, "_": {"a_b"}, `\`: {`back\slash`}, "!": {"bang!"},
			"0% O": {"50% off"}, "'": {"'quote"}, `\s`: {`back\slash`}, "A_B": {"a_b"}} {
			if got := search(s); !slices.Equal(got, want) {
				t.Errorf("search %q: %q, want %q", s, got, want)
			}
		}

		// A table that is not soft-deletable: every row is alive.
		if _, err := db.SQL().ExecContext(ctx, "INSERT INTO notes (code, body) VALUES ('b', 'x'), ('a', NULL)"); err != nil {
			t.Fatal(err)
		}
		for scope, want := range map[Scope]int{ScopeAlive: 2, ScopeAll: 2, ScopeDeleted: 0} {
			p, err := db.Rows(ctx, RowsQuery{Table: "notes", Scope: scope})
			if err != nil || len(p.Rows) != want {
				t.Fatalf("notes %v: %v %v", scope, p, err)
			}
			if want > 0 && (p.Rows[0][0] != "a" || p.Rows[0][1] != nil) {
				t.Fatalf("notes %v: %#v", scope, p.Rows)
			}
		}
	})
}

func TestRowsRefusesBadInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		rowsFixture(t, db)
		rowsSeed(t, db, 10)
		var c counter
		db.hook = c.hook
		p, err := db.Rows(ctx, RowsQuery{Table: "items", Limit: 2})
		if err != nil || p.Next == "" {
			t.Fatal(p, err)
		}
		good := p.Next
		c.reset(0)
		tamper := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		bad := map[string]RowsQuery{
			"unknown table":        {Table: "nope"},
			"quoted table":         {Table: `items"; DROP TABLE items; --`},
			"own table":            {Table: "softdelete_operations"},
			"unknown filter":       {Table: "items", Filters: []RowFilter{{Column: "nope", Value: 1}}},
			"filter as sql":        {Table: "items", Filters: []RowFilter{{Column: "id = 1 OR 1", Value: 1}}},
			"filter not int":       {Table: "items", Filters: []RowFilter{{Column: "id", Value: "1 OR 1=1"}}},
			"filter not number":    {Table: "items", Filters: []RowFilter{{Column: "price", Value: "1e"}}},
			"filter not bool":      {Table: "items", Filters: []RowFilter{{Column: "flag", Value: "maybe"}}},
			"filter type":          {Table: "items", Filters: []RowFilter{{Column: "name", Value: struct{}{}}}},
			"unknown order":        {Table: "items", OrderBy: []RowOrder{{Column: "nope"}}},
			"order as sql":         {Table: "items", OrderBy: []RowOrder{{Column: "id DESC"}}},
			"unknown search col":   {Table: "items", Search: "a", SearchColumns: []string{"nope"}},
			"binary search col":    {Table: "items", Search: "a", SearchColumns: []string{"data"}},
			"limit":                {Table: "items", Limit: 1001},
			"negative limit":       {Table: "items", Limit: -1},
			"scope":                {Table: "items", Scope: Scope(7)},
			"cursor garbage":       {Table: "items", After: "!!!"},
			"cursor not json":      {Table: "items", After: tamper("hello")},
			"cursor other table":   {Table: "cats", After: good},
			"cursor other order":   {Table: "items", After: good, OrderBy: []RowOrder{{Column: "name"}}},
			"cursor count":         {Table: "items", After: tamper(`{"t":"items","o":"\"id\"","v":[]}`)},
			"cursor type":          {Table: "items", After: tamper(`{"t":"items","o":"\"id\"","v":[["x","1"]]}`)},
			"cursor value":         {Table: "items", After: tamper(`{"t":"items","o":"\"id\"","v":[["i","1; DROP"]]}`)},
			"cursor null for pk":   {Table: "items", After: tamper(`{"t":"items","o":"\"id\"","v":[["n",""]]}`)},
			"cursor extra field":   {Table: "items", After: tamper(`{"t":"items","o":"\"id\"","v":[["i","1"]],"x":1}`)},
			"cursor too long":      {Table: "items", After: strings.Repeat("A", 20000)},
			"cursor bad utf8 text": {Table: "notes", After: tamper(`{"t":"notes","o":"\"code\"","v":[["s","\u0000"]]}`)},
		}
		if db.Dialect() == "postgres" {
			bad["cursor wrong type"] = RowsQuery{Table: "items", After: tamper(`{"t":"items","o":"\"id\"","v":[["s","abc"]]}`)}
			bad["search NUL"] = RowsQuery{Table: "items", Search: "a\x00"}
		}
		for name, q := range bad {
			_, err := db.Rows(ctx, q)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			} else if name == "unknown table" {
				t.Logf("%s: %v", name, err)
			}
		}
		if n := c.count(); n != 0 {
			t.Fatalf("bad input sent %d statements: %q", n, c.log)
		}
		// A value the database cannot take for its column is ErrInvalid too.
		if db.Dialect() == "postgres" {
			ddl(t, db, `CREATE TABLE u (id uuid PRIMARY KEY, j json)`)
			for _, q := range []RowsQuery{{Table: "u", Filters: []RowFilter{{Column: "id", Value: "not-a-uuid"}}},
				{Table: "u", Filters: []RowFilter{{Column: "j", Value: "{}"}}}} {
				if _, err := db.Rows(ctx, q); !errors.Is(err, ErrInvalid) {
					t.Errorf("%+v: %v, want ErrInvalid", q, err)
				}
			}
		}
		// The cursor still works.
		if p, err := db.Rows(ctx, RowsQuery{Table: "items", Limit: 2, After: good}); err != nil || len(p.Rows) != 2 {
			t.Fatal(p, err)
		}
	})
}

// TestRowsUnknownNameDoesNotReloadSchema: unknown tables are answered from
// the cached schema; no statement reads the catalog again.
func TestRowsUnknownNameDoesNotReloadSchema(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		rowsFixture(t, db)
		var c counter
		db.hook = c.hook
		for i := 0; i < 50; i++ {
			if _, err := db.Rows(ctx, RowsQuery{Table: fmt.Sprintf("t%d", i)}); !errors.Is(err, ErrInvalid) {
				t.Fatal(err)
			}
			if _, err := db.CountRows(ctx, RowsQuery{Table: fmt.Sprintf("t%d", i)}); !errors.Is(err, ErrInvalid) {
				t.Fatal(err)
			}
		}
		if c.count() != 0 {
			t.Fatalf("%d statements for unknown tables", c.count())
		}
		// A table created later is found after Refresh.
		ddl(t, db, `CREATE TABLE later (id {id})`)
		if _, err := db.Rows(ctx, RowsQuery{Table: "later"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRowsPagesWhileRowsChange: rows deleted and inserted between pages
// neither repeat nor shift the rows still there.
func TestRowsPagesWhileRowsChange(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		rowsFixture(t, db)
		rowsSeed(t, db, 30)
		q := RowsQuery{Table: "items", Scope: ScopeAll, OrderBy: []RowOrder{{Column: "name"}}, Limit: 5}
		p, err := db.Rows(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for _, id := range pageIDs(t, p) {
			seen[id] = true
		}
		// Hard-delete the page's last row and a row on the first page.
		for _, id := range []int64{pageIDs(t, p)[4], pageIDs(t, p)[0]} {
			if _, err := db.exec().exec(ctx, "DELETE FROM items WHERE id = "+placeholders(db, 1), id); err != nil {
				t.Fatal(err)
			}
		}
		for q.After = p.Next; q.After != ""; q.After = p.Next {
			if p, err = db.Rows(ctx, q); err != nil {
				t.Fatal(err)
			}
			for _, id := range pageIDs(t, p) {
				if seen[id] {
					t.Fatalf("row %d repeated", id)
				}
				seen[id] = true
			}
		}
		if len(seen) != 30 {
			t.Fatalf("saw %d rows, want 30", len(seen))
		}
	})
}
