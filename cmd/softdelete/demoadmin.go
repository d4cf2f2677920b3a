package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/softdelete-go/softdelete"
	"github.com/softdelete-go/softdelete/admin"
	"github.com/softdelete-go/softdelete/internal/demoshop"
)

// demoAppID marks an SQLite file as the demo's (PRAGMA application_id), so
// --reset never removes a file it did not make.
const demoAppID = 0x53446d6f // "SDmo"

// defaultDemoPath is where the demo keeps its shop between runs: the
// user's cache directory (regenerable data), else the working directory.
func defaultDemoPath() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "softdelete", "demo.db")
	}
	return "softdelete-demo.db"
}

// demoAddrs are tried in order: 8080, the next free port up to 8099, then
// any free port.
func demoAddrs() []string {
	var a []string
	for p := 8080; p < 8100; p++ {
		a = append(a, "127.0.0.1:"+strconv.Itoa(p))
	}
	return append(a, "127.0.0.1:0")
}

// runShopDemo serves the demo shop in the admin until ctx is done.
func runShopDemo(ctx context.Context, path string, reset bool, addrs []string, stdout, stderr io.Writer) error {
	created, err := prepareShop(ctx, path, reset)
	if err != nil {
		return err
	}
	db, err := softdelete.Open("sqlite:" + path)
	if err != nil {
		return err
	}
	defer db.Close()
	pw, err := generatePassword()
	if err != nil {
		return err
	}
	hash, err := admin.HashPassword(pw)
	if err != nil {
		return err
	}
	const user = "demo"
	state := "kept from the last run; --reset starts over"
	if created {
		state = "new"
	}
	cfg := serveConfig{
		addrs: addrs, users: map[string]string{user: hash}, title: "softdelete demo shop", perms: admin.AllowAll,
		banner: func(w io.Writer, url string) {
			fmt.Fprintf(w, "demo shop: %s (%s)\n", clean(path), state)
			fmt.Fprintf(w, "admin:     %s\n", url)
			fmt.Fprintf(w, "login:     %s\n", user)
			fmt.Fprintf(w, "password:  %s   (new on every run)\n", pw)
			fmt.Fprintln(w, "Ctrl-C stops. Try: orders -> delete order 1 (see its items go), the trash's Undo, restoring customer 7.")
		},
	}
	return serveAdmin(ctx, db, cfg, stdout, stderr)
}

// prepareShop makes sure path holds the demo shop, creating it (or, with
// reset, creating it anew). It reports whether it created it. A file that
// is not the demo's is never touched.
func prepareShop(ctx context.Context, path string, reset bool) (bool, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return false, err
	case st.IsDir():
		return false, fmt.Errorf("%s is a directory; --db takes a file path", path)
	default:
		ours, err := isDemoFile(path)
		if err != nil {
			return false, err
		}
		if !ours {
			return false, fmt.Errorf("%s exists and is not a softdelete demo database (left alone); choose another --db", path)
		}
		if !reset {
			return false, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	// Built beside the target, then renamed over it: an interrupted
	// creation never leaves half a shop at path.
	tmp := path + ".new"
	removeSQLite(tmp)
	defer removeSQLite(tmp)
	if err := buildShop(ctx, tmp); err != nil {
		return false, fmt.Errorf("creating the demo shop: %w", err)
	}
	removeSQLite(path)
	if err := os.Rename(tmp, path); err != nil {
		return false, err
	}
	return true, nil
}

func buildShop(ctx context.Context, path string) error {
	db, err := softdelete.Open("sqlite:" + path)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.SQL().ExecContext(ctx, "PRAGMA application_id = "+strconv.Itoa(demoAppID)); err != nil {
		return err
	}
	if err := demoshop.Create(ctx, db); err != nil {
		return err
	}
	// Fold the write-ahead log into the file, which is renamed alone.
	if _, err := db.SQL().ExecContext(ctx, "PRAGMA journal_mode = DELETE"); err != nil {
		return err
	}
	return db.Close()
}

func isDemoFile(path string) (bool, error) {
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return false, err
	}
	defer raw.Close()
	var id int64
	if err := raw.QueryRow("PRAGMA application_id").Scan(&id); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return id == demoAppID, nil
}

func removeSQLite(path string) {
	for _, s := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + s)
	}
}
