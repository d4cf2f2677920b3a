package admin

import (
	"testing"
	"time"
)

// The overview counts small tables exactly and marks estimates as such
// ("≈ 18K", with the figure in the title): DB.TableCounts estimates tables
// above the handler's threshold (here lowered to 1,000 rows; SQLite keeps
// no statistics, so the estimate is TableCounts' sample of keys).
func TestOverviewMarksEstimates(t *testing.T) {
	e := newEnv(t, "sqlite")
	ddl(t, e.db, `CREATE TABLE events (id {id}, deleted_at {ts} NULL)`)
	e.exec(`INSERT INTO events (id, deleted_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE '2026-01-01 00:00:00' END FROM n`)
	e.h.(*handler).exactUpTo = 1000
	r := e.get("/").status(200)
	r.has(`data-table="orders" data-testid="table-row" data-estimated="false"`, `data-table="events" data-testid="table-row" data-estimated="true"`, `id="estimated-note"`, "more than 1,000 rows")
	r.match(`(?s)data-table="events".*?class="num alive-count" data-count="\d+"><abbr class="estimated" title="Estimated \(about [\d,]+\), not counted">≈ \d(\.\d)?K</abbr>`)
	r.match(`(?s)data-table="events".*?class="num deleted-count" data-count="\d+"><a href="[^"]*" class="deleted-link"><abbr class="estimated" [^>]*>≈ 1\dK</abbr>`)
	// The small tables stay exact, without the mark.
	r.match(`(?s)data-table="order_items".*?class="num alive-count" data-count="4">4</td>`)

	// Under the threshold, exact.
	e.h.(*handler).exactUpTo = 100_000
	r = e.get("/").status(200)
	r.has(`data-table="events" data-testid="table-row" data-estimated="false"`, `data-count="2000">2,000</td>`).lacks(`id="estimated-note"`, "≈")
}

// A database that cannot count in time does not stall the overview: past
// the handler's budget, tables show "not counted".
func TestOverviewTimeCap(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.h.(*handler).countBudget = time.Nanosecond
	r := e.get("/").status(200)
	r.has(`data-testid="not-counted"`, `data-table="orders"`)
}

func TestFmtApprox(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 99: "99", 123: "120", 987: "990", 999: "1K", 1000: "1K", 1234: "1.2K", 18_040: "18K",
		123_456: "120K", 999_499: "1M", 1_200_000: "1.2M", 18_000_000: "18M", 2_500_000_000: "2.5G", -1500: "-1.5K"} {
		if got := fmtApprox(n); got != want {
			t.Errorf("fmtApprox(%d) = %q, want %q", n, got, want)
		}
	}
}
