package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/softdelete-go/softdelete"
)

// opsDB makes an SQLite file with two lists (CASCADE to tasks), deletes
// both as actor (which may hold hostile text) and returns the DSN and the
// operation ids, newest first.
func opsDB(t *testing.T, actor, reason string) (string, []int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ops.db")
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE lists (id INTEGER PRIMARY KEY, deleted_at DATETIME)",
		"CREATE TABLE tasks (id INTEGER PRIMARY KEY, list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE, deleted_at DATETIME)",
		"INSERT INTO lists (id) VALUES (1), (2)",
		"INSERT INTO tasks (id, list_id) VALUES (1, 1), (2, 1), (3, 2)",
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	dsn := "sqlite:" + path
	db, err := softdelete.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := softdelete.WithReason(softdelete.WithActor(context.Background(), actor), reason)
	var ids []int64
	for _, k := range []int{1, 2} {
		op, err := db.Delete(ctx, "lists", k)
		if err != nil {
			t.Fatal(err)
		}
		ids = append([]int64{op.ID}, ids...)
	}
	return dsn, ids
}

func TestFlagsAfterArguments(t *testing.T) {
	dsn, ids := opsDB(t, "alice", "")
	t.Setenv("SOFTDELETE_DSN", dsn)
	older := fmt.Sprint(ids[1])
	code, out, stderr := run(t, "trash", older, "--limit", "1")
	if code != 0 || !strings.Contains(out, "tasks, still hidden by it (first 1): 1\n") {
		t.Fatalf("trash ID --limit 1: %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = run(t, "trash", older, "--json")
	var shown struct {
		Operation struct {
			ID    int64  `json:"id"`
			Actor string `json:"actor"`
		} `json:"operation"`
		Hidden map[string][][]any `json:"hidden"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || shown.Operation.ID != ids[1] || len(shown.Hidden["tasks"]) != 2 {
		t.Fatalf("trash ID --json: %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = run(t, "undo", older, "--actor", "bob", "--reason", "oops")
	if code != 0 || !strings.Contains(out, "restored 3 rows") {
		t.Fatalf("undo ID --actor bob: %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = run(t, "audit", "--kind", "undo", "--since", "30d", "--json")
	var ops []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &ops) != nil || len(ops) != 1 || ops[0]["actor"] != "bob" || ops[0]["reason"] != "oops" {
		t.Fatalf("audit --since 30d: %d\n%s", code, out)
	}
	// "--" ends the flags.
	code, _, stderr = run(t, "undo", "--", "--json")
	if code != 2 || !strings.Contains(stderr, `"--json" is not an operation ID`) {
		t.Fatalf("undo -- --json: %d %s", code, stderr)
	}
}

func TestHelpExitsZeroAndBadFlagsTwo(t *testing.T) {
	for _, c := range commands() {
		if code, _, stderr := run(t, c.name, "-h"); code != 0 || !strings.Contains(stderr, "usage: softdelete "+c.name) {
			t.Errorf("%s -h: exit %d, %q", c.name, code, stderr)
		}
		if code, _, _ := run(t, c.name, "--no-such-flag"); code != 2 {
			t.Errorf("%s --no-such-flag: exit %d, want 2", c.name, code)
		}
	}
	t.Setenv("SOFTDELETE_DSN", "sqlite:"+filepath.Join(t.TempDir(), "x.db"))
	for _, args := range [][]string{
		{"audit", "--kind", "bogus"},
		{"audit", "--since", "yesterday"},
		{"audit", "--since", "-5d"},
		{"purge", "--older-than", "30 days"},
		{"purge", "--older-than", "30d", "extra"},
		{"trash", "12x"},
		{"trash", "1", "2"},
		{"undo", "0"},
		{"adopt", "--format", "flyway"},
	} {
		if code, _, stderr := run(t, args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d %q, want 2 and a message", args, code, stderr)
		}
	}
}

func TestDurationsOneFormat(t *testing.T) {
	for in, want := range map[string]string{"30d": "720h0m0s", "2w": "336h0m0s", "12h": "12h0m0s", "90m": "1h30m0s", "0s": "0s", "0": "0s", "1h30m": "1h30m0s"} {
		d, err := parseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "1.5d", "30 d", "abc", "-3h", "99999999999999999d"} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) accepted", in)
		}
	}
}

func TestPurgeOlderThanZeroAndNothingToPurge(t *testing.T) {
	dsn, _ := opsDB(t, "alice", "")
	t.Setenv("SOFTDELETE_DSN", dsn)
	code, out, stderr := run(t, "purge", "--older-than", "30d")
	if code != 0 || !strings.Contains(out, "nothing to purge") || strings.Contains(out, "()") {
		t.Fatalf("purge 30d: %d %q %q", code, out, stderr)
	}
	code, out, stderr = run(t, "purge", "--older-than", "0s", "--json")
	var res map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res["rows"] != float64(5) || res["longest_batch_ms"] == nil {
		t.Fatalf("purge 0s --json: %d %s %s", code, out, stderr)
	}
	for k := range res {
		if k != strings.ToLower(k) {
			t.Errorf("purge --json key %q is not snake_case", k)
		}
	}
}

func TestControlCharactersEscaped(t *testing.T) {
	forged := "mallory\n3\t2026-01-01 00:00:00\tdelete\tusers\t1\t1\tadmin"
	dsn, ids := opsDB(t, forged, "\x1b[31mred\x1b[0m \u202eevil")
	t.Setenv("SOFTDELETE_DSN", dsn)
	for _, args := range [][]string{{"trash"}, {"audit"}, {"trash", fmt.Sprint(ids[0])}} {
		code, out, _ := run(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		if strings.ContainsAny(out, "\x1b\u202e") || strings.Contains(out, "\nadmin") || strings.Contains(out, "\n3\t") {
			t.Errorf("%v: control characters reached the output:\n%q", args, out)
		}
		if !strings.Contains(out, `mallory\n3\t2026`) || !strings.Contains(out, `\x1b[31mred`) {
			t.Errorf("%v: escaped text missing:\n%s", args, out)
		}
	}
	if got := clean("ok \xff\u0085\\"); got != `ok \xff\x85\\` {
		t.Errorf("clean = %q", got)
	}
}

func TestPasswordsNeverPrinted(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("correct horse battery\n"), 0o600)
	for _, dsn := range []string{
		"postgres://bob:s3cret@127.0.0.1:1/db?connect_timeout=1&sslmode=disable",
		"postgres://bob:s3cret@127.0.0.1:1/%zz",
		"mysql://bob:s3cret@127.0.0.1:1/db?timeout=1s",
		"mysql://bob:s3cret@[::1/db",
		"postgres://127.0.0.1:1/db?password=s3cret&sslmode=disable&connect_timeout=1",
	} {
		for _, args := range [][]string{{"doctor", "--dsn", dsn}, {"trash", "--dsn", dsn}, {"demo", "--walkthrough", "--dsn", dsn}, {"purge", "--older-than", "1d", "--dsn", dsn},
			{"serve", "--dsn", dsn, "--user", "a", "--password-file", pw}} {
			_, out, stderr := run(t, args...)
			if strings.Contains(out+stderr, "s3cret") {
				t.Errorf("%v printed the password:\n%s%s", args, out, stderr)
			}
		}
	}
	_, out, _ := run(t, "demo", "--walkthrough", "--dsn", "sqlite:"+filepath.Join(t.TempDir(), "d.db"))
	if !strings.Contains(out, "database: sqlite:") {
		t.Errorf("demo does not say which database: %s", out)
	}
}
