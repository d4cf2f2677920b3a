package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"strings"
	"time"

	"github.com/softdelete-go/softdelete"
	"github.com/softdelete-go/softdelete/admin"
)

const (
	envAdminUser = "SOFTDELETE_ADMIN_USER"
	envAdminHash = "SOFTDELETE_ADMIN_PASSWORD_HASH"
	hashPrefix   = "pbkdf2-sha256$"
	minPassword  = 8
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", `Serves the admin (browse, delete, restore, undo, trash, audit) for an existing database.
It refuses to start without credentials. Give them, first match wins, by:
  --generate-password [--user NAME]   make a random password, print it once, keep only its hash
                                      in the credentials file (replacing NAME's entry), then serve
  --user NAME --password-file FILE    FILE holds the password (or a hash from 'softdelete hash-password')
  --credentials FILE                  a file of NAME:HASH lines
  $SOFTDELETE_ADMIN_USER and $SOFTDELETE_ADMIN_PASSWORD_HASH (a hash, never a password)
  the default credentials file, when it exists: `+defaultCredentialsPath()+`
Logins are limited to 5 failed attempts per name and address in 15 minutes. Ctrl-C stops the server
after the requests in flight finish.`, stderr)
	dsn := dbFlags(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	cf := credFlags{}
	fs.StringVar(&cf.user, "user", "", "login name (with --password-file or --generate-password; default for the latter: admin)")
	fs.StringVar(&cf.passwordFile, "password-file", "", "file whose first line is the password for --user, or its hash")
	fs.StringVar(&cf.credentials, "credentials", "", "credentials file of NAME:HASH lines (default "+defaultCredentialsPath()+")")
	fs.BoolVar(&cf.generate, "generate-password", false, "generate a password for --user, print it once and keep its hash in the credentials file")
	readOnly := fs.Bool("read-only", false, "allow looking only: no delete, restore, purge or undo")
	title := fs.String("title", "", "title shown in the admin's header (default: softdelete admin)")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate file (PEM; with --tls-key); cookies are then Secure")
	tlsKey := fs.String("tls-key", "", "private key file for --tls-cert")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "softdelete serve: unexpected argument %q\n", clean(pos[0]))
		return 2
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		fmt.Fprintln(stderr, "softdelete serve: --tls-cert and --tls-key go together")
		return 2
	}
	// Credentials are checked before the database is opened; a password
	// is generated (and printed) only once the database is reachable.
	var users map[string]string
	var err error
	if !cf.generate {
		if users, err = loadUsers(cf, os.Getenv, stdout, stderr); err != nil {
			return fail(stderr, "serve", err)
		}
	}
	db, err := openExisting(*dsn)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	defer db.Close()
	if cf.generate {
		if users, err = loadUsers(cf, os.Getenv, stdout, stderr); err != nil {
			return fail(stderr, "serve", err)
		}
	}
	perms := admin.AllowAll
	if *readOnly {
		perms = admin.ReadOnly
	}
	cfg := serveConfig{
		addrs: []string{*addr}, users: users, title: *title, perms: perms,
		tlsCert: *tlsCert, tlsKey: *tlsKey,
		banner: func(w io.Writer, url string) {
			fmt.Fprintf(w, "softdelete admin for %s (%s) at %s (Ctrl-C stops)\n", clean(softdelete.RedactURL(dbURL(*dsn))), db.Dialect(), url)
		},
	}
	if err := serveAdmin(ctx, db, cfg, stdout, stderr); err != nil {
		return fail(stderr, "serve", err)
	}
	return 0
}

func dbURL(dsn string) string {
	if dsn == "" {
		return os.Getenv("SOFTDELETE_DSN")
	}
	return dsn
}

// openExisting opens the database to serve: a SQLite file must exist (a
// mistyped path is an error, not a new empty database).
func openExisting(dsn string) (*softdelete.DB, error) {
	dsn = dbURL(dsn)
	if dsn == "" {
		return nil, errNoDSN
	}
	if strings.HasPrefix(dsn, "sqlite:") {
		file, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"), "?")
		if file != ":memory:" {
			if _, err := os.Stat(file); err != nil {
				return nil, fmt.Errorf("no SQLite database at %s: %w", file, errors.Unwrap(err))
			}
		}
	}
	return softdelete.Open(dsn)
}

// serveConfig is what serve and demo share.
type serveConfig struct {
	addrs           []string // tried in order; the first that can be bound is used
	users           map[string]string
	title           string
	perms           admin.Permissions
	tlsCert, tlsKey string
	banner          func(w io.Writer, url string) // prints the URL once listening
}

// serveAdmin serves the admin until ctx is done, then shuts the server
// down, letting requests in flight finish (at most 10 s).
func serveAdmin(ctx context.Context, db *softdelete.DB, cfg serveConfig, stdout, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	login, err := admin.NewPasswordLogin(cfg.users, admin.LoginOptions{})
	if err != nil {
		return err
	}
	h, err := admin.NewWithPasswordLogin(db, login, admin.Options{
		Authenticate: login.Authenticate,
		Permissions:  cfg.perms,
		Title:        cfg.title,
		Logger:       logger,
	})
	if err != nil {
		return err
	}
	ln, err := listen(cfg.addrs)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute, // a bulk action on 1000 rows may take a while on a busy database
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if cfg.tlsCert != "" {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	scheme := "http"
	if cfg.tlsCert != "" {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String() + "/"
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); scheme == "http" && !isLoopback(host) {
		fmt.Fprintf(stderr, "softdelete: warning: serving plain HTTP on %s, a non-loopback address: passwords and session cookies cross the network in clear (use --tls-cert/--tls-key or a TLS proxy)\n", host)
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.tlsCert != "" {
			errc <- srv.ServeTLS(ln, cfg.tlsCert, cfg.tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	cfg.banner(stdout, url)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "stopping: waiting for requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// listen binds the first address of addrs that is free.
func listen(addrs []string) (net.Listener, error) {
	var first error
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err == nil {
			return ln, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// credFlags are serve's ways of being given credentials.
type credFlags struct {
	user, passwordFile, credentials string
	generate                        bool
}

func defaultCredentialsPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return filepath.Join(".softdelete", "admin-credentials")
	}
	return filepath.Join(dir, "softdelete", "admin-credentials")
}

var errNoCredentials = errors.New("no credentials, so no admin: pass --user NAME --password-file FILE, " +
	"set " + envAdminUser + " and " + envAdminHash + " (from 'softdelete hash-password'), keep NAME:HASH lines in --credentials FILE " +
	"(default " + defaultCredentialsPath() + "), or run once with --generate-password")

// loadUsers returns login names and password hashes from the first source
// given (see serve -h). Plain passwords are hashed at once and not kept.
func loadUsers(cf credFlags, getenv func(string) string, stdout, stderr io.Writer) (map[string]string, error) {
	path := cf.credentials
	if path == "" {
		path = defaultCredentialsPath()
	}
	switch {
	case cf.generate:
		if cf.passwordFile != "" {
			return nil, errors.New("--generate-password and --password-file exclude each other")
		}
		name := cf.user
		if name == "" {
			name = "admin"
		}
		if err := checkName(name); err != nil {
			return nil, err
		}
		pw, err := generatePassword()
		if err != nil {
			return nil, err
		}
		hash, err := admin.HashPassword(pw)
		if err != nil {
			return nil, err
		}
		if err := putCredential(path, name, hash); err != nil {
			return nil, err
		}
		fmt.Fprintf(stdout, "login: %s\npassword: %s\n(shown once: only its hash is kept, in %s)\n", name, pw, path)
		return readCredentials(path, stderr)
	case cf.passwordFile != "":
		if cf.user == "" {
			return nil, errors.New("--password-file needs --user NAME")
		}
		if err := checkName(cf.user); err != nil {
			return nil, err
		}
		hash, err := passwordFromFile(cf.passwordFile)
		if err != nil {
			return nil, err
		}
		return map[string]string{cf.user: hash}, nil
	case cf.user != "":
		return nil, errors.New("--user needs --password-file FILE (or --generate-password)")
	case cf.credentials != "":
		return readCredentials(path, stderr)
	}
	user, hash := getenv(envAdminUser), getenv(envAdminHash)
	switch {
	case user != "" && hash != "":
		if err := checkName(user); err != nil {
			return nil, fmt.Errorf("%s: %w", envAdminUser, err)
		}
		if !strings.HasPrefix(hash, hashPrefix) {
			return nil, fmt.Errorf("%s must hold a password hash (make one with 'softdelete hash-password'), not a password", envAdminHash)
		}
		return map[string]string{user: hash}, nil
	case user != "":
		return nil, fmt.Errorf("%s is set but %s is not", envAdminUser, envAdminHash)
	case hash != "":
		return nil, fmt.Errorf("%s is set but %s is not", envAdminHash, envAdminUser)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, errNoCredentials
	}
	return readCredentials(path, stderr)
}

func checkName(name string) error {
	if name == "" || len(name) > softdelete.MaxActorLen || strings.ContainsAny(name, ":\r\n\t ") || clean(name) != name {
		return fmt.Errorf("login name %q: want 1 to %d printable characters without spaces or ':'", clean(name), softdelete.MaxActorLen)
	}
	return nil
}

// generatePassword returns 20 characters from a 32-letter alphabet without
// look-alikes: 100 bits.
func generatePassword() (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// passwordFromFile reads the password (first line) or its hash from a file
// and returns a hash.
func passwordFromFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	line = strings.TrimSuffix(line, "\r")
	if strings.HasPrefix(line, hashPrefix) {
		return line, nil
	}
	if len([]rune(line)) < minPassword {
		return "", fmt.Errorf("password file %s: the password (its first line) has fewer than %d characters", path, minPassword)
	}
	return admin.HashPassword(line)
}

// readCredentials reads NAME:HASH lines; blank lines and lines starting
// with # are skipped.
func readCredentials(path string, stderr io.Writer) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o077 != 0 {
		// Hashes only, but still nobody else's business.
		fmt.Fprintf(stderr, "softdelete: warning: %s is readable by others (chmod 600 it)\n", path)
	}
	users := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok || checkName(name) != nil || !strings.HasPrefix(hash, hashPrefix) {
			return nil, fmt.Errorf("credentials file %s, line %d: want NAME:HASH with a hash from 'softdelete hash-password' (passwords are not accepted here)", path, n)
		}
		users[name] = hash
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("credentials file %s holds no NAME:HASH line", path)
	}
	return users, nil
}

// putCredential sets name's hash in the credentials file (created 0600 in
// a 0700 directory if missing), keeping the other lines, atomically.
func putCredential(path, name, hash string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var lines []string
	if data, err := os.ReadFile(path); err == nil {
		for l := range strings.Lines(string(data)) {
			l = strings.TrimRight(l, "\r\n")
			if n, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && n == name {
				continue
			}
			lines = append(lines, l)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "#") }) {
		lines = append([]string{"# softdelete serve credentials: NAME:HASH lines (softdelete hash-password makes a hash)"}, lines...)
	}
	lines = append(lines, name+":"+hash)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func runHashPassword(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return hashPasswordFrom(os.Stdin, args, stdout, stderr)
}

func hashPasswordFrom(stdin io.Reader, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hash-password", `Reads a password (the first line of standard input) and prints its hash, for
$`+envAdminHash+` or a NAME:HASH line of serve's credentials file:
  printf '%s' "$PASSWORD" | softdelete hash-password --user alice >> ~/.config/softdelete/admin-credentials`, stderr)
	user := fs.String("user", "", "print NAME:HASH, a line for the credentials file")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(stderr, "softdelete hash-password: the password is read from standard input, not the command line (where ps shows it)")
		return 2
	}
	if *user != "" {
		if err := checkName(*user); err != nil {
			return fail(stderr, "hash-password", err)
		}
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fail(stderr, "hash-password", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if len([]rune(line)) < minPassword {
		return fail(stderr, "hash-password", fmt.Errorf("want a password of at least %d characters on standard input", minPassword))
	}
	hash, err := admin.HashPassword(line)
	if err != nil {
		return fail(stderr, "hash-password", err)
	}
	if *user != "" {
		fmt.Fprintf(stdout, "%s:%s\n", *user, hash)
	} else {
		fmt.Fprintln(stdout, hash)
	}
	return 0
}
