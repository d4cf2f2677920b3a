package softdelete

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestSetNullCompositeRefused: a SET NULL (or SET DEFAULT) reference soft
// delete cannot follow (a composite foreign key, or a child whose primary
// key is composite: the bookkeeping names one column and one key) must not
// leave live rows pointing at a hidden parent. A delete that reaches live
// rows through one is refused like RESTRICT (ErrRestricted, the blockers
// named, nothing changed); one that reaches none, or only hidden rows,
// goes ahead. Before, the delete succeeded and left the children live
// under the hidden parent.
func TestSetNullCompositeRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE plants (id {big} NOT NULL, code {text} NOT NULL, deleted_at {ts} NULL, PRIMARY KEY (id), UNIQUE (id, code))`,
			`CREATE TABLE shipments (id {big} NOT NULL, plant_id {big} NULL, plant_code {text} NULL, deleted_at {ts} NULL, PRIMARY KEY (id),
  FOREIGN KEY (plant_id, plant_code) REFERENCES plants (id, code) ON DELETE SET NULL)`,
			`CREATE TABLE visits (day {big} NOT NULL, seq {big} NOT NULL, plant_id {big} NULL, deleted_at {ts} NULL, PRIMARY KEY (day, seq),
  FOREIGN KEY (plant_id) REFERENCES plants (id) ON DELETE SET NULL)`,
			`INSERT INTO plants (id, code) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')`,
			`INSERT INTO shipments (id, plant_id, plant_code) VALUES (10, 1, 'a'), (11, 1, 'a'), (12, 3, 'c')`,
			`INSERT INTO visits (day, seq, plant_id) VALUES (1, 1, 2), (1, 2, 3)`)
		tables := []string{"plants", "shipments", "visits"}
		snap := func() string { return snapshot(t, db, tables...) }
		for _, c := range []struct {
			key     int
			blocker string
			n       int64
		}{{1, "shipments", 2}, {2, "visits", 1}} {
			before := snap()
			_, err := db.Delete(ctx, "plants", c.key)
			var re *RestrictedError
			if !errors.Is(err, ErrRestricted) || !errors.As(err, &re) || re.Blockers[c.blocker] != c.n {
				t.Fatalf("delete of plant %d with live %s under a composite SET NULL: %v", c.key, c.blocker, err)
			}
			if !strings.Contains(err.Error(), "SET NULL") {
				t.Errorf("the error does not say why: %v", err)
			}
			if got := snap(); got != before {
				t.Fatalf("a refused delete changed data:\nbefore %s\nafter  %s", before, got)
			}
			plan, err := db.PlanDelete(ctx, "plants", c.key)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Allowed() || plan.Blockers[c.blocker] != c.n {
				t.Errorf("plan of plant %d: %+v", c.key, plan)
			}
		}
		// Plant 3: its shipment is hidden first, so only its live visit
		// blocks; plant 4, referenced by nothing, is deleted.
		if _, err := db.Delete(ctx, "shipments", 12); err != nil {
			t.Fatal(err)
		}
		_, err := db.Delete(ctx, "plants", 3)
		var re *RestrictedError
		if !errors.As(err, &re) || re.Blockers["visits"] != 1 || re.Blockers["shipments"] != 0 {
			t.Fatalf("plant 3 with a live visit and a hidden shipment: %v", err)
		}
		if op, err := db.Delete(ctx, "plants", 4); err != nil || op.Counts["plants"] != 1 {
			t.Fatalf("plant 4, referenced by nothing: %+v %v", op, err)
		}
	})
}
