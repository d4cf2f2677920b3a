package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/softdelete-go/softdelete"
)

// Bulk actions: GET /t/{table}/bulk shows what an action on a selection
// (key=K, repeated) or on every row matching a filter (all=1 with the table
// page's parameters) would touch; POST runs it, re-reading the matching
// rows on the server, one operation per row, and reports "X of Y done"
// with why each of the rest failed.

var bulkActions = map[string]Action{"delete": ActionDelete, "restore": ActionRestore, "purge": ActionDeletePermanently}

type bulkReq struct {
	T      *softdelete.TableInfo
	Action string
	All    bool
	TQ     *tableQuery // all=1: the filter
	Keys   [][]any     // a selection
}

type bulkResult struct {
	Key    []any
	URL    string
	OpURL  string
	OpID   int64
	Reason string
	Kind   string
}

type bulkData struct {
	B           *bulkReq
	Verb        string
	Count       int64
	Max         int
	TooMany     bool
	FormURL     string
	TableURL    string
	BackURL     string
	Hidden      []kv
	FilterText  string
	What        string // "alive" or "deleted": the rows an all-matching action touches
	Preview     []link
	Done        []bulkResult
	Failed      []bulkResult
	Total       int
	Result      bool
	WithParents bool
	Reason      string
}

var bulkVerbs = map[string]string{"delete": "Delete", "restore": "Restore", "purge": "Delete permanently"}

// parseBulk reads a bulk request from v (the query for GET, the form for
// POST) and checks the permission, every key and every filter name.
func (q *rq) parseBulk(v url.Values) (*bulkReq, error) {
	t, err := q.viewTable(q.r.PathValue("table"))
	if err != nil {
		return nil, err
	}
	b := &bulkReq{T: t, Action: v.Get("action")}
	a, ok := bulkActions[b.Action]
	if !ok {
		return nil, badRequest("action=%q: use delete, restore or purge.", shorten(b.Action))
	}
	if !q.can(t.Name, a) {
		return nil, forbidden(t.Name, a)
	}
	if !t.SoftDelete() {
		return nil, badRequest("Table %s is not soft-deletable: the admin shows it read-only.", t.Name)
	}
	if len(t.PrimaryKey) == 0 {
		return nil, badRequest("Table %s has no primary key: its rows cannot be acted on one by one.", t.Name)
	}
	b.All = v.Get("all") == "1"
	if b.All {
		if len(v["key"]) > 0 {
			return nil, badRequest("Choose either a selection (key) or all matching rows (all=1), not both.")
		}
		p := url.Values{}
		for k, val := range v {
			if k == "deleted" || k == "q" || k == "sort" || strings.HasPrefix(k, "f.") {
				p[k] = val
			}
		}
		if b.TQ, err = q.parseTableQuery(t, p); err != nil {
			return nil, err
		}
		return b, nil
	}
	keys := v["key"]
	if len(keys) == 0 {
		return nil, badRequest("No rows selected.")
	}
	if len(keys) > q.h.opts.MaxBulk {
		return nil, badRequest("%d rows selected; a bulk action takes at most %d.", len(keys), q.h.opts.MaxBulk)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		key, err := parseKey(t, k)
		if err != nil {
			return nil, err
		}
		b.Keys = append(b.Keys, key)
	}
	return b, nil
}

// scope is the rows an "all matching" action can touch: alive ones for a
// delete, deleted ones for a restore or a permanent delete, within the
// filter's own scope. ok=false: none.
func (b *bulkReq) rowsQuery(limit int) (softdelete.RowsQuery, bool) {
	rq := b.TQ.rowsQuery(limit)
	rq.After = ""
	switch {
	case b.Action == "delete" && b.TQ.Scope == scopeOnly, b.Action != "delete" && b.TQ.Scope == scopeAlive:
		return rq, false
	case b.Action == "delete":
		rq.Scope = softdelete.ScopeAlive
	default:
		rq.Scope = softdelete.ScopeDeleted
	}
	return rq, true
}

func (q *rq) bulkData(b *bulkReq) *bulkData {
	d := &bulkData{B: b, Verb: bulkVerbs[b.Action], Max: q.h.opts.MaxBulk, FormURL: q.base + tableRel(b.T.Name, nil) + "/bulk",
		TableURL: q.base + tableRel(b.T.Name, nil)}
	hidden := url.Values{"action": {b.Action}}
	if b.All {
		hidden.Set("all", "1")
		for k, v := range b.TQ.params() {
			hidden[k] = v
		}
		d.BackURL = q.base + tableRel(b.T.Name, b.TQ.params())
		var parts []string
		if b.TQ.Search != "" {
			sp := b.TQ.searchPlan()
			how := map[softdelete.SearchMode]string{softdelete.SearchPrefix: "starting with", softdelete.SearchExact: "equal to",
				softdelete.SearchContains: "containing"}[sp.Mode]
			parts = append(parts, fmt.Sprintf("%s %s %q", strings.Join(sp.Columns, " or "), how, b.TQ.Search))
		}
		for _, f := range b.TQ.Filters {
			parts = append(parts, fmt.Sprintf("%s = %q", f.Col, f.Val))
		}
		d.FilterText = strings.Join(parts, ", ")
		d.What = "alive"
		if b.Action != "delete" {
			d.What = "deleted"
		}
	} else {
		for _, k := range b.Keys {
			hidden.Add("key", encodeKey(k))
		}
		d.BackURL = d.TableURL
		if b.Action != "delete" {
			d.BackURL = q.base + tableRel(b.T.Name, url.Values{"deleted": {scopeOnly}})
		}
	}
	d.Hidden = hiddenFields(hidden)
	return d
}

func (h *handler) bulkConfirm(q *rq) {
	b, err := q.parseBulk(q.r.URL.Query())
	if err != nil {
		q.fail(err)
		return
	}
	d := q.bulkData(b)
	if b.All {
		rq, ok := b.rowsQuery(0)
		if ok {
			if d.Count, err = h.db.CountRows(q.ctx, rq); err != nil {
				q.fail(err)
				return
			}
		}
		d.TooMany = d.Count > int64(q.h.opts.MaxBulk)
	} else {
		d.Count = int64(len(b.Keys))
		for i, k := range b.Keys {
			if i == 100 {
				break
			}
			d.Preview = append(d.Preview, link{Text: keyLabel(k), URL: q.base + rowRel(b.T.Name, k, "")})
		}
	}
	q.render(http.StatusOK, "bulk", q.view("bulk", d.Verb+" rows of "+b.T.Name, d))
}

func (h *handler) bulkDo(q *rq) {
	if err := q.parseForm(); err != nil {
		q.fail(err)
		return
	}
	b, err := q.parseBulk(q.r.PostForm)
	if err != nil {
		q.fail(err)
		return
	}
	d := q.bulkData(b)
	d.Result = true
	d.Reason = q.r.PostFormValue("reason")
	d.WithParents = b.Action == "restore" && q.r.PostFormValue("with_parents") == "1"
	keys := b.Keys
	if b.All {
		// Re-evaluate the filter now: the rows that match at this moment.
		if keys, err = h.matchingKeys(q, b); err != nil {
			q.fail(err)
			return
		}
	}
	d.Total = len(keys)
	ctx := q.actx()
	for _, k := range keys {
		res := bulkResult{Key: k, URL: q.base + rowRel(b.T.Name, k, "")}
		var op *softdelete.Operation
		var err error
		switch {
		case b.Action == "delete":
			op, err = h.db.Delete(ctx, b.T.Name, k...)
		case b.Action == "restore" && d.WithParents:
			op, err = h.db.RestoreWithParents(ctx, b.T.Name, k...)
		case b.Action == "restore":
			op, err = h.db.Restore(ctx, b.T.Name, k...)
		default:
			op, err = h.db.DeletePermanently(ctx, b.T.Name, k...)
		}
		if err != nil {
			pe := q.explain(err)
			res.Kind, res.Reason = pe.Kind, pe.Title+": "+pe.Message
			switch {
			case errors.Is(err, softdelete.ErrDeleted) && b.Action == "delete":
				res.Reason = "Already deleted (hidden with an earlier row of this batch, or by someone else meanwhile)."
			case errors.Is(err, softdelete.ErrNotDeleted) && b.Action == "restore":
				res.Reason = "Already alive (brought back with an earlier row of this batch, or by someone else meanwhile)."
			}
			var ce *softdelete.ConflictError
			if errors.As(err, &ce) && len(ce.LiveKey) > 0 {
				res.OpURL = q.base + rowRel(ce.Table, ce.LiveKey, "")
			}
			d.Failed = append(d.Failed, res)
			if q.ctx.Err() != nil {
				break
			}
			continue
		}
		res.OpID, res.OpURL = op.ID, q.base+"trash/"+strconv.FormatInt(op.ID, 10)
		d.Done = append(d.Done, res)
	}
	h.log.Info("admin: bulk", "user", q.u.Name, "table", b.T.Name, "action", b.Action, "all", b.All, "done", len(d.Done), "of", d.Total)
	q.render(http.StatusOK, "bulk", q.view("bulk", d.Verb+" rows of "+b.T.Name, d))
}

// matchingKeys reads the keys of the rows an "all matching" action
// touches, by keyset pages; more than MaxBulk is refused.
func (h *handler) matchingKeys(q *rq, b *bulkReq) ([][]any, error) {
	rq, ok := b.rowsQuery(1000)
	if !ok {
		return nil, nil
	}
	var keys [][]any
	for {
		page, err := h.db.Rows(q.ctx, rq)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Rows {
			keys = append(keys, rowKey(b.T, page.Columns, r))
		}
		if len(keys) > q.h.opts.MaxBulk {
			return nil, badRequest("More than %d rows match now; a bulk action takes at most %d. Narrow the filter.", q.h.opts.MaxBulk, q.h.opts.MaxBulk)
		}
		if page.Next == "" {
			return keys, nil
		}
		rq.After = page.Next
	}
}
