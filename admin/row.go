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

type field struct {
	Name  string
	Type  string
	PK    bool
	Cell  cell
	IsDel bool // the soft-delete column
}

type childRef struct {
	Table      string
	Columns    string
	Rule       string
	Alive      int64
	Deleted    int64
	AliveURL   string
	DeletedURL string
	Err        string
}

type parentRef struct {
	Table   string
	Columns string
	Key     string
	URL     string
	Deleted bool
	Missing bool
}

type rowPageData struct {
	R          *row
	Label      string
	Fields     []field
	Parents    []parentRef
	Children   []childRef
	OpURL      string
	TableURL   string
	DeleteURL  string
	RestoreURL string
	PurgeURL   string
}

// rowFor reads the table and row of a /t/{table}/r/{key} request.
func (q *rq) rowFor() (*softdelete.TableInfo, *row, error) {
	t, err := q.viewTable(q.r.PathValue("table"))
	if err != nil {
		return nil, nil, err
	}
	key, err := parseKey(t, q.r.PathValue("key"))
	if err != nil {
		return nil, nil, err
	}
	r, err := q.loadRow(t, key)
	if err != nil {
		return nil, nil, err
	}
	return t, r, nil
}

func (h *handler) rowPage(q *rq) {
	t, r, err := q.rowFor()
	if err != nil {
		q.fail(err)
		return
	}
	d := &rowPageData{R: r, Label: t.Name + " " + keyLabel(r.Key), TableURL: q.base + tableRel(t.Name, nil)}
	parents := q.parentLinks(t)
	hidden := hiddenColumns(t)
	for j, v := range r.Values {
		c, _ := t.Column(r.Columns[j])
		if hidden[c.Name] {
			continue
		}
		f := field{Name: c.Name, Type: c.Type, PK: c.PrimaryKey, Cell: cellFor(v, c, 0), IsDel: c.Name == t.DeletedColumn}
		for _, pl := range parents {
			if pl.col == j {
				f.Cell.URL = pl.url(q, r)
			}
		}
		d.Fields = append(d.Fields, f)
	}
	if r.OpID != 0 {
		d.OpURL = q.base + "trash/" + strconv.FormatInt(r.OpID, 10)
	}
	if t.SoftDelete() {
		if !r.Deleted && q.can(t.Name, ActionDelete) {
			d.DeleteURL = q.base + rowRel(t.Name, r.Key, "/delete")
		}
		if r.Deleted && q.can(t.Name, ActionRestore) {
			d.RestoreURL = q.base + rowRel(t.Name, r.Key, "/restore")
		}
		if r.Deleted && q.can(t.Name, ActionDeletePermanently) {
			d.PurgeURL = q.base + rowRel(t.Name, r.Key, "/purge")
		}
	}
	s, _ := q.schema()
	// Per foreign key of this row: the parent it points at, and whether
	// that parent is deleted.
	for _, fk := range t.ForeignKeys {
		pt := s.Table(fk.Parent)
		if pt == nil || !q.can(fk.Parent, ActionView) {
			continue
		}
		pr := parentRef{Table: fk.Parent, Columns: strings.Join(fk.Columns, ", ")}
		var filters []softdelete.RowFilter
		params := url.Values{}
		vals := make([]any, len(fk.Columns))
		for i, c := range fk.Columns {
			j := indexOf(r.Columns, c)
			if j < 0 || r.Values[j] == nil {
				filters = nil
				break
			}
			vals[i] = r.Values[j]
			filters = append(filters, softdelete.RowFilter{Column: fk.ParentColumns[i], Value: r.Values[j]})
			params.Set("f."+fk.ParentColumns[i], valueText(r.Values[j]))
		}
		if filters == nil {
			continue // NULL: no parent
		}
		pr.Key = keyLabel(vals)
		page, err := h.db.Rows(q.ctx, softdelete.RowsQuery{Table: pt.Name, Scope: softdelete.ScopeAll, Filters: filters, Limit: 1})
		if err != nil {
			continue
		}
		if len(page.Rows) == 0 {
			pr.Missing = true
		} else {
			prow := &row{Table: pt, Columns: page.Columns, Values: page.Rows[0], Key: rowKey(pt, page.Columns, page.Rows[0])}
			if j := indexOf(page.Columns, pt.DeletedColumn); pt.DeletedColumn != "" && j >= 0 && page.Rows[0][j] != nil {
				pr.Deleted = true
			}
			if prow.Key != nil && (!pr.Deleted || q.can(pt.Name, ActionViewDeleted)) {
				pr.URL = q.base + rowRel(pt.Name, prow.Key, "")
			}
		}
		d.Parents = append(d.Parents, pr)
	}
	// Per foreign key that references this table: the child rows that
	// point at this row, alive and deleted, linked to the filtered table.
	for _, fk := range t.ReferencedBy {
		if !q.can(fk.Table, ActionView) {
			continue
		}
		ct := s.Table(fk.Table)
		if ct == nil {
			continue
		}
		cr := childRef{Table: fk.Table, Columns: strings.Join(fk.Columns, ", "), Rule: fk.OnDelete.String()}
		filters, params, ok := childFilters(fk, r)
		if !ok {
			continue // the row holds NULL in a referenced column: nothing refers to it
		}
		alive, err := h.db.CountRows(q.ctx, softdelete.RowsQuery{Table: fk.Table, Scope: softdelete.ScopeAlive, Filters: filters})
		if err != nil {
			cr.Err = q.explain(err).Message
			d.Children = append(d.Children, cr)
			continue
		}
		cr.Alive = alive
		cr.AliveURL = q.base + tableRel(fk.Table, params)
		if ct.SoftDelete() && q.can(fk.Table, ActionViewDeleted) {
			deleted, err := h.db.CountRows(q.ctx, softdelete.RowsQuery{Table: fk.Table, Scope: softdelete.ScopeDeleted, Filters: filters})
			if err != nil {
				cr.Err = q.explain(err).Message
			}
			cr.Deleted = deleted
			dp := url.Values{}
			for k, v := range params {
				dp[k] = v
			}
			dp.Set("deleted", scopeOnly)
			cr.DeletedURL = q.base + tableRel(fk.Table, dp)
		}
		d.Children = append(d.Children, cr)
	}
	q.render(http.StatusOK, "row", q.view("row", d.Label, d))
}

// childFilters selects the rows of fk's child table that reference r.
func childFilters(fk softdelete.ForeignKeyInfo, r *row) ([]softdelete.RowFilter, url.Values, bool) {
	var fs []softdelete.RowFilter
	params := url.Values{}
	for i, pc := range fk.ParentColumns {
		j := indexOf(r.Columns, pc)
		if j < 0 || r.Values[j] == nil {
			return nil, nil, false
		}
		fs = append(fs, softdelete.RowFilter{Column: fk.Columns[i], Value: r.Values[j]})
		params.Set("f."+fk.Columns[i], valueText(r.Values[j]))
	}
	return fs, params, true
}

// blockerURLs links each table that can block deleting r to its rows that
// reference r directly (alive ones: those are what blocks a soft delete;
// all of them for a permanent one); a table that blocks further down a
// cascade is linked unfiltered.
func (q *rq) blockerURLs(t *softdelete.TableInfo, r *row, all bool) map[string]string {
	out := map[string]string{}
	if r == nil {
		return out
	}
	for _, fk := range t.ReferencedBy {
		if _, done := out[fk.Table]; done {
			continue
		}
		if _, params, ok := childFilters(fk, r); ok {
			if all {
				params.Set("deleted", scopeAll)
			}
			out[fk.Table] = q.base + tableRel(fk.Table, params)
		}
	}
	return out
}

type actionData struct {
	R        *row
	Label    string
	RowURL   string
	TableURL string
	Action   string // delete, restore, purge
	FormURL  string
	Plan     *softdelete.DeletePlan
	Counts   []tableCount // what the action changes per table
	Nulled   []tableCount
	Blockers []link
	Allowed  bool
	// Restore: the rows a restore with parents brings back too.
	WithParents       bool
	ParentCounts      []tableCount
	WithParentsCounts []tableCount
	// Purge: what the database's foreign keys do to the rows that
	// reference the row.
	PurgeRefs []purgeRef
	Reason    string
}

func (q *rq) actionData(t *softdelete.TableInfo, r *row, action string) *actionData {
	return &actionData{R: r, Label: t.Name + " " + keyLabel(r.Key), RowURL: q.base + rowRel(t.Name, r.Key, ""),
		TableURL: q.base + tableRel(t.Name, nil), Action: action, FormURL: q.base + rowRel(t.Name, r.Key, "/"+action)}
}

// actionRow is rowFor plus the permission of the action and the table's
// soft-delete column.
func (q *rq) actionRow(a Action) (*softdelete.TableInfo, *row, error) {
	t, err := q.tableInfo(q.r.PathValue("table"))
	if err != nil {
		return nil, nil, err
	}
	if !q.can(t.Name, a) {
		return nil, nil, forbidden(t.Name, a)
	}
	if !t.SoftDelete() {
		return nil, nil, badRequest("Table %s is not soft-deletable (it has no soft-delete column): the admin shows it read-only.", t.Name)
	}
	return q.rowFor()
}

func (q *rq) parseForm() error {
	if err := q.r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("The form could not be read.")
	}
	return nil
}

func (h *handler) deleteConfirm(q *rq) {
	t, r, err := q.actionRow(ActionDelete)
	if err != nil {
		q.fail(err)
		return
	}
	d := q.actionData(t, r, "delete")
	if r.Deleted {
		q.render(http.StatusOK, "action", q.view("delete", "Delete "+d.Label, d).withError(q.explain(softdelete.ErrDeleted)))
		return
	}
	plan, err := h.db.PlanDelete(q.ctx, t.Name, r.Key...)
	if err != nil {
		pe := q.explain(err)
		q.render(confirmStatus(pe), "action", q.view("delete", "Delete "+d.Label, d).withError(pe))
		return
	}
	q.fillPlan(d, t, r, plan)
	v := q.view("delete", "Delete "+d.Label, d)
	if !d.Allowed {
		// The page answers its question (what would the delete do?), so it
		// is a 200 that shows the refusal the delete would meet.
		v.withError(q.restrictedError(&softdelete.RestrictedError{Table: t.Name, Blockers: plan.Blockers}, q.blockerURLs(t, r, false)))
	}
	q.render(http.StatusOK, "action", v)
}

func (q *rq) fillPlan(d *actionData, t *softdelete.TableInfo, r *row, plan *softdelete.DeletePlan) {
	d.Plan = plan
	d.Counts = sortedCounts(plan.Counts)
	d.Nulled = sortedCounts(plan.Nulled)
	d.Allowed = plan.Allowed()
	d.Blockers = q.blockerLinks(plan.Blockers, q.blockerURLs(t, r, false), true)
}

// actionPost starts the POST of action on the request's row: the row (the
// permission checked, as actionRow), the form parsed, and the page data of
// kind with the reason given. On an error it has answered (false).
func (q *rq) actionPost(action Action, kind string) (*softdelete.TableInfo, *row, *actionData, bool) {
	t, r, err := q.actionRow(action)
	if err == nil {
		err = q.parseForm()
	}
	if err != nil {
		q.fail(err)
		return nil, nil, nil, false
	}
	d := q.actionData(t, r, kind)
	d.Reason = q.r.PostFormValue("reason")
	return t, r, d, true
}

func (h *handler) deleteDo(q *rq) {
	t, r, d, ok := q.actionPost(ActionDelete, "delete")
	if !ok {
		return
	}
	op, err := h.db.Delete(q.actx(), t.Name, r.Key...)
	if err != nil {
		pe := q.explain(err)
		var re *softdelete.RestrictedError
		if errors.As(err, &re) {
			pe = q.restrictedError(re, q.blockerURLs(t, r, false))
		}
		// Show the plan as it is now, next to the refusal.
		if plan, perr := h.db.PlanDelete(q.ctx, t.Name, r.Key...); perr == nil {
			q.fillPlan(d, t, r, plan)
		}
		q.render(pe.Status, "action", q.view("delete", "Delete "+d.Label, d).withError(nothingChanged(pe)))
		return
	}
	h.log.Info("admin: delete", "user", q.u.Name, "table", t.Name, "key", keyLabel(r.Key), "op", op.ID)
	q.redirect(withOp(tableRel(t.Name, nil), op.ID))
}

func (h *handler) restoreConfirm(q *rq) {
	t, r, err := q.actionRow(ActionRestore)
	if err != nil {
		q.fail(err)
		return
	}
	d := q.actionData(t, r, "restore")
	v := q.view("restore", "Restore "+d.Label, d)
	// A confirmation page answers its question (what would the restore
	// do?): a refusal the library reports is the answer, a 200.
	if !r.Deleted {
		q.render(http.StatusOK, "action", v.withError(q.explain(softdelete.ErrNotDeleted)))
		return
	}
	status := http.StatusOK
	if pe := q.planRestore(d, t, r, false); pe != nil {
		status = confirmStatus(pe)
		v.withError(pe)
	}
	q.render(status, "action", v)
}

// confirmStatus is the status of a confirmation page that shows a
// refusal: the page answered its question ("what would this do?"), so a
// refusal of the action (409: conflict, deleted parent, RESTRICT, veto...)
// is a 200; anything else (bad request, not found, busy, internal) keeps
// its own status.
func confirmStatus(pe *pageError) int {
	if pe.Status == http.StatusConflict {
		return http.StatusOK
	}
	return pe.Status
}

// planRestore fills what a restore (with parents, if asked) would bring
// back, from DB.PlanRestore; a parent that is deleted turns into the offer
// to restore with parents, with what that brings back. The error is the
// library's refusal, explained.
func (q *rq) planRestore(d *actionData, t *softdelete.TableInfo, r *row, withParents bool) *pageError {
	plan, err := q.h.db.PlanRestore(q.ctx, t.Name, withParents, r.Key...)
	if err == nil {
		d.Allowed = true
		d.WithParents = withParents
		d.Counts = sortedCounts(plan.Counts)
		d.ParentCounts = sortedCounts(plan.Parents)
		return nil
	}
	pe := q.explain(err)
	var pde *softdelete.ParentDeletedError
	if errors.As(err, &pde) && !withParents {
		q.offerParents(d, t, r, pe)
	}
	return pe
}

// offerParents adds the restore-with-parents offer to a parent-deleted
// message: which rows it brings back.
func (q *rq) offerParents(d *actionData, t *softdelete.TableInfo, r *row, pe *pageError) {
	plan, err := q.h.db.PlanRestore(q.ctx, t.Name, true, r.Key...)
	if err != nil {
		pe.Message += " Restoring with parents is not possible either: " + q.explain(err).Message
		return
	}
	d.WithParents = true
	d.ParentCounts = sortedCounts(plan.Parents)
	d.WithParentsCounts = sortedCounts(plan.Counts)
	for _, tc := range d.ParentCounts {
		if q.can(tc.Table, ActionViewDeleted) {
			pe.Items = append(pe.Items, link{Text: tc.Table, URL: q.base + tableRel(tc.Table, url.Values{"deleted": {scopeOnly}}),
				TestID: "parent-link", Note: fmt.Sprintf("%d deleted parent %s", tc.N, pluralS(tc.N, "row", "rows"))})
		} else {
			pe.Items = append(pe.Items, link{Text: tc.Table, Note: fmt.Sprintf("%d deleted parent %s", tc.N, pluralS(tc.N, "row", "rows"))})
		}
	}
}

func (h *handler) restoreDo(q *rq) {
	t, r, d, ok := q.actionPost(ActionRestore, "restore")
	if !ok {
		return
	}
	withParents := q.r.PostFormValue("with_parents") == "1"
	var op *softdelete.Operation
	var err error
	if withParents {
		op, err = h.db.RestoreWithParents(q.actx(), t.Name, r.Key...)
	} else {
		op, err = h.db.Restore(q.actx(), t.Name, r.Key...)
	}
	if err != nil {
		pe := q.explain(err)
		var pde *softdelete.ParentDeletedError
		if errors.As(err, &pde) && !withParents {
			q.offerParents(d, t, r, pe)
		}
		q.render(pe.Status, "action", q.view("restore", "Restore "+d.Label, d).withError(nothingChanged(pe)))
		return
	}
	h.log.Info("admin: restore", "user", q.u.Name, "table", t.Name, "key", keyLabel(r.Key), "with_parents", withParents, "op", op.ID)
	q.redirect(withOp(rowRel(t.Name, r.Key, ""), op.ID))
}

func (h *handler) purgeConfirm(q *rq) {
	t, r, err := q.actionRow(ActionDeletePermanently)
	if err != nil {
		q.fail(err)
		return
	}
	d := q.actionData(t, r, "purge")
	v := q.view("purge", "Delete "+d.Label+" permanently", d)
	if !r.Deleted {
		q.render(http.StatusOK, "action", v.withError(&pageError{Status: http.StatusConflict, Kind: "not-deleted", Title: "The row is alive",
			Message: "Only deleted rows can be deleted permanently: delete it first."}))
		return
	}
	if err := q.purgeRefs(d, t, r); err != nil {
		pe := q.explain(err)
		q.render(confirmStatus(pe), "action", v.withError(pe))
		return
	}
	d.Allowed = len(d.Blockers) == 0
	if !d.Allowed {
		pe := q.restrictedError(&softdelete.RestrictedError{Table: t.Name}, nil)
		pe.Message = purgeRestrictedMessage
		pe.Items = d.Blockers
		d.Blockers = nil
		v.withError(pe)
	}
	q.render(http.StatusOK, "action", v)
}

const purgeRestrictedMessage = "Rows (alive or deleted) refer to this row through foreign keys that RESTRICT its removal. Delete them for good or detach them first."

// purgeRef is what the database does, when a row is removed for good, to
// the rows of one foreign key that reference it (its own ON DELETE rule).
type purgeRef struct {
	Table, Columns, Rule string
	N                    int64
	URL                  string
}

// purgeRefs lists, per foreign key referencing r, the rows (alive or
// deleted) that point at it and what the database's rule does to them; a
// RESTRICT or NO ACTION key with such rows is a blocker. Only direct
// references: what a CASCADE removes further down, the database decides
// (the delete itself reports a refusal from there).
func (q *rq) purgeRefs(d *actionData, t *softdelete.TableInfo, r *row) error {
	s, err := q.schema()
	if err != nil {
		return err
	}
	urls := q.blockerURLs(t, r, true)
	blockers := map[string]int64{}
	for _, fk := range t.ReferencedBy {
		if s.Table(fk.Table) == nil {
			continue
		}
		filters, _, ok := childFilters(fk, r)
		if !ok {
			continue
		}
		n, err := q.h.db.CountRows(q.ctx, softdelete.RowsQuery{Table: fk.Table, Scope: softdelete.ScopeAll, Filters: filters})
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		ref := purgeRef{Table: fk.Table, Columns: strings.Join(fk.Columns, ", "), Rule: fk.SchemaRule.String(), N: n}
		if q.can(fk.Table, ActionView) && q.can(fk.Table, ActionViewDeleted) {
			ref.URL = urls[fk.Table]
		}
		switch fk.SchemaRule {
		case softdelete.Restrict, softdelete.NoAction:
			blockers[fk.Table] += n
		default:
			d.PurgeRefs = append(d.PurgeRefs, ref)
		}
	}
	d.Blockers = q.blockerLinks(blockers, urls, false)
	return nil
}

func (h *handler) purgeDo(q *rq) {
	t, r, d, ok := q.actionPost(ActionDeletePermanently, "purge")
	if !ok {
		return
	}
	op, err := h.db.DeletePermanently(q.actx(), t.Name, r.Key...)
	if err != nil {
		pe := q.explain(err)
		var re *softdelete.RestrictedError
		if errors.As(err, &re) {
			pe = q.restrictedError(re, q.blockerURLs(t, r, true))
			pe.Message = purgeRestrictedMessage
			pe.Items = q.blockerLinks(re.Blockers, q.blockerURLs(t, r, true), false)
		}
		q.render(pe.Status, "action", q.view("purge", "Delete "+d.Label+" permanently", d).withError(nothingChanged(pe)))
		return
	}
	h.log.Info("admin: delete permanently", "user", q.u.Name, "table", t.Name, "key", keyLabel(r.Key), "op", op.ID)
	q.redirect(withOp(tableRel(t.Name, url.Values{"deleted": {scopeOnly}}), op.ID))
}
