package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/softdelete-go/softdelete"
)

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func countsText(c map[string]int64) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, c[k])
	}
	return strings.Join(parts, " ")
}

func printOps(w io.Writer, ops []softdelete.Operation) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWHEN (UTC)\tKIND\tTABLE\tKEY\tROWS\tACTOR\tREASON\tDETAIL")
	for _, op := range ops {
		detail := countsText(op.Counts)
		if op.UndoneBy != 0 {
			detail += fmt.Sprintf(" (undone by %d)", op.UndoneBy)
		}
		if op.TargetOp != 0 {
			detail += fmt.Sprintf(" (reverses %d)", op.TargetOp)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", op.ID, op.At.Format("2006-01-02 15:04:05"), clean(op.Kind), clean(op.Table), clean(op.Key),
			op.Rows, clean(op.Actor), clean(op.Reason), clean(detail))
	}
	tw.Flush()
}

func opsCommand(name, summary string, trash bool) func(context.Context, []string, io.Writer, io.Writer) int {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		fs := newFlagSet(name, summary, stderr)
		dsn := dbFlags(fs)
		table := fs.String("table", "", "only operations rooted at this table")
		actor := fs.String("actor", "", "only operations by this actor")
		kind := &enumFlag{allowed: []string{softdelete.OpDelete, softdelete.OpRestore, softdelete.OpHardDelete, softdelete.OpPurge, softdelete.OpUndo}}
		fs.Var(kind, "kind", "only this kind: delete, restore, hard_delete, purge, undo")
		var since durationFlag
		fs.Var(&since, "since", "only operations in this recent window (e.g. 30d, 24h, 90m)")
		limit := fs.Int("limit", 50, "at most this many operations (with an ID: keys shown per table)")
		asJSON := fs.Bool("json", false, "print JSON")
		pos, code := parseArgs(fs, args)
		if code >= 0 {
			return code
		}
		if len(pos) > 1 {
			fmt.Fprintf(stderr, "softdelete %s: want at most one operation ID, got %d arguments\n", name, len(pos))
			return 2
		}
		var id int64
		if len(pos) == 1 {
			var err error
			if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
				fmt.Fprintf(stderr, "softdelete %s: %q is not an operation ID (list them with softdelete %s)\n", name, clean(pos[0]), name)
				return 2
			}
		}
		if *limit <= 0 {
			fmt.Fprintf(stderr, "softdelete %s: --limit must be at least 1\n", name)
			return 2
		}
		db, err := openDSNReadOnly(*dsn)
		if err != nil {
			return fail(stderr, name, err)
		}
		defer db.Close()
		if id != 0 {
			return showOp(ctx, db, id, *limit, *asJSON, stdout, stderr)
		}
		f := softdelete.OpFilter{Table: *table, Actor: *actor, Kind: kind.v, Limit: *limit, Trash: trash}
		if since.set {
			f.Since = time.Now().Add(-since.d)
		}
		ops, err := db.Operations(ctx, f)
		if err != nil {
			return fail(stderr, name, err)
		}
		if *asJSON {
			if ops == nil {
				ops = []softdelete.Operation{}
			}
			printJSON(stdout, opsJSON(ops))
			return 0
		}
		if len(ops) == 0 {
			fmt.Fprintln(stdout, "no operations")
			return 0
		}
		printOps(stdout, ops)
		if trash {
			fmt.Fprintln(stdout, "\nundo one with: softdelete undo ID")
		}
		return 0
	}
}

const undoSummary = `Restores exactly the rows that one delete operation hid (see softdelete trash),
all or nothing, and marks the operation undone.`

func runUndo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("undo", undoSummary, stderr)
	dsn := dbFlags(fs)
	actor := fs.String("actor", "", "who is undoing (recorded in the log)")
	reason := fs.String("reason", "", "why (recorded in the log)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "softdelete undo: want one operation ID (list them with softdelete trash)")
		return 2
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(stderr, "softdelete undo: %q is not an operation ID (list them with softdelete trash)\n", clean(pos[0]))
		return 2
	}
	db, err := openDSN(*dsn)
	if err != nil {
		return fail(stderr, "undo", err)
	}
	defer db.Close()
	ctx = softdelete.WithReason(softdelete.WithActor(ctx, *actor), *reason)
	op, err := db.Undo(ctx, id)
	if err != nil {
		return fail(stderr, "undo", err)
	}
	if *asJSON {
		printJSON(stdout, opJSON(op))
		return 0
	}
	fmt.Fprintf(stdout, "undid operation %d: restored %d rows (%s) as operation %d\n", id, op.Rows, countsText(op.Counts), op.ID)
	return 0
}

// showOp prints one operation and, for a delete, the keys of the rows it
// still hides (at most limit per table).
func showOp(ctx context.Context, db *softdelete.DB, id int64, limit int, asJSON bool, stdout, stderr io.Writer) int {
	op, err := db.Operation(ctx, id)
	if err != nil {
		return fail(stderr, "trash", err)
	}
	hidden := map[string][][]any{}
	if op.Kind == softdelete.OpDelete {
		for table := range op.Counts {
			err := db.OperationKeys(ctx, id, table, limit, func(keys [][]any) error {
				for _, k := range keys {
					hidden[table] = append(hidden[table], jsonKey(k))
				}
				return errStop
			})
			if err != nil && err != errStop {
				return fail(stderr, "trash", err)
			}
		}
	}
	if asJSON {
		printJSON(stdout, map[string]any{"operation": opJSON(op), "hidden": hidden})
		return 0
	}
	printOps(stdout, []softdelete.Operation{*op})
	tables := make([]string, 0, len(hidden))
	for t := range hidden {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		keys := make([]string, len(hidden[t]))
		for i, k := range hidden[t] {
			keys[i] = keyString(k)
		}
		fmt.Fprintf(stdout, "\n%s, still hidden by it (first %d): %s\n", clean(t), limit, clean(strings.Join(keys, " ")))
	}
	return 0
}

var errStop = fmt.Errorf("stop")
