package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/softdelete-go/softdelete"
	"github.com/softdelete-go/softdelete/admin"
	"github.com/softdelete-go/softdelete/internal/demoshop"
)

// isolate points the user's config and cache directories and the admin
// variables at nothing, so no test reads or writes the real ones.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv(envAdminUser, "")
	t.Setenv(envAdminHash, "")
	t.Setenv("SOFTDELETE_DSN", "")
	return home
}

// shopFile makes an SQLite file holding the demo shop.
func shopFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := softdelete.Open("sqlite:" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := demoshop.Create(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer is an io.Writer safe for a server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// started runs the command until the test stops it; it waits for pattern
// in its output and returns the submatches, and a stop function that
// cancels (as Ctrl-C does) and returns the exit code and output.
func started(t *testing.T, pattern string, args ...string) ([]string, func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, args, &out, &errb) }()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			stop := func() (int, string) {
				cancel()
				select {
				case code := <-done:
					return code, out.String() + errb.String()
				case <-time.After(20 * time.Second):
					t.Fatalf("%v: still running 20 s after Ctrl-C", args)
					return 0, ""
				}
			}
			t.Cleanup(func() { cancel() })
			return m, stop
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("%v exited %d before printing %q:\n%s\n%s", args, code, pattern, out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("%v: no %q within 60 s:\n%s\n%s", args, pattern, out.String(), errb.String())
		}
	}
}

// login signs in through the login form and returns a client holding the
// session, or fails.
func login(t *testing.T, base, user, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `name="password"`) || !strings.HasSuffix(resp.Request.URL.Path, "/login") {
		t.Fatalf("GET %s without a session: %d at %s, want the login page\n%s", base, resp.StatusCode, resp.Request.URL, body)
	}
	resp, err = c.PostForm(strings.TrimSuffix(base, "/")+"/login", url.Values{"username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.HasSuffix(resp.Request.URL.Path, "/login") {
		t.Fatalf("login as %s: %d at %s\n%s", user, resp.StatusCode, resp.Request.URL, body)
	}
	return c
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeRefusesWithoutCredentials(t *testing.T) {
	isolate(t)
	path := shopFile(t)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "no credentials"},
		{[]string{"--user", "alice"}, nil, "--user needs --password-file"},
		{[]string{"--password-file", "/nonexistent"}, nil, "--password-file needs --user"},
		{[]string{"--user", "al ice", "--password-file", "/nonexistent"}, nil, "login name"},
		{[]string{"--user", "alice", "--password-file", "/nonexistent"}, nil, "password file"},
		{[]string{"--credentials", "/nonexistent"}, nil, "credentials file"},
		{nil, map[string]string{envAdminUser: "alice"}, envAdminHash + " is not"},
		{nil, map[string]string{envAdminHash: "pbkdf2-sha256$1$a$b"}, envAdminUser + " is not"},
		{nil, map[string]string{envAdminUser: "alice", envAdminHash: "hunter2hunter2"}, "not a password"},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		code, out, stderr := run(t, append([]string{"serve", "--dsn", "sqlite:" + path, "--addr", "127.0.0.1:0"}, tc.args...)...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("serve %v %v: exit %d, want 1 and %q\n%s%s", tc.args, tc.env, code, tc.want, out, stderr)
		}
		for k := range tc.env {
			t.Setenv(k, "")
		}
	}
	short := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(short, []byte("short\n"), 0o600)
	if code, _, stderr := run(t, "serve", "--dsn", "sqlite:"+path, "--user", "a", "--password-file", short); code != 1 || !strings.Contains(stderr, "fewer than 8") {
		t.Errorf("short password: %d %s", code, stderr)
	}
	bad := filepath.Join(t.TempDir(), "creds")
	os.WriteFile(bad, []byte("alice:hunter2hunter2\n"), 0o600)
	if code, _, stderr := run(t, "serve", "--dsn", "sqlite:"+path, "--credentials", bad); code != 1 || !strings.Contains(stderr, "line 1") {
		t.Errorf("plain password in a credentials file: %d %s", code, stderr)
	}
	// A mistyped SQLite path is an error, not a new empty database.
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("correct horse battery\n"), 0o600)
	missing := filepath.Join(t.TempDir(), "typo.db")
	if code, _, stderr := run(t, "serve", "--dsn", "sqlite:"+missing, "--user", "a", "--password-file", pw); code != 1 || !strings.Contains(stderr, "no SQLite database") {
		t.Errorf("missing file: %d %s", code, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("serve created the mistyped SQLite file")
	}
}

// Each way of giving credentials logs in, and serve stops cleanly on
// Ctrl-C.
func TestServeCredentialSources(t *testing.T) {
	isolate(t)
	path := shopFile(t)
	dsn := "sqlite:" + path
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("correct horse battery\r\n"), 0o600)
	hash, err := admin.HashPassword("staple of tin cans")
	if err != nil {
		t.Fatal(err)
	}
	hashed := filepath.Join(dir, "hashed")
	os.WriteFile(hashed, []byte(hash+"\n"), 0o600)
	creds := filepath.Join(dir, "creds")
	os.WriteFile(creds, []byte("# team\nbob:"+hash+"\n\ncarol:"+hash+"\n"), 0o600)

	serve := func(t *testing.T, user, password string, args ...string) string {
		m, stop := started(t, `at (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops\)`, append([]string{"serve", "--dsn", dsn, "--addr", "127.0.0.1:0"}, args...)...)
		c := login(t, m[1], user, password)
		if code, body := get(t, c, m[1]); code != 200 || strings.Contains(body, `name="password"`) {
			t.Fatalf("overview after login: %d\n%s", code, body)
		}
		code, out := stop()
		if code != 0 || !strings.Contains(out, "stopped") {
			t.Fatalf("after Ctrl-C: exit %d\n%s", code, out)
		}
		return out
	}
	t.Run("password-file", func(t *testing.T) {
		serve(t, "alice", "correct horse battery", "--user", "alice", "--password-file", plain)
	})
	t.Run("password-file-hash", func(t *testing.T) {
		serve(t, "alice", "staple of tin cans", "--user", "alice", "--password-file", hashed)
	})
	t.Run("env", func(t *testing.T) {
		t.Setenv(envAdminUser, "dora")
		t.Setenv(envAdminHash, hash)
		serve(t, "dora", "staple of tin cans")
	})
	t.Run("credentials", func(t *testing.T) {
		t.Setenv(envAdminUser, "dora") // an explicit flag wins over the environment
		t.Setenv(envAdminHash, hash)
		serve(t, "carol", "staple of tin cans", "--credentials", creds)
	})
}

// --generate-password prints the password once and keeps only its hash in
// the default credentials file, which a later serve uses without flags.
func TestServeGeneratePassword(t *testing.T) {
	home := isolate(t)
	path := shopFile(t)
	dsn := "sqlite:" + path
	m, stop := started(t, `(?s)login: (\S+)\npassword: (\S+)\n.*at (http://\S+) \(Ctrl-C stops\)`, "serve", "--dsn", dsn, "--addr", "127.0.0.1:0", "--generate-password", "--user", "erin")
	if m[1] != "erin" || len(m[2]) != 20 {
		t.Fatalf("generated login: %q", m[0])
	}
	login(t, m[3], "erin", m[2])
	if code, _ := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	file := filepath.Join(home, "config", "softdelete", "admin-credentials")
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	if st.Mode().Perm() != 0o600 || strings.Contains(string(data), m[2]) || !strings.Contains(string(data), "erin:pbkdf2-sha256$") {
		t.Fatalf("credentials file %v:\n%s", st.Mode(), data)
	}
	// Without flags, the default file is used.
	m2, stop := started(t, `at (http://\S+) \(Ctrl-C stops\)`, "serve", "--dsn", dsn, "--addr", "127.0.0.1:0")
	if strings.Contains(m2[0], m[2]) {
		t.Fatal("password printed again")
	}
	login(t, m2[1], "erin", m[2])
	stop()
	// A second generation replaces erin's entry and keeps others.
	os.WriteFile(file, append(data, []byte("frank:"+strings.SplitN(string(data), "erin:", 2)[1])...), 0o600)
	m3, stop := started(t, `(?s)password: (\S+)\n.*at (http://\S+) \(Ctrl-C stops\)`, "serve", "--dsn", dsn, "--addr", "127.0.0.1:0", "--generate-password", "--user", "erin")
	login(t, m3[2], "erin", m3[1])
	stop()
	data, _ = os.ReadFile(file)
	if strings.Count(string(data), "erin:") != 1 || strings.Count(string(data), "frank:") != 1 {
		t.Fatalf("after a second generation:\n%s", data)
	}
}

func TestServeWrongPasswordRefused(t *testing.T) {
	isolate(t)
	path := shopFile(t)
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("correct horse battery\n"), 0o600)
	m, stop := started(t, `at (http://\S+) \(Ctrl-C stops\)`, "serve", "--dsn", "sqlite:"+path, "--addr", "127.0.0.1:0", "--user", "alice", "--password-file", pw)
	defer stop()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(m[1]+"login", url.Values{"username": {"alice"}, "password": {"wrong password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, body := get(t, c, m[1]); code != 200 || !strings.Contains(body, `name="password"`) {
		t.Fatalf("after a wrong password: %d, want the login page\n%s", code, body)
	}
}

func TestHashPasswordCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := hashPasswordFrom(strings.NewReader("correct horse battery\n"), []string{"--user", "alice"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "alice:pbkdf2-sha256$") {
		t.Fatalf("%d %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := hashPasswordFrom(strings.NewReader("x"), nil, &out, &errb); code != 1 {
		t.Fatalf("short password: %d", code)
	}
	if code := hashPasswordFrom(strings.NewReader(""), []string{"secret"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "standard input") {
		t.Fatalf("password as an argument: %d %q", code, errb.String())
	}
}

// The README's first command: demo creates the shop, prints a URL and a
// login that works, keeps the file between runs, --reset starts over, and
// a file the demo did not make is never touched.
func TestDemoServesTheShop(t *testing.T) {
	isolate(t)
	path := filepath.Join(t.TempDir(), "sub", "demo.db")
	banner := `(?s)demo shop: \S+ \((new|kept[^)]*)\)\nadmin: +(http://127\.0\.0\.1:\d+/)\nlogin: +(\S+)\npassword: +(\S+)`
	m, stop := started(t, banner, "demo", "--db", path, "--addr", "127.0.0.1:0")
	if m[1] != "new" {
		t.Fatalf("first run: %q", m[0])
	}
	c := login(t, m[2], m[3], m[4])
	if code, body := get(t, c, m[2]); code != 200 || strings.Contains(body, `name="password"`) {
		t.Fatalf("overview: %d\n%s", code, body)
	}
	if code, out := stop(); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// Changes are kept between runs.
	db, err := softdelete.Open("sqlite:" + path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(context.Background(), "orders", demoshop.OrderWithItems); err != nil {
		t.Fatal(err)
	}
	db.Close()
	alive := func() int {
		db, err := softdelete.Open("sqlite:" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		db.SQL().QueryRow("SELECT COUNT(*) FROM orders WHERE deleted_at IS NULL").Scan(&n)
		return n
	}
	m, stop = started(t, banner, "demo", "--db", path, "--addr", "127.0.0.1:0")
	if !strings.HasPrefix(m[1], "kept") || alive() != 6 {
		t.Fatalf("second run: %q, %d alive orders", m[0], alive())
	}
	stop()
	m, stop = started(t, banner, "demo", "--db", path, "--addr", "127.0.0.1:0", "--reset")
	if m[1] != "new" || alive() != 7 {
		t.Fatalf("--reset: %q, %d alive orders", m[0], alive())
	}
	stop()
	// Someone else's file: refused, untouched, with or without --reset.
	other := shopFile(t)
	before, _ := os.ReadFile(other)
	for _, args := range [][]string{{}, {"--reset"}} {
		code, out, stderr := run(t, append([]string{"demo", "--db", other, "--addr", "127.0.0.1:0"}, args...)...)
		if code != 1 || !strings.Contains(stderr, "not a softdelete demo database") {
			t.Fatalf("demo on another file %v: %d\n%s%s", args, code, out, stderr)
		}
	}
	if after, _ := os.ReadFile(other); !bytes.Equal(before, after) {
		t.Fatal("demo changed a file it did not make")
	}
	if code, _, stderr := run(t, "demo", "--dsn", "sqlite:x.db"); code != 2 || !strings.Contains(stderr, "--walkthrough") {
		t.Fatalf("demo --dsn without --walkthrough: %d %s", code, stderr)
	}
}

// The default demo path is in the user's cache directory.
func TestDemoDefaultPath(t *testing.T) {
	home := isolate(t)
	if got, want := defaultDemoPath(), filepath.Join(home, "cache", "softdelete", "demo.db"); got != want {
		t.Fatalf("default --db %s, want %s", got, want)
	}
	a := demoAddrs()
	if a[0] != "127.0.0.1:8080" || a[len(a)-1] != "127.0.0.1:0" {
		t.Fatalf("demo addresses %v", a)
	}
}

// When 8080 is taken the demo takes the next free port.
func TestListenNextFree(t *testing.T) {
	ln, err := listen([]string{"127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ln2, err := listen([]string{ln.Addr().String(), "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	if ln2.Addr().String() == ln.Addr().String() {
		t.Fatal("bound the taken address")
	}
}

// --tls-cert/--tls-key serve HTTPS, and the session cookie is Secure.
func TestServeTLS(t *testing.T) {
	isolate(t)
	path := shopFile(t)
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("correct horse battery\n"), 0o600)
	if code, _, stderr := run(t, "serve", "--dsn", "sqlite:"+path, "--tls-cert", certFile); code != 2 || !strings.Contains(stderr, "go together") {
		t.Fatalf("--tls-cert alone: %d %s", code, stderr)
	}
	m, stop := started(t, `at (https://127\.0\.0\.1:\d+/) \(Ctrl-C stops\)`, "serve", "--dsn", "sqlite:"+path, "--addr", "127.0.0.1:0",
		"--user", "alice", "--password-file", pw, "--tls-cert", certFile, "--tls-key", keyFile)
	defer stop()
	pool := x509.NewCertPool()
	cert, _ := x509.ParseCertificate(der)
	pool.AddCert(cert)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(m[1]+"login", url.Values{"username": {"alice"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var secure bool
	for _, ck := range resp.Cookies() {
		secure = secure || ck.Secure && ck.HttpOnly
	}
	if resp.StatusCode != http.StatusSeeOther || !secure {
		t.Fatalf("login over TLS: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
}
