// Command softdelete is the command-line face of the softdelete library:
// a demo, and (as the library grows) schema adoption, health checks, trash,
// undo, audit and retention purge against a database given by --dsn or
// SOFTDELETE_DSN.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"demo", "open the admin on a demo shop kept in an SQLite file (--walkthrough: the seed walk-through)", runDemo},
		{"serve", "serve the admin (browse, delete, restore, undo) for a database, behind a login", runServe},
		{"hash-password", "print the hash of a password read from standard input, for serve's credentials", runHashPassword},
		{"adopt", "print (or --apply, or --out DIR) the DDL that adopts soft delete on existing tables", runAdopt},
		{"doctor", "report what is missing or dangerous for soft delete, per table", runDoctor},
		{"trash", "list delete operations that can be undone, newest first (trash ID: the rows one hid)", opsCommand("trash", "Lists delete operations that were not undone, newest first; with an ID, the rows that operation still hides.", true)},
		{"undo", "restore exactly what one delete operation hid: softdelete undo ID", runUndo},
		{"audit", "list every logged operation (who, why, what), newest first", opsCommand("audit", "Lists logged operations, newest first, with actor, reason and per-table counts.", false)},
		{"purge", "remove rows soft-deleted longer ago than --older-than, in batches", runPurge},
	}
}

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "softdelete: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: softdelete <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands that touch a database take --dsn URL (sqlite:PATH, postgres://..., mysql://...),")
	fmt.Fprintln(w, "defaulting to $SOFTDELETE_DSN. Run 'softdelete <command> -h' for its flags.")
}
