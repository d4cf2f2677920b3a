package admin

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/softdelete-go/softdelete"
)

// Table page parameters: deleted=alive|all|only, q= (search), match=
// (how the search matches: starts with by default, exact, contains),
// f.COL=VALUE (equality filters), sort=COL or sort=-COL, after= (the next
// page's cursor).
const (
	scopeAlive = "alive"
	scopeAll   = "all"
	scopeOnly  = "only"

	maxSearchLen = 200
	maxFilters   = 16

	matchPrefix   = "prefix" // the default: indexed text columns, starts with
	matchExact    = "exact"
	matchContains = "contains"
)

type filterParam struct{ Col, Val string }

type tableQuery struct {
	T       *softdelete.TableInfo
	Scope   string
	Search  string
	Match   string // matchPrefix, matchExact or matchContains, as asked
	Filters []filterParam
	Sort    string // COL or -COL, "" for the primary key
	After   string
}

// parseTableQuery checks every name in the query against the schema: an
// unknown column in a filter or the sort, or an unknown scope, is a 400.
func (q *rq) parseTableQuery(t *softdelete.TableInfo, v url.Values) (*tableQuery, error) {
	tq := &tableQuery{T: t, Scope: scopeAlive, Search: v.Get("q"), Sort: v.Get("sort"), After: v.Get("after")}
	if s := v.Get("deleted"); s != "" {
		switch s {
		case scopeAlive, scopeAll, scopeOnly:
			tq.Scope = s
		default:
			return nil, badRequest("deleted=%q: use alive, all or only.", shorten(s))
		}
	}
	if tq.Scope != scopeAlive {
		if !t.SoftDelete() {
			return nil, badRequest("Table %s is not soft-deletable: it has no deleted rows.", t.Name)
		}
		if !q.can(t.Name, ActionViewDeleted) {
			return nil, forbidden(t.Name, ActionViewDeleted)
		}
	}
	if utf8.RuneCountInString(tq.Search) > maxSearchLen {
		return nil, badRequest("The search is longer than %d characters.", maxSearchLen)
	}
	if strings.IndexByte(tq.Search, 0) >= 0 {
		return nil, badRequest("The search contains a NUL character.")
	}
	switch m := v.Get("match"); m {
	case "", matchPrefix:
		tq.Match = matchPrefix
	case matchExact, matchContains:
		tq.Match = m
	default:
		return nil, badRequest("match=%q: use prefix, exact or contains.", shorten(m))
	}
	if tq.Sort != "" {
		col := strings.TrimPrefix(tq.Sort, "-")
		if _, ok := t.Column(col); !ok {
			return nil, badRequest("sort=%q: table %s has no column %q.", shorten(tq.Sort), t.Name, shorten(col))
		}
	}
	var names []string
	for k := range v {
		if strings.HasPrefix(k, "f.") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		col := strings.TrimPrefix(k, "f.")
		if _, ok := t.Column(col); !ok {
			return nil, badRequest("Filter %q: table %s has no column %q.", shorten(k), t.Name, shorten(col))
		}
		val := v.Get(k)
		if val == "" {
			continue
		}
		tq.Filters = append(tq.Filters, filterParam{col, val})
	}
	if len(tq.Filters) > maxFilters {
		return nil, badRequest("At most %d filters.", maxFilters)
	}
	return tq, nil
}

func (tq *tableQuery) scope() softdelete.Scope {
	switch tq.Scope {
	case scopeAll:
		return softdelete.ScopeAll
	case scopeOnly:
		return softdelete.ScopeDeleted
	}
	return softdelete.ScopeAlive
}

// searchPlan is how the search runs: the mode, the columns (none: every
// text column, for contains) and whether an index serves it. The default
// (starts with) searches the text columns an index serves for it; a table
// with none is searched for equal values on its indexed text columns,
// else for text contained in any text column.
type searchPlan struct {
	Mode    softdelete.SearchMode
	Columns []string
	Indexed bool
	Asked   string // the match the URL asked for
}

func (tq *tableQuery) searchPlan() searchPlan {
	sp := searchPlan{Asked: tq.Match}
	switch tq.Match {
	case matchContains:
		sp.Mode = softdelete.SearchContains
	case matchExact:
		sp.Mode = softdelete.SearchExact
	default:
		sp.Mode = softdelete.SearchPrefix
	}
	sp.Columns = visibleOnly(tq.T, tq.T.SearchColumns(sp.Mode))
	if tq.Match == matchPrefix && len(sp.Columns) == 0 {
		sp.Mode = softdelete.SearchExact
		sp.Columns = visibleOnly(tq.T, tq.T.SearchColumns(sp.Mode))
		if len(sp.Columns) == 0 {
			sp.Mode = softdelete.SearchContains
			sp.Columns = visibleOnly(tq.T, tq.T.SearchColumns(sp.Mode))
		}
	}
	sp.Indexed = sp.Mode != softdelete.SearchContains
	return sp
}

// visibleOnly drops softdelete's helper columns from a column list.
func visibleOnly(t *softdelete.TableInfo, cols []string) []string {
	hidden := hiddenColumns(t)
	out := []string{}
	for _, c := range cols {
		if !hidden[c] {
			out = append(out, c)
		}
	}
	return out
}

// describe says which columns were searched and how, for the page.
func (sp searchPlan) describe(text string) string {
	how := map[softdelete.SearchMode]string{softdelete.SearchPrefix: "starting with", softdelete.SearchExact: "equal to",
		softdelete.SearchContains: "containing"}[sp.Mode]
	if len(sp.Columns) == 0 {
		return fmt.Sprintf("No text column to search for %q.", text)
	}
	s := fmt.Sprintf("Searched %s for values %s %q", strings.Join(sp.Columns, ", "), how, text)
	switch {
	case sp.Indexed:
		s += " (indexed columns; letter case as the database compares them)."
	default:
		s += " (ignoring case; reads every row of the table, slow on large tables)."
	}
	if sp.Asked == matchPrefix && sp.Mode != softdelete.SearchPrefix {
		s += " No indexed text column serves a starts-with search here."
	}
	return s
}

func (tq *tableQuery) rowsQuery(limit int) softdelete.RowsQuery {
	rq := softdelete.RowsQuery{Table: tq.T.Name, Scope: tq.scope(), Search: tq.Search, After: tq.After, Limit: limit}
	if tq.Search != "" {
		sp := tq.searchPlan()
		// None: the mode's default columns, which are none then either
		// (the search matches no row).
		rq.SearchMode, rq.SearchColumns = sp.Mode, sp.Columns
	}
	for _, f := range tq.Filters {
		rq.Filters = append(rq.Filters, softdelete.RowFilter{Column: f.Col, Value: f.Val})
	}
	if tq.Sort != "" {
		rq.OrderBy = []softdelete.RowOrder{{Column: strings.TrimPrefix(tq.Sort, "-"), Desc: strings.HasPrefix(tq.Sort, "-")}}
	}
	return rq
}

// params are the query's URL parameters, without the cursor.
func (tq *tableQuery) params() url.Values {
	v := url.Values{}
	if tq.Scope != scopeAlive {
		v.Set("deleted", tq.Scope)
	}
	if tq.Search != "" {
		v.Set("q", tq.Search)
	}
	if tq.Match != "" && tq.Match != matchPrefix {
		v.Set("match", tq.Match)
	}
	for _, f := range tq.Filters {
		v.Set("f."+f.Col, f.Val)
	}
	if tq.Sort != "" {
		v.Set("sort", tq.Sort)
	}
	return v
}

func (tq *tableQuery) with(k, val string) url.Values {
	v := tq.params()
	if val == "" {
		v.Del(k)
	} else {
		v.Set(k, val)
	}
	return v
}

func (tq *tableQuery) filter(col string) string {
	for _, f := range tq.Filters {
		if f.Col == col {
			return f.Val
		}
	}
	return ""
}

type kv struct{ K, V string }

func hiddenFields(v url.Values) []kv {
	var out []kv
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, x := range v[k] {
			out = append(out, kv{k, x})
		}
	}
	return out
}

type colHead struct {
	Name    string
	Kind    string
	SortURL string
	Sorted  string // "asc", "desc" or ""
	Filter  string
	PK      bool
}

type cell struct {
	Text  string
	Full  string // the whole value when Text is cut
	Null  bool
	URL   string // the parent row, for a foreign key column
	Class string
}

type tableRow struct {
	Key       string // encoded (as in the row's URL), the bulk checkbox's value
	Label     string
	URL       string
	Deleted   bool
	DeletedAt string
	OpURL     string
	OpID      int64
	Cells     []cell
}

type scopeLink struct {
	Value, Label, URL, TestID string
	Active                    bool
}

type tablePageData struct {
	T          *softdelete.TableInfo
	Q          *tableQuery
	Heads      []colHead
	Rows       []tableRow
	Scopes     []scopeLink
	NextURL    string
	FirstURL   string
	ClearURL   string
	TableURL   string
	BulkURL    string
	Hidden     []kv // the query, for the forms that keep it
	Filtering  bool
	SearchNote string // which columns the search read, and how
	Matches    []scopeLink
	CanDelete  bool
	CanRestore bool
	CanPurge   bool
	Selectable bool
}

func (h *handler) tablePage(q *rq) {
	t, err := q.viewTable(q.r.PathValue("table"))
	if err != nil {
		q.fail(err)
		return
	}
	tq, err := q.parseTableQuery(t, q.r.URL.Query())
	if err != nil {
		q.fail(err)
		return
	}
	rowsQ := tq.rowsQuery(pageSize)
	rowsQ.WithOperations = true
	page, err := h.db.Rows(q.ctx, rowsQ)
	if err != nil {
		q.fail(err)
		return
	}
	d := &tablePageData{T: t, Q: tq, TableURL: q.base + tableRel(t.Name, nil), BulkURL: q.base + tableRel(t.Name, nil) + "/bulk",
		Hidden: hiddenFields(tq.params()), Filtering: tq.Search != "" || len(tq.Filters) > 0}
	if tq.Search != "" {
		d.SearchNote = tq.searchPlan().describe(tq.Search)
	}
	for _, m := range []struct{ v, label string }{{matchPrefix, "Starts with"}, {matchExact, "Equals"}, {matchContains, "Contains (slow)"}} {
		d.Matches = append(d.Matches, scopeLink{Value: m.v, Label: m.label, TestID: "match-" + m.v, Active: tq.Match == m.v})
	}
	soft := t.SoftDelete()
	d.CanDelete = soft && q.can(t.Name, ActionDelete) && tq.Scope != scopeOnly
	d.CanRestore = soft && q.can(t.Name, ActionRestore) && tq.Scope != scopeAlive
	d.CanPurge = soft && q.can(t.Name, ActionDeletePermanently) && tq.Scope != scopeAlive
	d.Selectable = len(t.PrimaryKey) > 0 && (d.CanDelete || d.CanRestore || d.CanPurge)
	if soft && q.can(t.Name, ActionViewDeleted) {
		for _, s := range []struct{ v, label string }{{scopeAlive, "Alive"}, {scopeAll, "All"}, {scopeOnly, "Only deleted"}} {
			v := tq.params()
			v.Del("after")
			if s.v == scopeAlive {
				v.Del("deleted")
			} else {
				v.Set("deleted", s.v)
			}
			d.Scopes = append(d.Scopes, scopeLink{Value: s.v, Label: s.label, URL: q.base + tableRel(t.Name, v), TestID: "scope-" + s.v, Active: tq.Scope == s.v})
		}
	}
	hidden := hiddenColumns(t)
	for _, c := range t.Columns {
		if hidden[c.Name] {
			continue
		}
		hd := colHead{Name: c.Name, Kind: string(c.Kind), Filter: tq.filter(c.Name), PK: c.PrimaryKey}
		next := c.Name
		switch tq.Sort {
		case c.Name:
			hd.Sorted, next = "asc", "-"+c.Name
		case "-" + c.Name:
			hd.Sorted = "desc"
		}
		hd.SortURL = q.base + tableRel(t.Name, tq.with("sort", next))
		d.Heads = append(d.Heads, hd)
	}
	rows := make([]*row, len(page.Rows))
	for i, vals := range page.Rows {
		rows[i] = &row{Table: t, Columns: page.Columns, Values: vals, Key: rowKey(t, page.Columns, vals)}
	}
	q.markDeleted(rows, page.Operations)
	parents := q.parentLinks(t)
	for _, r := range rows {
		tr := tableRow{Deleted: r.Deleted}
		if r.Key != nil {
			tr.Key, tr.Label = encodeKey(r.Key), keyLabel(r.Key)
			tr.URL = q.base + rowRel(t.Name, r.Key, "")
		}
		if r.Deleted {
			tr.DeletedAt = fmtTime(r.DeletedAt)
			if r.OpID != 0 {
				tr.OpID, tr.OpURL = r.OpID, q.base+"trash/"+strconv.FormatInt(r.OpID, 10)
			}
		}
		for j, v := range r.Values {
			c, _ := t.Column(r.Columns[j])
			if hidden[c.Name] {
				continue
			}
			ce := cellFor(v, c, 80)
			if c.PrimaryKey && tr.URL != "" {
				ce.URL, ce.Class = tr.URL, ce.Class+" pk"
			}
			tr.Cells = append(tr.Cells, ce)
		}
		for _, pl := range parents {
			if u := pl.url(q, r); u != "" {
				tr.Cells[pl.cell].URL = u
			}
		}
		d.Rows = append(d.Rows, tr)
	}
	if page.Next != "" {
		d.NextURL = q.base + tableRel(t.Name, tq.with("after", page.Next))
	}
	if tq.After != "" {
		d.FirstURL = q.base + tableRel(t.Name, tq.params())
	}
	if d.Filtering {
		v := tq.params()
		v.Del("q")
		v.Del("match")
		for _, f := range tq.Filters {
			v.Del("f." + f.Col)
		}
		d.ClearURL = q.base + tableRel(t.Name, v)
	}
	q.render(http.StatusOK, "table", q.view("table", t.Name, d))
}

// parentLink links a single-column foreign key's value to the parent row.
type parentLink struct {
	col  int // in the row
	cell int // among the shown cells
	fk   softdelete.ForeignKeyInfo
	pk   bool // the parent columns are the parent's primary key
}

func (q *rq) parentLinks(t *softdelete.TableInfo) []parentLink {
	var out []parentLink
	s, _ := q.schema()
	for _, fk := range t.ForeignKeys {
		if len(fk.Columns) != 1 || !q.can(fk.Parent, ActionView) {
			continue
		}
		j, cell, k := -1, -1, 0
		hidden := hiddenColumns(t)
		for i, c := range t.Columns {
			if c.Name == fk.Columns[0] {
				j, cell = i, k
			}
			if !hidden[c.Name] {
				k++
			}
		}
		if j < 0 || hidden[fk.Columns[0]] {
			continue
		}
		p := s.Table(fk.Parent)
		out = append(out, parentLink{col: j, cell: cell, fk: fk, pk: p != nil && len(p.PrimaryKey) == 1 && p.PrimaryKey[0] == fk.ParentColumns[0]})
	}
	return out
}

func (pl parentLink) url(q *rq, r *row) string {
	v := r.Values[pl.col]
	if v == nil {
		return ""
	}
	if pl.pk {
		return q.base + rowRel(pl.fk.Parent, []any{v}, "")
	}
	return q.base + tableRel(pl.fk.Parent, url.Values{"f." + pl.fk.ParentColumns[0]: {valueText(v)}, "deleted": {scopeAll}})
}

// cellFor formats a value for a page: NULL marked, long text cut to max
// characters (0: whole), binary shown as hex unless it is text.
func cellFor(v any, c softdelete.ColumnInfo, max int) cell {
	var s string
	cl := "k-" + string(c.Kind)
	switch x := v.(type) {
	case nil:
		return cell{Text: "NULL", Null: true, Class: cl + " null"}
	case time.Time:
		s = fmtTime(x)
	case []byte:
		if utf8.Valid(x) {
			s = displayText(string(x))
		} else {
			s = "0x" + hex.EncodeToString(x)
		}
	case string:
		s = displayText(x)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	default:
		s = fmt.Sprint(x)
	}
	ce := cell{Text: s, Class: cl}
	if max > 0 && utf8.RuneCountInString(s) > max {
		r := []rune(s)
		ce.Text, ce.Full = string(r[:max])+"…", s
	}
	return ce
}

// hiddenColumns are softdelete's own helper columns (the generated column
// MariaDB's alive-only unique keys hold): not shown, not filterable.
func hiddenColumns(t *softdelete.TableInfo) map[string]bool {
	var m map[string]bool
	for _, c := range t.Columns {
		if c.Generated && strings.HasPrefix(c.Name, "softdelete_") {
			if m == nil {
				m = map[string]bool{}
			}
			m[c.Name] = true
		}
	}
	return m
}
