package softdelete

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// keyedStmtLog records every statement and its arguments.
type keyedStmtLog struct {
	mu    sync.Mutex
	stmts []keyedStmt
	// onStmt, if set, sees each statement as it is sent.
	onStmt func(q string, args []any)
}

type keyedStmt struct {
	q    string
	args []any
}

func (l *keyedStmtLog) hook(ctx context.Context, q string, args []any) error {
	l.mu.Lock()
	l.stmts = append(l.stmts, keyedStmt{q, append([]any(nil), args...)})
	f := l.onStmt
	l.mu.Unlock()
	if f != nil {
		f(q, args)
	}
	return nil
}

// The SET NULL bookkeeping finds the child rows through their primary key:
// no statement reading softdelete_nulled converts a key column to text
// (which scans the whole table and, on InnoDB, locks every row it reads),
// and MariaDB's plan for the child is a key lookup.
func TestSetNullLookupsAreKeyed(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			log := &keyedStmtLog{}
			db := openTest(t, d, WithStatementHook(log.hook))
			ctx := context.Background()
			ddl(t, db,
				`CREATE TABLE teams (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`,
				`CREATE TABLE players (id {big} NOT NULL PRIMARY KEY, team_id {big} NULL REFERENCES teams (id) ON DELETE SET NULL, deleted_at {ts} NULL)`,
				`CREATE INDEX players_team ON players (team_id)`)
			var teams, players []string
			for i := 1; i <= 50; i++ {
				teams = append(teams, fmt.Sprintf("(%d)", i))
			}
			for i := 1; i <= 2000; i++ {
				players = append(players, fmt.Sprintf("(%d, %d)", i, 1+i%50))
			}
			exec(t, db, "INSERT INTO teams (id) VALUES "+strings.Join(teams, ", "))
			exec(t, db, "INSERT INTO players (id, team_id) VALUES "+strings.Join(players, ", "))
			if d == "mysql" {
				exec(t, db, "ANALYZE TABLE players, teams")
			}
			explained := 0
			log.mu.Lock()
			log.stmts = nil
			if d == "mysql" {
				// EXPLAIN each bookkeeping UPDATE as it is sent, from
				// another connection (what it sees then is the plan's
				// input: the operation has not committed yet).
				log.onStmt = func(q string, args []any) {
					if strings.HasPrefix(q, "UPDATE") && strings.Contains(q, "softdelete_nulled") {
						explained++
						explainKeyed(t, db, q, args)
					}
				}
			}
			log.mu.Unlock()
			op, err := db.Delete(ctx, "teams", 7)
			if err != nil {
				t.Fatal(err)
			}
			if op.Nulled["players.team_id"] != 40 {
				t.Fatalf("nulled %v", op.Nulled)
			}
			if _, err := db.Restore(ctx, "teams", 7); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM players WHERE team_id = 7"); n != 40 {
				t.Fatalf("%d players back in team 7, want 40", n)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM softdelete_nulled"); n != 0 {
				t.Fatalf("%d bookkeeping rows left", n)
			}
			castKey := regexp.MustCompile("(?i)CAST\\(\\s*([A-Za-z0-9_]+\\.|\"[a-z_]+\"\\.|`[a-z_]+`\\.)?[\"`]?id[\"`]?\\s+AS")
			seen := 0
			for _, s := range log.stmts {
				if !strings.Contains(s.q, "softdelete_nulled") {
					continue
				}
				seen++
				from := s.q
				if i := strings.Index(strings.ToUpper(s.q), " FROM "); i >= 0 && strings.HasPrefix(s.q, "INSERT") {
					from = s.q[i:] // the INSERT's SELECT list stores the key as text
				}
				if castKey.MatchString(from) {
					t.Errorf("a key column converted in a lookup: %s", s.q)
				}
			}
			if d == "mysql" && explained < 2 {
				t.Fatalf("only %d bookkeeping UPDATEs explained", explained)
			}
			if seen < 3 {
				t.Fatalf("only %d bookkeeping statements seen", seen)
			}
		})
	}
}

// explainKeyed checks that MariaDB reads players through its primary key.
// The UPDATE is explained as the SELECT of the same join (its SET has no
// parameters), which reads without locks: EXPLAIN UPDATE would wait for
// the locks of the operation that is sending it.
func explainKeyed(t *testing.T, db *DB, q string, args []any) {
	t.Helper()
	set, where := strings.Index(q, " SET "), strings.Index(q, " WHERE ")
	if !strings.HasPrefix(q, "UPDATE ") || set < 0 || where < set || strings.Contains(q[set:where], "?") {
		t.Fatalf("cannot explain %s", q)
	}
	sel := "SELECT 1 FROM " + q[len("UPDATE "):set] + q[where:]
	rows, err := db.SQL().Query("EXPLAIN "+sel, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	found := false
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c] = vals[i].String
		}
		if row["table"] == "players" || row["table"] == "c0" {
			found = true
			if row["type"] == "ALL" || row["type"] == "index" || row["key"] != "PRIMARY" {
				t.Errorf("players read by %s (key %q) in %s", row["type"], row["key"], q)
			}
		}
	}
	if !found {
		t.Errorf("EXPLAIN shows no read of players: %s", q)
	}
}

// A table whose SET NULL reference points at itself gets its references
// back on restore, through the keyed statements too.
func TestSetNullSelfReferenceRestores(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE staff (id {big} NOT NULL PRIMARY KEY, boss_id {big} NULL REFERENCES staff (id) ON DELETE SET NULL, deleted_at {ts} NULL)`)
		exec(t, db, "INSERT INTO staff (id, boss_id) VALUES (1, NULL), (2, 1), (3, 1), (4, 2)")
		op, err := db.Delete(ctx, "staff", 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := idList(t, db, "SELECT COALESCE(boss_id, 0) FROM staff ORDER BY id"); got != "0 0 0 2" || op.Nulled["staff.boss_id"] != 2 {
			t.Fatalf("after delete: %s %v", got, op.Nulled)
		}
		if _, err := db.Undo(ctx, op.ID); err != nil {
			t.Fatal(err)
		}
		if got := idList(t, db, "SELECT COALESCE(boss_id, 0) FROM staff ORDER BY id"); got != "0 1 1 2" {
			t.Fatalf("after undo: %s", got)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM softdelete_nulled"); n != 0 {
			t.Fatalf("%d bookkeeping rows left", n)
		}
	})
}

// Two SET NULL children keyed by different types under one delete: the
// typed lookups of one never convert the other's keys.
func TestSetNullMixedKeyTypes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE clubs (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`,
			`CREATE TABLE members (id {big} NOT NULL PRIMARY KEY, club_id {big} NULL REFERENCES clubs (id) ON DELETE SET NULL, deleted_at {ts} NULL)`,
			`CREATE TABLE badges (code {text} NOT NULL PRIMARY KEY, club_id {big} NULL REFERENCES clubs (id) ON DELETE SET NULL, deleted_at {ts} NULL)`)
		exec(t, db, "INSERT INTO clubs (id) VALUES (1), (2)")
		exec(t, db, "INSERT INTO members (id, club_id) VALUES (10, 1), (11, 1), (12, 2)")
		exec(t, db, "INSERT INTO badges (code, club_id) VALUES ('gold-x', 1), ('blue', 1), ('red', 2)")
		op, err := db.Delete(ctx, "clubs", 1)
		if err != nil {
			t.Fatal(err)
		}
		if op.Nulled["members.club_id"] != 2 || op.Nulled["badges.club_id"] != 2 {
			t.Fatalf("nulled %v", op.Nulled)
		}
		if _, err := db.Undo(ctx, op.ID); err != nil {
			t.Fatal(err)
		}
		if got := idList(t, db, "SELECT COALESCE(club_id, 0) FROM members ORDER BY id"); got != "1 1 2" {
			t.Fatalf("members: %s", got)
		}
		if got := idList(t, db, "SELECT COALESCE(club_id, 0) FROM badges ORDER BY code"); got != "1 1 2" {
			t.Fatalf("badges: %s", got)
		}
	})
}
