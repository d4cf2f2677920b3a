package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/softdelete-go/softdelete"
)

// dbFlags adds --dsn to a command's flag set.
func dbFlags(fs *flag.FlagSet) *string {
	return fs.String("dsn", "", "database URL: sqlite:PATH, postgres://user@host/db, mysql://user:pass@host:3306/db (default $SOFTDELETE_DSN)")
}

var errNoDSN = errors.New("no database given: pass --dsn URL or set SOFTDELETE_DSN (sqlite:PATH, postgres://..., mysql://...)")

// openDSN opens the database named by --dsn or $SOFTDELETE_DSN.
func openDSN(dsn string) (*softdelete.DB, error) {
	if dsn == "" {
		dsn = os.Getenv("SOFTDELETE_DSN")
	}
	if dsn == "" {
		return nil, errNoDSN
	}
	return softdelete.Open(dsn)
}

// listFlag collects repeated string flags.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// fail prints err for command and returns exit code 1.
func fail(stderr io.Writer, command string, err error) int {
	fmt.Fprintf(stderr, "softdelete %s: %s\n", command, clean(err.Error()))
	return 1
}

// newFlagSet makes a flag set whose usage names the command.
func newFlagSet(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: softdelete %s [flags]\n\n%s\n\nflags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}
