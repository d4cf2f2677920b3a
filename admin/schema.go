package admin

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/softdelete-go/softdelete"
)

// schema is the DB's cached schema, read once per request.
func (q *rq) schema() (*softdelete.Schema, error) {
	if q.sch == nil {
		s, err := q.h.db.Schema(q.ctx)
		if err != nil {
			return nil, err
		}
		q.sch = s
	}
	return q.sch, nil
}

// tableInfo looks a table up in the schema: an unknown name is a 400 that
// says so (it never reaches SQL).
func (q *rq) tableInfo(name string) (*softdelete.TableInfo, error) {
	s, err := q.schema()
	if err != nil {
		return nil, err
	}
	t := s.Table(name)
	if t == nil {
		return nil, badRequest("There is no table %q.", shorten(name))
	}
	return t, nil
}

// viewTable is tableInfo plus the view permission.
func (q *rq) viewTable(name string) (*softdelete.TableInfo, error) {
	t, err := q.tableInfo(name)
	if err != nil {
		return nil, err
	}
	if !q.can(t.Name, ActionView) {
		return nil, forbidden(t.Name, ActionView)
	}
	return t, nil
}

func (q *rq) viewableTables() []string {
	s, err := q.schema()
	if err != nil {
		return nil
	}
	var out []string
	for _, t := range s.Tables {
		if q.can(t.Name, ActionView) {
			out = append(out, t.Name)
		}
	}
	return out
}

// shorten cuts a name from a request for a message.
func shorten(s string) string {
	s = displayText(s)
	if utf8.RuneCountInString(s) > 80 {
		r := []rune(s)
		return string(r[:80]) + "…"
	}
	return s
}

// parseKey reads a row key from its URL segment, one value per primary
// key column, each converted to its column's kind.
func parseKey(t *softdelete.TableInfo, seg string) ([]any, error) {
	if len(t.PrimaryKey) == 0 {
		return nil, badRequest("Table %s has no primary key: its rows cannot be addressed one by one.", t.Name)
	}
	parts, err := decodeKey(seg)
	if err != nil {
		return nil, badRequest("The row key %q is malformed.", shorten(seg))
	}
	if len(parts) != len(t.PrimaryKey) {
		return nil, badRequest("Table %s has a primary key of %d %s (%s); the row key %q has %d.", t.Name,
			len(t.PrimaryKey), pluralS(int64(len(t.PrimaryKey)), "column", "columns"), strings.Join(t.PrimaryKey, ", "), shorten(seg), len(parts))
	}
	key := make([]any, len(parts))
	for i, p := range parts {
		c, _ := t.Column(t.PrimaryKey[i])
		switch c.Kind {
		case softdelete.KindInteger:
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return nil, badRequest("The row key %q: %s is an integer column.", shorten(seg), c.Name)
			}
			key[i] = n
		case softdelete.KindBytes:
			key[i] = []byte(p)
		case softdelete.KindTime:
			if tm, err := time.Parse(time.RFC3339Nano, p); err == nil {
				key[i] = tm
			} else {
				key[i] = p
			}
		default:
			key[i] = p
		}
	}
	return key, nil
}

// rowKey picks the primary key's values out of a row read by Rows.
func rowKey(t *softdelete.TableInfo, cols []string, row []any) []any {
	if len(t.PrimaryKey) == 0 {
		return nil
	}
	key := make([]any, len(t.PrimaryKey))
	for i, pk := range t.PrimaryKey {
		j := indexOf(cols, pk)
		if j < 0 {
			return nil
		}
		key[i] = row[j]
	}
	return key
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// keyFilters selects the row with that key.
func keyFilters(t *softdelete.TableInfo, key []any) []softdelete.RowFilter {
	fs := make([]softdelete.RowFilter, len(key))
	for i, v := range key {
		fs[i] = softdelete.RowFilter{Column: t.PrimaryKey[i], Value: v}
	}
	return fs
}

// row is one row of a table with what the pages say about it.
type row struct {
	Table     *softdelete.TableInfo
	Columns   []string
	Values    []any
	Key       []any
	Deleted   bool
	DeletedAt time.Time
	OpID      int64                 // the delete operation that hid it, 0 when unknown
	Op        *softdelete.Operation // that operation, read for one row (loadRow)
}

// loadRow reads the row with key, alive or deleted; a deleted row needs
// the view-deleted permission.
func (q *rq) loadRow(t *softdelete.TableInfo, key []any) (*row, error) {
	rowsQ := softdelete.RowsQuery{Table: t.Name, Scope: softdelete.ScopeAll, Filters: keyFilters(t, key), Limit: 1}
	page, err := q.h.db.Rows(q.ctx, rowsQ)
	if err != nil {
		return nil, err
	}
	if t.SoftDelete() && len(page.Rows) == 1 && page.Rows[0][indexOf(page.Columns, t.DeletedColumn)] != nil {
		// Hidden: read it again with the operation that hid it.
		rowsQ.WithOperations = true
		if page, err = q.h.db.Rows(q.ctx, rowsQ); err != nil {
			return nil, err
		}
	}
	if len(page.Rows) == 0 {
		return nil, &pageError{Status: http.StatusNotFound, Kind: "not-found", Title: "No such row",
			Message: "Table " + t.Name + " has no row with the key " + keyLabel(key) + " (it may have been deleted permanently)."}
	}
	r := &row{Table: t, Columns: page.Columns, Values: page.Rows[0], Key: key}
	q.markDeleted([]*row{r}, page.Operations)
	if r.OpID != 0 {
		if op, err := q.h.db.Operation(q.ctx, r.OpID); err == nil {
			r.Op = op
		}
	}
	if r.Deleted && !q.can(t.Name, ActionViewDeleted) {
		return nil, forbidden(t.Name, ActionViewDeleted)
	}
	return r, nil
}

// markDeleted sets Deleted, DeletedAt and, from ops (RowsPage.Operations,
// one per row; nil when not read), the operation that hid each row.
func (q *rq) markDeleted(rows []*row, ops []int64) {
	for i, r := range rows {
		if r.Table.DeletedColumn == "" {
			continue
		}
		j := indexOf(r.Columns, r.Table.DeletedColumn)
		if j < 0 || r.Values[j] == nil {
			continue
		}
		r.Deleted = true
		if tm, ok := r.Values[j].(time.Time); ok {
			r.DeletedAt = tm.UTC()
		}
		if i < len(ops) {
			r.OpID = ops[i]
		}
	}
}
