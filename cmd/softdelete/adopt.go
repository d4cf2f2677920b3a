package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/softdelete-go/softdelete"
)

const adoptSummary = `Prints the DDL that adopts soft delete on existing tables: adds deleted_at where
missing, turns unique keys into alive-only ones, adds alive indexes and indexes on
foreign-key columns. Dry run by default; --apply runs it (in one transaction where
the database allows), --out DIR writes an up/down migration pair.`

func runAdopt(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("adopt", adoptSummary, stderr)
	dsn := dbFlags(fs)
	var tables, uniques, indexes listFlag
	fs.Var(&tables, "table", "table to adopt (repeatable; default: all tables); names match as the database matches them")
	fs.Var(&uniques, "unique", "declare an alive-only unique key, TABLE:col[,col] (repeatable)")
	fs.Var(&indexes, "index", "add an alive index, TABLE:col[,col] (repeatable)")
	apply := fs.Bool("apply", false, "run the DDL")
	out := fs.String("out", "", "write the migration to this directory instead of printing it")
	format := fs.String("format", "migrate", "migration file format with --out: migrate (golang-migrate up/down pair) or goose")
	name := fs.String("name", "softdelete_adopt", "migration name with --out")
	down := fs.Bool("down", false, "print (or --apply) the down migration of what adopt --apply applied to this database")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "softdelete adopt: unexpected argument %q (tables are given with --table)\n", clean(pos[0]))
		return 2
	}
	if *format != "migrate" && *format != "goose" {
		fmt.Fprintf(stderr, "softdelete adopt: --format %q: want migrate or goose\n", clean(*format))
		return 2
	}
	var opts []softdelete.Option
	for _, u := range uniques {
		t, cols, err := tableCols(u)
		if err != nil {
			return fail(stderr, "adopt", err)
		}
		opts = append(opts, softdelete.WithUniqueKey(t, cols...))
	}
	ao := softdelete.AdoptOptions{Tables: tables, AliveIndexes: map[string][][]string{}}
	for _, ix := range indexes {
		t, cols, err := tableCols(ix)
		if err != nil {
			return fail(stderr, "adopt", err)
		}
		ao.AliveIndexes[t] = append(ao.AliveIndexes[t], cols)
	}
	dsnv := *dsn
	db, err := openDSNWith(dsnv, opts...)
	if err != nil {
		return fail(stderr, "adopt", err)
	}
	defer db.Close()
	if *down {
		return adoptDown(ctx, db, *apply, *out != "", stdout, stderr)
	}
	m, err := db.Adopt(ctx, ao)
	if err != nil {
		return fail(stderr, "adopt", err)
	}
	for _, n := range m.Notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	for _, b := range m.Blocking {
		fmt.Fprintln(stderr, "blocking:", b)
	}
	if m.Empty() {
		fmt.Fprintln(stdout, "-- nothing to do: the tables are ready for soft delete")
		return 0
	}
	switch {
	case *out != "":
		// Where DDL is not transactional, files that would fail half-way
		// are not written: every statement is rehearsed first.
		if err := db.CheckMigration(ctx, m); err != nil {
			var pe *softdelete.PrivilegeError
			if !errors.As(err, &pe) {
				return fail(stderr, "adopt", err)
			}
			// Files for someone else to apply: written, not rehearsed.
			fmt.Fprintf(stderr, "warning: the migration was not rehearsed (%v); whoever applies it needs those privileges\n", err)
		}
		files, err := m.WriteFiles(*out, *name, *format)
		if err != nil {
			return fail(stderr, "adopt", err)
		}
		for _, f := range files {
			fmt.Fprintln(stdout, "wrote", f)
		}
	case *apply:
		if err := db.ApplyMigration(ctx, m, *down); err != nil {
			return fail(stderr, "adopt", err)
		}
		fmt.Fprintf(stdout, "applied %d statements to %s\n", len(pick(m, *down)), strings.Join(m.Tables, ", "))
	default:
		fmt.Fprintf(stdout, "-- softdelete adopt (%s), dry run: pass --apply to run it or --out DIR to write a migration\n", m.Dialect)
		fmt.Fprint(stdout, softdelete.Script(pick(m, *down)))
	}
	if len(m.Blocking) > 0 {
		return 1
	}
	return 0
}

func pick(m *softdelete.Migration, down bool) []string {
	if down {
		return m.Down
	}
	return m.Up
}

func tableCols(s string) (string, []string, error) {
	t, cols, ok := strings.Cut(s, ":")
	if !ok || t == "" || cols == "" {
		return "", nil, fmt.Errorf("%q: want TABLE:col[,col]", s)
	}
	return t, strings.Split(cols, ","), nil
}

func openDSNWith(dsn string, opts ...softdelete.Option) (*softdelete.DB, error) {
	if len(opts) == 0 {
		return openDSN(dsn)
	}
	if dsn == "" {
		return openDSN("")
	}
	return softdelete.Open(dsn, opts...)
}

// adoptDown prints or applies the down migration of what adopt --apply
// recorded in the database (also after an apply that stopped part-way).
func adoptDown(ctx context.Context, db *softdelete.DB, apply, out bool, stdout, stderr io.Writer) int {
	if out {
		fmt.Fprintln(stderr, "softdelete adopt: --down with --out: the down file is written beside the up file by adopt --out")
		return 2
	}
	m, err := db.Adopted(ctx)
	if err != nil {
		return fail(stderr, "adopt", err)
	}
	if m.Empty() {
		fmt.Fprintln(stdout, "-- nothing to undo: adopt --apply was not run on this database (a migration written with --out is undone by its own down file)")
		return 0
	}
	if !apply {
		fmt.Fprintf(stdout, "-- softdelete adopt --down (%s), dry run: the down migration of what adopt --apply applied; pass --apply to run it\n", m.Dialect)
		fmt.Fprint(stdout, softdelete.Script(m.Down))
		return 0
	}
	if err := db.ApplyMigration(ctx, m, true); err != nil {
		return fail(stderr, "adopt", err)
	}
	fmt.Fprintf(stdout, "applied %d statements: the adoption is undone\n", len(m.Down))
	return 0
}
