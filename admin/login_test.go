package admin

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" || parts[1] != "600000" {
		t.Fatalf("hash %q", h)
	}
	ph, err := parseHash(h)
	if err != nil || !ph.matches("correct horse") || ph.matches("correct horse ") || ph.matches("") {
		t.Fatalf("hash does not verify: %v", err)
	}
	h2, _ := HashPassword("correct horse")
	if h2 == h {
		t.Fatal("no salt")
	}
	if _, err := HashPassword(""); err == nil {
		t.Fatal("empty password hashed")
	}
	for _, bad := range []map[string]string{nil, {"ann": "plain"}, {"ann": "pbkdf2-sha256$10$AAAA$AAAA"}, {"": h}, {"a\nb": h}} {
		if _, err := NewPasswordLogin(bad, LoginOptions{}); err == nil {
			t.Errorf("NewPasswordLogin(%v) accepted", bad)
		}
	}
}

type loginEnv struct {
	*env
	l   *PasswordLogin
	now time.Time
}

func newLoginEnv(t *testing.T) *loginEnv {
	t.Helper()
	e := newEnv(t, "sqlite")
	h, err := hashPassword("s3cret pass", 1000) // cheap for the test; HashPassword uses 600000
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewPasswordLogin(map[string]string{"ann": h}, LoginOptions{SessionTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	le := &loginEnv{env: e, l: l, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l.now = func() time.Time { return le.now }
	a, err := NewWithPasswordLogin(e.db, l, Options{Permissions: AllowAll, Logger: slog.New(&failOnError{t: t})})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", a))
	e.h = mux
	e.user = ""
	return le
}

func (le *loginEnv) login(name, pass, next string, hdr ...string) *resp {
	return le.do("POST", "/admin/login", url.Values{"username": {name}, "password": {pass}, "next": {next}}, hdr...)
}

func TestPasswordLoginFlow(t *testing.T) {
	le := newLoginEnv(t)
	// Not signed in: pages send to the sign-in page, with where to come back.
	r := le.get("/admin/t/orders?deleted=only").status(http.StatusSeeOther)
	loc := r.location("/admin/t/orders")
	if loc != "/admin/login?next="+url.QueryEscape("/admin/t/orders?deleted=only") {
		t.Fatalf("login redirect %q", loc)
	}
	le.get(loc).status(200).has(`id="login-form"`, `name="username"`, `name="password"`, `id="login-submit"`,
		`name="next" value="/admin/t/orders?deleted=only"`, `href="./static/style.css?v=`)
	le.do("POST", "/admin/t/orders/r/1/delete", url.Values{}).status(http.StatusUnauthorized)

	le.login("ann", "wrong", "").status(http.StatusUnauthorized).has(`id="login-error"`, "Wrong user name or password")
	le.login("nobody", "s3cret pass", "").status(http.StatusUnauthorized).has("Wrong user name or password")
	// Sign-in from another site is refused (login CSRF).
	le.login("ann", "s3cret pass", "", "Sec-Fetch-Site", "cross-site").status(http.StatusForbidden)

	r = le.login("ann", "s3cret pass", "/admin/t/orders?deleted=only").status(http.StatusSeeOther)
	if got := r.H.Get("Location"); got != "/admin/t/orders?deleted=only" {
		t.Fatalf("after login: %q", got)
	}
	c := sessionOf(t, r)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/admin" || len(c.Value) < 40 {
		t.Fatalf("cookie %+v", c)
	}
	cookie := sessionCookie + "=" + c.Value
	page := le.do("GET", "/admin/t/orders", nil, "Cookie", cookie).status(200)
	page.has(`id="user-name"`, ">ann<", `id="logout-form"`, `action="../logout"`)
	// The signed-in user is the actor.
	le.do("POST", "/admin/t/orders/r/2/delete", url.Values{}, "Cookie", cookie).status(http.StatusSeeOther)
	le.do("GET", "/admin/trash", nil, "Cookie", cookie).status(200).has(`<td class="actor">ann</td>`)

	// next must be a path on this site.
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "javascript:alert(1)", `/\evil.example`, "admin"} {
		r := le.login("ann", "s3cret pass", next).status(http.StatusSeeOther)
		if got := r.H.Get("Location"); got != "./" {
			t.Errorf("next=%q: redirect to %q", next, got)
		}
	}
	// Under TLS the cookie is Secure.
	req := httptest.NewRequest("POST", "https://example.com/admin/login", strings.NewReader(url.Values{"username": {"ann"}, "password": {"s3cret pass"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	le.h.ServeHTTP(w, req)
	if c := sessionOf(t, &resp{Code: w.Code, H: w.Header(), t: t}); !c.Secure {
		t.Fatal("cookie not Secure under TLS")
	}

	// Sessions end.
	le.now = le.now.Add(2 * time.Hour)
	le.do("GET", "/admin/t/orders", nil, "Cookie", cookie).status(http.StatusSeeOther)
	le.now = le.now.Add(-2 * time.Hour)

	// Sign out: the session is gone, even with the old cookie.
	le.do("GET", "/admin/logout", nil, "Cookie", cookie).status(http.StatusMethodNotAllowed)
	le.do("POST", "/admin/logout", url.Values{}, "Cookie", cookie, "Sec-Fetch-Site", "cross-site").status(http.StatusForbidden)
	r = le.do("POST", "/admin/logout", url.Values{}, "Cookie", cookie).status(http.StatusSeeOther)
	if r.H.Get("Location") != "login" || !strings.Contains(r.H.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %q %q", r.H.Get("Location"), r.H.Get("Set-Cookie"))
	}
	le.do("GET", "/admin/t/orders", nil, "Cookie", cookie).status(http.StatusSeeOther)
}

func sessionOf(t *testing.T, r *resp) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.H}).Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no session cookie (status %d)", r.Code)
	return nil
}

func TestLoginAttemptsLimited(t *testing.T) {
	le := newLoginEnv(t)
	for i := 0; i < 5; i++ {
		le.login("ann", "wrong", "").status(http.StatusUnauthorized)
	}
	// The right password is refused too while the name is blocked from
	// this address.
	r := le.login("ann", "s3cret pass", "").status(http.StatusTooManyRequests)
	if r.H.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// Another address is not blocked.
	req := httptest.NewRequest("POST", "/admin/login", strings.NewReader(url.Values{"username": {"ann"}, "password": {"s3cret pass"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "192.0.2.77:1234"
	w := httptest.NewRecorder()
	le.h.ServeHTTP(w, req)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("another address: %d", w.Code)
	}
	// After 15 minutes the name can sign in again.
	le.now = le.now.Add(16 * time.Minute)
	le.login("ann", "s3cret pass", "").status(http.StatusSeeOther)
}
