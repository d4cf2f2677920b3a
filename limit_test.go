package softdelete

import (
	"context"
	"strings"
	"testing"
)

// LIMIT and OFFSET are sent as integer literals, never bind parameters: a
// prepared statement whose plan PostgreSQL makes generic after five runs
// must still know the limit (issue 11). The same holds for DB.Rows.
func TestLimitOffsetAreLiterals(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db, m, log := gadgets(t, d, 12)
			ctx := context.Background()
			for i := 0; i < 7; i++ { // past PostgreSQL's switch to a generic plan
				rows, err := m.Where("version = ?", "10.1").OrderBy("-id").Limit(3).Offset(2).All(ctx)
				if err != nil || len(rows) != 3 {
					t.Fatalf("run %d: %d rows, %v", i+1, len(rows), err)
				}
			}
			log.mu.Lock()
			q, args := log.stmts[len(log.stmts)-1], log.args[len(log.args)-1]
			log.mu.Unlock()
			if !strings.Contains(q, " LIMIT 3 OFFSET 2") || len(args) != 1 {
				t.Errorf("list statement %q with %d args, want LIMIT 3 OFFSET 2 written in and one arg", q, len(args))
			}
			log.take()
			if _, err := db.Rows(ctx, RowsQuery{Table: "gadgets", Limit: 4}); err != nil {
				t.Fatal(err)
			}
			s := log.take()
			if len(s) != 1 || !strings.Contains(s[0], " LIMIT 5") {
				t.Errorf("Rows sent %q, want one statement with LIMIT 5 written in", s)
			}
		})
	}
}
