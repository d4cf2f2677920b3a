package admin

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/softdelete-go/softdelete"
)

// stmtLog records every statement softdelete sends (WithStatementHook), so
// tests can check that a refused name never reached SQL.
type stmtLog struct {
	mu    sync.Mutex
	stmts []string
}

func (l *stmtLog) hook(_ context.Context, q string, _ []any) error {
	l.mu.Lock()
	l.stmts = append(l.stmts, q)
	l.mu.Unlock()
	return nil
}

func (l *stmtLog) reset() {
	l.mu.Lock()
	l.stmts = nil
	l.mu.Unlock()
}

func (l *stmtLog) containing(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, q := range l.stmts {
		if strings.Contains(strings.ToLower(q), strings.ToLower(s)) {
			out = append(out, q)
		}
	}
	return out
}

type env struct {
	t     *testing.T
	db    *softdelete.DB
	h     http.Handler
	log   *stmtLog
	user  string
	perms Permissions
}

// shopDDL: customers <- orders (CASCADE) <- order_items (CASCADE);
// products <- order_items (RESTRICT); products <- reviews (CASCADE);
// customers <- reviews (SET NULL); settings is not soft-deletable.
var shopDDL = []string{
	`CREATE TABLE customers (id {id}, name {text} NOT NULL, email {text} NOT NULL, deleted_at {ts} NULL)`,
	`CREATE TABLE products (id {id}, name {text} NOT NULL, deleted_at {ts} NULL)`,
	`CREATE TABLE orders (id {id}, customer_id {big} NOT NULL, note {text} NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE)`,
	`CREATE TABLE order_items (id {id}, order_id {big} NOT NULL, product_id {big} NOT NULL, qty {big} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
	  FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE RESTRICT)`,
	`CREATE TABLE reviews (id {id}, product_id {big} NOT NULL, customer_id {big} NULL, body {text} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
	  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE SET NULL)`,
	`CREATE TABLE settings (k {text} NOT NULL PRIMARY KEY, v {text} NOT NULL)`,
}

var shopData = []string{
	`INSERT INTO customers (id, name, email) VALUES (1, 'Ann', 'ann@example.com'), (2, 'Bob', 'bob@example.com')`,
	`INSERT INTO products (id, name) VALUES (1, 'Widget'), (2, 'Gadget')`,
	`INSERT INTO orders (id, customer_id, note) VALUES (1, 1, 'first'), (2, 2, 'second')`,
	`INSERT INTO order_items (id, order_id, product_id, qty) VALUES (1, 1, 1, 1), (2, 1, 1, 2), (3, 1, 1, 3), (4, 2, 1, 4)`,
	`INSERT INTO reviews (id, product_id, customer_id, body) VALUES (1, 2, 1, 'nice')`,
	`INSERT INTO settings (k, v) VALUES ('theme', 'dark')`,
}

func newEnv(t *testing.T, dialect string) *env {
	t.Helper()
	e := &env{t: t, log: &stmtLog{}, user: "alice", perms: AllowAll}
	e.db = openTest(t, dialect, softdelete.WithUniqueKey("customers", "email"), softdelete.WithStatementHook(e.log.hook))
	ddl(t, e.db, shopDDL...)
	e.exec(shopData...)
	h, err := New(e.db, Options{
		Authenticate: func(r *http.Request) (User, bool) {
			u := r.Header.Get("X-Test-User")
			return User{Name: u}, u != ""
		},
		Permissions: PermissionsFunc(func(u User, table string, a Action) bool { return e.perms.Allow(u, table, a) }),
		Logger:      slog.New(&failOnError{t: t}),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	return e
}

func (e *env) exec(stmts ...string) {
	e.t.Helper()
	for _, s := range stmts {
		if _, err := e.db.SQL().Exec(s); err != nil {
			e.t.Fatalf("%s: %v", s, err)
		}
	}
}

// forEachDB runs fn on each dialect, in parallel.
func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, d))
		})
	}
}

type resp struct {
	Code int
	Body string
	H    http.Header
	t    *testing.T
	what string
}

// do sends a request as e.user (none when e.user is ""); POSTs are
// same-origin unless headers say otherwise. hdr: name, value pairs.
func (e *env) do(method, target string, form url.Values, hdr ...string) *resp {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if e.user != "" {
		r.Header.Set("X-Test-User", e.user)
	}
	if method == http.MethodPost {
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			r.Header.Del(hdr[i])
		} else {
			r.Header.Set(hdr[i], hdr[i+1])
		}
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return &resp{Code: w.Code, Body: w.Body.String(), H: w.Header(), t: e.t, what: method + " " + target}
}

func (e *env) get(target string) *resp { e.t.Helper(); return e.do(http.MethodGet, target, nil) }

func (e *env) post(target string, form url.Values) *resp {
	e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return e.do(http.MethodPost, target, form)
}

func (r *resp) status(code int) *resp {
	r.t.Helper()
	if r.Code != code {
		r.t.Fatalf("%s: status %d, want %d\n%s", r.what, r.Code, code, excerpt(r.Body))
	}
	return r
}

func (r *resp) has(subs ...string) *resp {
	r.t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.Body, s) {
			r.t.Fatalf("%s: body lacks %q\n%s", r.what, s, excerpt(r.Body))
		}
	}
	return r
}

func (r *resp) lacks(subs ...string) *resp {
	r.t.Helper()
	for _, s := range subs {
		if strings.Contains(r.Body, s) {
			r.t.Fatalf("%s: body holds %q\n%s", r.what, s, excerpt(r.Body))
		}
	}
	return r
}

func (r *resp) match(re string) []string {
	r.t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(r.Body)
	if m == nil {
		r.t.Fatalf("%s: body does not match %s\n%s", r.what, re, excerpt(r.Body))
	}
	return m
}

// location is the redirect's target resolved against the request path.
func (r *resp) location(from string) string {
	r.t.Helper()
	loc := r.H.Get("Location")
	if loc == "" {
		r.t.Fatalf("%s: no Location (status %d)", r.what, r.Code)
	}
	base, _ := url.Parse(from)
	u, err := base.Parse(loc)
	if err != nil {
		r.t.Fatal(err)
	}
	return u.RequestURI()
}

func excerpt(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

// alive reports whether the row of table with id is alive.
func (e *env) alive(table string, id int) bool {
	e.t.Helper()
	ph := "?"
	if e.db.Dialect() == "postgres" {
		ph = "$1"
	}
	var n int
	if err := e.db.SQL().QueryRow("SELECT COUNT(*) FROM "+table+" WHERE id = "+ph+" AND deleted_at IS NULL", id).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n == 1
}

// exists reports whether the row of table with id is there, alive or
// deleted.
func (e *env) exists(table string, id int) bool {
	e.t.Helper()
	ph := "?"
	if e.db.Dialect() == "postgres" {
		ph = "$1"
	}
	var n int
	if err := e.db.SQL().QueryRow("SELECT COUNT(*) FROM "+table+" WHERE id = "+ph, id).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n == 1
}

// failOnError fails the test on every error the admin logs (a 500: an
// outcome it did not explain).
type failOnError struct{ t *testing.T }

func (h *failOnError) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *failOnError) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	h.t.Errorf("admin logged an error: %s%s", r.Message, b.String())
	return nil
}
func (h *failOnError) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *failOnError) WithGroup(string) slog.Handler      { return h }
