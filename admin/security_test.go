package admin

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/softdelete-go/softdelete"
)

// Every route, as the admin's browser would use it.
var routes = []struct{ method, path string }{
	{"GET", "/"},
	{"GET", "/t/orders"},
	{"GET", "/t/orders?deleted=only"},
	{"GET", "/t/orders/r/1"},
	{"GET", "/t/orders/r/1/delete"},
	{"GET", "/t/orders/r/1/restore"},
	{"GET", "/t/orders/r/1/purge"},
	{"GET", "/t/orders/bulk?action=delete&key=1"},
	{"GET", "/trash"},
	{"GET", "/trash/1"},
	{"GET", "/audit"},
	{"GET", "/no/such/page"},
	{"HEAD", "/t/orders"},
	{"POST", "/t/orders/r/1/delete"},
	{"POST", "/t/orders/r/1/restore"},
	{"POST", "/t/orders/r/1/purge"},
	{"POST", "/t/orders/bulk"},
	{"POST", "/op/1/undo"},
	{"POST", "/"},
	{"DELETE", "/t/orders/r/1"},
}

func opsCount(t *testing.T, db *softdelete.DB) int {
	t.Helper()
	ops, err := db.Operations(context.Background(), softdelete.OpFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(ops)
}

func TestEveryRouteNeedsAuthentication(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		// One delete in the log, so that undo and the trash have something.
		e.post("/t/orders/r/2/delete", url.Values{}).status(303)
		before := opsCount(t, e.db)
		e.user = ""
		form := url.Values{"action": {"delete"}, "key": {"1"}, "reason": {"x"}}
		for _, rt := range routes {
			var f url.Values
			if rt.method == "POST" {
				f = form
			}
			r := e.do(rt.method, rt.path, f)
			if r.Code != http.StatusUnauthorized {
				t.Errorf("%s %s without a user: %d, want 401", rt.method, rt.path, r.Code)
			}
			if strings.Contains(r.Body, "Widget") || strings.Contains(r.Body, "first") {
				t.Errorf("%s %s without a user shows data", rt.method, rt.path)
			}
		}
		// A forged or empty session is no user either.
		r := e.do("GET", "/t/orders", nil, "Cookie", sessionCookie+"=forged")
		r.status(http.StatusUnauthorized)
		if !e.alive("orders", 1) || opsCount(t, e.db) != before {
			t.Fatal("an unauthenticated request changed data")
		}
		// The static assets are public (the sign-in page needs them) and
		// hold no data.
		e.get("/static/style.css").status(200)
	})
}

func TestUnauthenticatedPagesRedirectToLogin(t *testing.T) {
	e := newEnv(t, "sqlite")
	h, err := New(e.db, Options{Authenticate: func(*http.Request) (User, bool) { return User{}, false }, Permissions: AllowAll, LoginURL: "/login"})
	if err != nil {
		t.Fatal(err)
	}
	e.h = http.StripPrefix("/admin", h)
	e.user = ""
	r := e.do("GET", "/admin/t/orders?deleted=only", nil).status(http.StatusSeeOther)
	if got := r.H.Get("Location"); got != "/login?next="+url.QueryEscape("/admin/t/orders?deleted=only") {
		t.Fatalf("Location %q", got)
	}
	e.do("POST", "/admin/t/orders/r/1/delete", url.Values{}).status(http.StatusUnauthorized)
}

func TestNewRequiresAuthenticateAndPermissions(t *testing.T) {
	db := openTest(t, "sqlite")
	if _, err := New(db, Options{Permissions: AllowAll}); err == nil {
		t.Fatal("New without Authenticate")
	}
	if _, err := New(db, Options{Authenticate: func(*http.Request) (User, bool) { return User{}, false }}); err == nil {
		t.Fatal("New without Permissions")
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("New without a DB")
	}
}

func TestCrossOriginPostsRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		loc := e.post("/t/orders/r/2/delete", url.Values{}).status(303).location("/t/orders/r/2/delete")
		opID := mustOp(t, loc)
		before := opsCount(t, e.db)
		posts := []struct {
			path string
			form url.Values
		}{
			{"/t/orders/r/1/delete", url.Values{"reason": {"csrf"}}},
			{"/t/orders/r/2/restore", url.Values{}},
			{"/t/orders/r/2/purge", url.Values{}},
			{"/t/orders/bulk", url.Values{"action": {"delete"}, "key": {"1"}}},
			{"/t/orders/bulk", url.Values{"action": {"restore"}, "all": {"1"}, "deleted": {"only"}}},
			{"/op/" + opID + "/undo", url.Values{}},
		}
		for _, p := range posts {
			for _, hdr := range [][]string{
				{"Sec-Fetch-Site", "cross-site"},
				{"Sec-Fetch-Site", "same-site"},
				{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
				{"Sec-Fetch-Site", "", "Origin", "null"},
			} {
				r := e.do("POST", p.path, p.form, hdr...)
				if r.Code != http.StatusForbidden {
					t.Errorf("POST %s with %v: %d, want 403", p.path, hdr, r.Code)
				}
			}
		}
		if !e.alive("orders", 1) || e.alive("orders", 2) || !e.exists("orders", 2) || opsCount(t, e.db) != before {
			t.Fatal("a cross-origin POST changed data")
		}
		// The same POST from the admin's own origin goes through.
		e.do("POST", "/t/orders/r/1/delete", url.Values{}, "Sec-Fetch-Site", "", "Origin", "http://example.com").status(303)
		if e.alive("orders", 1) {
			t.Fatal("same-origin delete did not delete")
		}
	})
}

func mustOp(t *testing.T, loc string) string {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil || u.Query().Get("op") == "" {
		t.Fatalf("no op in %q", loc)
	}
	return u.Query().Get("op")
}

// No GET changes anything: every page, with every parameter, only reads.
func TestGetNeverChangesState(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, rt := range routes {
		if rt.method == "GET" || rt.method == "HEAD" {
			e.do(rt.method, rt.path, nil)
		}
	}
	if r := e.do("GET", "/op/1/undo", nil); r.Code < 400 {
		t.Fatalf("GET of the undo action: %d", r.Code)
	}
	e.do("GET", "/t/orders/bulk?action=delete&all=1", nil).status(200)
	if n := opsCount(t, e.db); n != 0 || !e.alive("orders", 1) {
		t.Fatalf("GETs changed state: %d operations", n)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, p := range []string{"/", "/t/orders", "/t/orders/r/1", "/trash", "/audit", "/t/nope"} {
		r := e.get(p)
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"Cache-Control":           "no-store",
			"X-Frame-Options":         "DENY",
		} {
			if got := r.H.Get(k); !strings.Contains(got, want) {
				t.Errorf("%s: %s = %q, want %q", p, k, got, want)
			}
		}
		if csp := r.H.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		// No inline script or style, no handler attributes, nothing from
		// another origin.
		for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onload=", "https://", "http://"} {
			if strings.Contains(r.Body, bad) {
				t.Errorf("%s: page holds %q", p, bad)
			}
		}
	}
	e.user = ""
	if r := e.get("/t/orders"); r.H.Get("Content-Security-Policy") == "" || r.H.Get("Cache-Control") != "no-store" {
		t.Fatal("401 page without security headers")
	}
}

func TestRequestBodyLimit(t *testing.T) {
	e := newEnv(t, "sqlite")
	big := url.Values{"reason": {strings.Repeat("x", maxBodyBytes+10)}}
	e.post("/t/orders/r/1/delete", big).status(http.StatusRequestEntityTooLarge)
	if !e.alive("orders", 1) {
		t.Fatal("an oversized request deleted")
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	e := newEnv(t, "sqlite")
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", e.h))
	e.h = mux
	r := e.get("/admin/t/orders").status(200)
	// Links are relative: from /admin/t/orders, "../" is /admin/.
	r.has(`href="../"`, `href="../t/orders/r/1"`, `href="../static/style.css?v=`)
	loc := e.post("/admin/t/orders/r/1/delete", url.Values{}).status(303).location("/admin/t/orders/r/1/delete")
	if !strings.HasPrefix(loc, "/admin/t/orders?op=") {
		t.Fatalf("redirect to %q", loc)
	}
	e.get(loc).status(200).has(`id="flash"`)
	// The bare prefix gets its slash.
	sp := http.StripPrefix("/admin", mustNew(t, e))
	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/admin", nil)
	req.Header.Set("X-Test-User", "alice")
	sp.ServeHTTP(w, req)
	if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/admin/" {
		t.Fatalf("GET /admin: %d %q", w.Code, w.Header().Get("Location"))
	}
}

func mustNew(t *testing.T, e *env) http.Handler {
	h, err := New(e.db, Options{Authenticate: func(r *http.Request) (User, bool) {
		return User{Name: r.Header.Get("X-Test-User")}, r.Header.Get("X-Test-User") != ""
	},
		Permissions: AllowAll, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return h
}
