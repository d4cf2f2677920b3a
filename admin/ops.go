package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/softdelete-go/softdelete"
)

// flash is the message shown after an action, from the ?op= the action
// redirected with: what the operation did and, for a delete, its Undo.
type flash struct {
	Kind    string // "ok"
	Message string
	Op      *softdelete.Operation
	OpURL   string
	UndoURL string // "" when the operation cannot be undone by this user
	Back    string // where Undo returns to
}

func (q *rq) flash() *flash {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		return nil
	}
	s := q.r.URL.Query().Get("op")
	if s == "" {
		return nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	op, err := q.h.db.Operation(q.ctx, id)
	if err != nil || !q.can(op.Table, ActionView) {
		return nil
	}
	f := &flash{Kind: "ok", Op: op, OpURL: q.base + "trash/" + strconv.FormatInt(op.ID, 10), Message: opSummary(op)}
	if op.Kind == softdelete.OpDelete && op.UndoneBy == 0 && q.can(op.Table, ActionUndo) {
		f.UndoURL = q.base + "op/" + strconv.FormatInt(op.ID, 10) + "/undo"
		// Undo comes back to this page, without the flash.
		back := strings.TrimPrefix(q.r.URL.EscapedPath(), "/")
		qs := q.r.URL.Query()
		qs.Del("op")
		if len(qs) > 0 {
			back += "?" + qs.Encode()
		}
		f.Back = back
	}
	return f
}

// opSummary says in one sentence what an operation did.
func opSummary(op *softdelete.Operation) string {
	var verb string
	switch op.Kind {
	case softdelete.OpDelete:
		verb = "Deleted"
	case softdelete.OpRestore:
		verb = "Restored"
	case softdelete.OpHardDelete:
		verb = "Deleted permanently"
	case softdelete.OpPurge:
		verb = "Purged"
	case softdelete.OpUndo:
		s := fmt.Sprintf("Undid operation %d", op.TargetOp)
		return s + ": " + countsText(op.Rows, op.Counts, "came back")
	default:
		verb = op.Kind
	}
	s := verb + " " + op.Table
	if op.Key != "" {
		s += " " + op.Key
	}
	what := "hidden"
	switch op.Kind {
	case softdelete.OpRestore:
		what = "came back"
	case softdelete.OpHardDelete, softdelete.OpPurge:
		what = "removed for good"
	}
	return s + ": " + countsText(op.Rows, op.Counts, what)
}

func countsText(total int64, counts map[string]int64, what string) string {
	s := fmt.Sprintf("%d %s %s", total, pluralS(total, "row", "rows"), what)
	if len(counts) > 1 || len(counts) == 1 && total != counts[firstKey(counts)] {
		parts := []string{}
		for _, tc := range sortedCounts(counts) {
			parts = append(parts, fmt.Sprintf("%s %d", tc.Table, tc.N))
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

func firstKey(m map[string]int64) string {
	for k := range m {
		return k
	}
	return ""
}

var opKinds = []string{softdelete.OpDelete, softdelete.OpRestore, softdelete.OpUndo, softdelete.OpHardDelete, softdelete.OpPurge}

type opRow struct {
	Op      softdelete.Operation
	URL     string
	RowURL  string // the root row's page, when the key can be linked
	UndoURL string
	Counts  []tableCount
	Summary string
}

type opsData struct {
	Ops      []opRow
	NextURL  string
	Filter   auditFilter
	Kinds    []string
	Tables   []string
	Back     string
	Empty    bool
	Filtered bool
}

type auditFilter struct {
	Table, Actor, Kind, Since, Until string
}

func (q *rq) opRow(op softdelete.Operation) opRow {
	o := opRow{Op: op, URL: q.base + "trash/" + strconv.FormatInt(op.ID, 10), Counts: sortedCounts(op.Counts), Summary: opSummary(&op)}
	if op.Key != "" && !strings.HasPrefix(op.Key, "(") && q.can(op.Table, ActionView) {
		o.RowURL = q.base + rowRel(op.Table, []any{op.Key}, "")
	}
	if op.Kind == softdelete.OpDelete && op.UndoneBy == 0 && q.can(op.Table, ActionUndo) {
		o.UndoURL = q.base + "op/" + strconv.FormatInt(op.ID, 10) + "/undo"
	}
	return o
}

func parseBefore(q *rq) (int64, error) {
	s := q.r.URL.Query().Get("before")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, badRequest("before=%q is not an operation id.", s)
	}
	return n, nil
}

// trash lists the delete operations that still hide rows, newest first.
func (h *handler) trash(q *rq) {
	before, err := parseBefore(q)
	if err != nil {
		q.fail(err)
		return
	}
	f := softdelete.OpFilter{Trash: true, Limit: pageSize, BeforeID: before}
	if t := q.r.URL.Query().Get("table"); t != "" {
		if _, err := q.tableInfo(t); err != nil {
			q.fail(err)
			return
		}
		f.Table = t
	}
	ops, err := h.db.Operations(q.ctx, f)
	if err != nil {
		q.fail(err)
		return
	}
	d := &opsData{Back: "trash", Filter: auditFilter{Table: f.Table}}
	for _, op := range ops {
		if q.can(op.Table, ActionViewDeleted) {
			d.Ops = append(d.Ops, q.opRow(op))
		}
	}
	if len(ops) == pageSize {
		v := url.Values{"before": {strconv.FormatInt(ops[len(ops)-1].ID, 10)}}
		if f.Table != "" {
			v.Set("table", f.Table)
		}
		d.NextURL = q.base + "trash?" + v.Encode()
	}
	d.Empty = len(d.Ops) == 0
	q.render(http.StatusOK, "trash", q.view("trash", "Trash", d))
}

// opPage is one operation: what it did and, for a delete, the rows it
// still hides, per table, paginated.
type opPageData struct {
	Op      opRow
	Target  string // URL of the operation a restore/undo reversed
	Undone  string // URL of the undo that reversed this delete
	Tables  []hiddenTable
	IsTrash bool
}

type hiddenTable struct {
	Table   string
	Count   int64 // rows the operation hid in the table
	Rows    []link
	NextURL string
	Visible bool // the user may see the table's deleted rows
	Deep    bool // a page after the first
}

const opKeysPage = 100

func (h *handler) trashOp(q *rq) {
	id, err := strconv.ParseInt(q.r.PathValue("op"), 10, 64)
	if err != nil || id <= 0 {
		q.fail(badRequest("%q is not an operation id.", q.r.PathValue("op")))
		return
	}
	op, err := h.db.Operation(q.ctx, id)
	if err != nil {
		q.fail(err)
		return
	}
	if !q.can(op.Table, ActionView) {
		q.fail(forbidden(op.Table, ActionView))
		return
	}
	d := &opPageData{Op: q.opRow(*op)}
	if op.TargetOp != 0 {
		d.Target = q.base + "trash/" + strconv.FormatInt(op.TargetOp, 10)
	}
	if op.UndoneBy != 0 {
		d.Undone = q.base + "trash/" + strconv.FormatInt(op.UndoneBy, 10)
	}
	if op.Kind == softdelete.OpDelete && op.Stamp != nil {
		d.IsTrash = true
		sel := q.r.URL.Query().Get("t")
		after := q.r.URL.Query().Get("after")
		if sel != "" {
			if _, ok := op.Counts[sel]; !ok {
				q.fail(badRequest("Operation %d hid no rows of %q.", id, sel))
				return
			}
		}
		for _, tc := range sortedCounts(op.Counts) {
			ht := hiddenTable{Table: tc.Table, Count: tc.N, Visible: q.can(tc.Table, ActionViewDeleted)}
			if !ht.Visible || sel != "" && sel != tc.Table {
				d.Tables = append(d.Tables, ht)
				continue
			}
			a := ""
			if sel == tc.Table {
				a = after
			}
			ht.Deep = a != ""
			keys, next, err := h.opKeys(q, id, tc.Table, a, opKeysPage)
			if err != nil {
				q.fail(err)
				return
			}
			for _, k := range keys {
				ht.Rows = append(ht.Rows, link{Text: keyLabel(k), URL: q.base + rowRel(tc.Table, k, "")})
			}
			if next != "" {
				ht.NextURL = q.base + "trash/" + strconv.FormatInt(id, 10) + "?" + url.Values{"t": {tc.Table}, "after": {next}}.Encode()
			}
			d.Tables = append(d.Tables, ht)
		}
	}
	title := fmt.Sprintf("Operation %d", id)
	q.render(http.StatusOK, "op", q.view("op", title, d))
}

// opKeys reads a page of the keys of the rows operation id still hides in
// table, by key after the cursor after ("": from the first), and the next
// page's cursor ("" when this is the last): a keyset page, as deep as the
// delete is large (DB.Rows with RowsQuery.Operation).
func (h *handler) opKeys(q *rq, id int64, table, after string, n int) ([][]any, string, error) {
	t, err := q.tableInfo(table)
	if err != nil {
		return nil, "", err
	}
	if len(t.PrimaryKey) == 0 {
		return nil, "", nil // rows without a key cannot be linked
	}
	page, err := h.db.Rows(q.ctx, softdelete.RowsQuery{Table: t.Name, Operation: id, After: after, Limit: n})
	if err != nil {
		return nil, "", err
	}
	keys := make([][]any, 0, len(page.Rows))
	for _, r := range page.Rows {
		keys = append(keys, rowKey(t, page.Columns, r))
	}
	return keys, page.Next, nil
}

// audit lists every operation, filtered by table, actor, kind and time.
func (h *handler) audit(q *rq) {
	before, err := parseBefore(q)
	if err != nil {
		q.fail(err)
		return
	}
	qs := q.r.URL.Query()
	af := auditFilter{Table: qs.Get("table"), Actor: qs.Get("actor"), Kind: qs.Get("kind"), Since: qs.Get("since"), Until: qs.Get("until")}
	f := softdelete.OpFilter{Table: af.Table, Actor: af.Actor, Kind: af.Kind, Limit: pageSize, BeforeID: before}
	if af.Table != "" {
		if _, err := q.tableInfo(af.Table); err != nil {
			q.fail(err)
			return
		}
	}
	if af.Kind != "" && !contains(opKinds, af.Kind) {
		q.fail(badRequest("kind=%q is not an operation kind (%s).", af.Kind, strings.Join(opKinds, ", ")))
		return
	}
	if len(af.Actor) > softdelete.MaxActorLen*4 {
		q.fail(badRequest("The actor is too long."))
		return
	}
	if f.Since, err = parseWhen(af.Since, "since"); err != nil {
		q.fail(err)
		return
	}
	if f.Until, err = parseWhen(af.Until, "until"); err != nil {
		q.fail(err)
		return
	}
	ops, err := h.db.Operations(q.ctx, f)
	if err != nil {
		q.fail(err)
		return
	}
	d := &opsData{Back: "audit", Filter: af, Kinds: opKinds, Filtered: af != auditFilter{}}
	d.Tables = q.viewableTables()
	for _, op := range ops {
		if q.can(op.Table, ActionView) {
			d.Ops = append(d.Ops, q.opRow(op))
		}
	}
	if len(ops) == pageSize {
		v := url.Values{}
		for k, val := range map[string]string{"table": af.Table, "actor": af.Actor, "kind": af.Kind, "since": af.Since, "until": af.Until} {
			if val != "" {
				v.Set(k, val)
			}
		}
		v.Set("before", strconv.FormatInt(ops[len(ops)-1].ID, 10))
		d.NextURL = q.base + "audit?" + v.Encode()
	}
	d.Empty = len(d.Ops) == 0
	q.render(http.StatusOK, "audit", q.view("audit", "Audit", d))
}

// parseWhen reads a date or a date and time (as a datetime-local input
// sends it), in UTC.
func parseWhen(s, name string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02", time.RFC3339, time.RFC3339Nano} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, badRequest("%s=%q is not a date (2006-01-02 or 2006-01-02T15:04, UTC).", name, s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// undo reverses a delete operation, as the user, with the form's reason.
func (h *handler) undo(q *rq) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		q.fail(badRequest("%q is not an operation id.", q.r.PathValue("id")))
		return
	}
	if err := q.r.ParseForm(); err != nil {
		q.fail(err)
		return
	}
	op, err := h.db.Operation(q.ctx, id)
	if err != nil {
		q.fail(err)
		return
	}
	if !q.can(op.Table, ActionUndo) {
		q.fail(forbidden(op.Table, ActionUndo))
		return
	}
	res, err := h.db.Undo(q.actx(), id)
	if err != nil {
		pe := q.explain(err)
		if pe.Kind == "parent-deleted" {
			pe.Message += " Undo the operation that deleted the parent first, or restore the parent."
		}
		pe.Links = append(pe.Links, link{Text: "Operation " + strconv.FormatInt(id, 10), URL: q.base + "trash/" + strconv.FormatInt(id, 10), TestID: "op-link"})
		q.render(pe.Status, "error", q.view("error", "Undo failed", nil).withError(nothingChanged(pe)))
		return
	}
	h.log.Info("admin: undo", "user", q.u.Name, "op", id, "undo_op", res.ID)
	q.redirect(withOp(safeBack(q.r.PostFormValue("back"), "trash"), res.ID))
}

// safeBack accepts a return path relative to the mount point that the
// admin itself rendered (a page of the admin); anything else gives def.
func safeBack(back, def string) string {
	if back == "" {
		return def
	}
	u, err := url.Parse(back)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil ||
		strings.Contains(back, "..") || strings.Contains(back, "\\") || strings.HasPrefix(back, "/") {
		return def
	}
	p := u.Path
	if p == "" || p == "trash" || p == "audit" || strings.HasPrefix(p, "t/") || strings.HasPrefix(p, "trash/") {
		return back
	}
	return def
}

func withOp(rel string, id int64) string {
	u, err := url.Parse(rel)
	if err != nil {
		return rel
	}
	v := u.Query()
	v.Set("op", strconv.FormatInt(id, 10))
	u.RawQuery = v.Encode()
	return u.String()
}
