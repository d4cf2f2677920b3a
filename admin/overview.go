package admin

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/softdelete-go/softdelete"
)

// exactCountUpTo: tables up to this many rows are counted exactly; larger
// ones show an estimate (DB.TableCounts: the catalog's, or a sample of
// keys), marked as such. Two counts of 10,000 rows cost a few
// milliseconds, so even 20 such tables stay under the overview's 200 ms
// target (at 100,000, 20 tables meant reading 4M rows on every visit).
const exactCountUpTo = 10_000

// countBudget bounds the time the overview waits for counts: a table the
// database can neither estimate nor count in time (no statistics, no
// integer key to sample, millions of rows) shows "not counted" rather
// than stall the page.
const countBudget = time.Second

// countWorkers: tables counted at once.
const countWorkers = 4

type overviewTable struct {
	info       *softdelete.TableInfo
	Name       string
	URL        string
	DeletedURL string // the table's deleted rows, when the user may see them
	Soft       bool
	Counts     softdelete.TableCounts
	Err        string
	Slow       bool // not counted within the overview's time budget
	PartOf     string
}

type overviewData struct {
	Tables    []overviewTable
	Hidden    int // tables the user may not view
	Estimated bool
	ExactUpTo int64
}

func (h *handler) overview(q *rq) {
	s, err := q.schema()
	if err != nil {
		q.fail(err)
		return
	}
	d := &overviewData{ExactUpTo: h.exactUpTo}
	for _, t := range s.Tables {
		if !q.can(t.Name, ActionView) {
			d.Hidden++
			continue
		}
		ot := overviewTable{info: t, Name: t.Name, URL: q.base + tableRel(t.Name, nil), Soft: t.SoftDelete(), PartOf: t.PartOf}
		if ot.Soft && q.can(t.Name, ActionViewDeleted) {
			ot.DeletedURL = q.base + tableRel(t.Name, url.Values{"deleted": {scopeOnly}})
		}
		d.Tables = append(d.Tables, ot)
	}
	// Counts run a few at a time: each is one cheap query (an exact count
	// on small tables, the catalog's estimate on large ones).
	// A table the database cannot estimate is counted, which can take
	// long on a large one: the page does not wait past countBudget for it.
	ctx, cancel := context.WithTimeout(q.ctx, h.countBudget)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, countWorkers)
	for i := range d.Tables {
		wg.Add(1)
		sem <- struct{}{}
		go func(ot *overviewTable) {
			defer func() { <-sem; wg.Done() }()
			if ctx.Err() != nil {
				ot.Slow = true
				return
			}
			c, err := h.db.TableCounts(ctx, ot.info.Name, h.exactUpTo)
			if err != nil && ctx.Err() != nil && q.ctx.Err() == nil {
				ot.Slow = true
				return
			}
			if err != nil {
				ot.Err = q.explain(err).Message
				return
			}
			ot.Counts = c
		}(&d.Tables[i])
	}
	wg.Wait()
	for _, ot := range d.Tables {
		d.Estimated = d.Estimated || ot.Counts.Estimated
	}
	q.render(http.StatusOK, "overview", q.view("overview", "Tables", d))
}
