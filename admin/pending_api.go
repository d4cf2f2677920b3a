package admin

import (
	"context"
	"errors"
	"net/http"

	"github.com/softdelete-go/softdelete"
)

// Until the root package's DB.TableCounts, DB.PlanRestore and
// DB.DeletePermanently are on main (they are being added with the admin),
// the admin works around them here: exact counts with CountRows, restore
// pages without a plan, and no permanent delete. This file goes when they
// land.

type tableCounts struct {
	Alive, Deleted int64
	Estimated      bool
}

func (h *handler) tableCounts(ctx context.Context, t *softdelete.TableInfo) (tableCounts, error) {
	alive, err := h.db.CountRows(ctx, softdelete.RowsQuery{Table: t.Name})
	if err != nil || !t.SoftDelete() {
		return tableCounts{Alive: alive}, err
	}
	deleted, err := h.db.CountRows(ctx, softdelete.RowsQuery{Table: t.Name, Scope: softdelete.ScopeDeleted})
	return tableCounts{Alive: alive, Deleted: deleted}, err
}

type restorePlan struct {
	Table           string
	Counts, Parents map[string]int64
}

// errNoPlan: restores cannot be planned yet; the restore itself still
// reports every typed error.
var errNoPlan = errors.New("admin: restore plans are not available")

// rootAPIPending: the tests of restore plans and permanent deletes wait.
const rootAPIPending = true

func (h *handler) planRestore(ctx context.Context, table string, withParents bool, key ...any) (*restorePlan, error) {
	return nil, errNoPlan
}

func (h *handler) deletePermanently(ctx context.Context, table string, key ...any) (*softdelete.Operation, error) {
	return nil, &pageError{Status: http.StatusNotImplemented, Kind: "not-implemented", Title: "Not available yet",
		Message: "Deleting permanently needs a newer softdelete (DB.DeletePermanently)."}
}
