package admin

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/softdelete-go/softdelete"
)

// Passwords are kept as PBKDF2-SHA256 hashes: "pbkdf2-sha256$ITER$SALT$HASH"
// with SALT and HASH in unpadded standard base64.
const (
	hashScheme     = "pbkdf2-sha256"
	hashIterations = 600_000 // OWASP's 2023 figure for PBKDF2-HMAC-SHA256
	hashSaltLen    = 16
	hashKeyLen     = 32
	maxPasswordLen = 1024
)

// HashPassword hashes a password for NewPasswordLogin: PBKDF2-SHA256 with a
// random salt, encoded "pbkdf2-sha256$iter$salt$hash".
func HashPassword(password string) (string, error) {
	return hashPassword(password, hashIterations)
}

func hashPassword(password string, iter int) (string, error) {
	if password == "" {
		return "", errors.New("admin: empty password")
	}
	if len(password) > maxPasswordLen {
		return "", fmt.Errorf("admin: password longer than %d bytes", maxPasswordLen)
	}
	salt := make([]byte, hashSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, iter, hashKeyLen)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return hashScheme + "$" + strconv.Itoa(iter) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

type passwordHash struct {
	iter       int
	salt, hash []byte
}

func parseHash(s string) (passwordHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 || parts[0] != hashScheme {
		return passwordHash{}, errors.New("not a " + hashScheme + "$iter$salt$hash string (use admin.HashPassword)")
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1000 || iter > 100_000_000 {
		return passwordHash{}, errors.New("iteration count out of range")
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[2])
	if err != nil || len(salt) < 8 {
		return passwordHash{}, errors.New("bad salt")
	}
	hash, err := enc.DecodeString(parts[3])
	if err != nil || len(hash) < 16 {
		return passwordHash{}, errors.New("bad hash")
	}
	return passwordHash{iter, salt, hash}, nil
}

func (ph passwordHash) matches(password string) bool {
	if len(password) > maxPasswordLen {
		return false
	}
	key, err := pbkdf2.Key(sha256.New, password, ph.salt, ph.iter, len(ph.hash))
	return err == nil && subtle.ConstantTimeCompare(key, ph.hash) == 1
}

// LoginOptions configure a PasswordLogin.
type LoginOptions struct {
	// SessionTTL is how long a sign-in lasts (default 12 hours).
	SessionTTL time.Duration
	// MaxAttempts is how many failed sign-ins one user name may have from
	// one IP address in 15 minutes before further ones are refused
	// (default 5).
	MaxAttempts int
	// Secure marks the session cookie Secure. It is set anyway on requests
	// that came over TLS; set it behind a TLS-terminating proxy.
	Secure bool
}

const attemptWindow = 15 * time.Minute

// PasswordLogin is a built-in sign-in with user names and password hashes,
// for hosts without their own: sessions are kept in memory (a restart signs
// everyone out) and carried by an HttpOnly, SameSite=Lax cookie holding a
// random token; failed attempts are limited per user name and IP address.
type PasswordLogin struct {
	users    map[string]passwordHash
	dummy    passwordHash // compared when the name is unknown, so timing does not tell names
	ttl      time.Duration
	max      int
	secure   bool
	verifier chan struct{} // bounds concurrent hash checks (CPU)

	mu       sync.Mutex
	sessions map[[32]byte]session
	attempts map[string][]time.Time
	now      func() time.Time
}

type session struct {
	user    string
	expires time.Time
}

const sessionCookie = "softdelete_admin_session"

// NewPasswordLogin returns a PasswordLogin for users (name -> HashPassword
// output).
func NewPasswordLogin(users map[string]string, opts LoginOptions) (*PasswordLogin, error) {
	if len(users) == 0 {
		return nil, errors.New("admin: NewPasswordLogin needs at least one user")
	}
	l := &PasswordLogin{
		users: map[string]passwordHash{}, ttl: opts.SessionTTL, max: opts.MaxAttempts, secure: opts.Secure,
		verifier: make(chan struct{}, max(1, runtime.GOMAXPROCS(0))),
		sessions: map[[32]byte]session{}, attempts: map[string][]time.Time{}, now: time.Now,
	}
	if l.ttl <= 0 {
		l.ttl = 12 * time.Hour
	}
	if l.max <= 0 {
		l.max = 5
	}
	var iter int
	for name, h := range users {
		if name == "" || len(name) > softdelete.MaxActorLen || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return nil, fmt.Errorf("admin: user name %q: empty, too long or holding control characters", name)
		}
		ph, err := parseHash(h)
		if err != nil {
			return nil, fmt.Errorf("admin: password hash of %q: %v", name, err)
		}
		l.users[name] = ph
		iter = max(iter, ph.iter)
	}
	l.dummy = passwordHash{iter: iter, salt: make([]byte, hashSaltLen), hash: make([]byte, hashKeyLen)}
	_, _ = rand.Read(l.dummy.salt)
	return l, nil
}

func tokenHash(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// Authenticate returns the signed-in user of the request (Options.Authenticate).
func (l *PasswordLogin) Authenticate(r *http.Request) (User, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return User{}, false
	}
	h := tokenHash(c.Value)
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sessions[h]
	if !ok {
		return User{}, false
	}
	if !l.now().Before(s.expires) {
		delete(l.sessions, h)
		return User{}, false
	}
	if _, ok := l.users[s.user]; !ok {
		return User{}, false
	}
	return User{Name: s.user}, true
}

// Handler serves the sign-in page (GET), sign-in (POST) and, on a path
// whose last segment is "logout", sign-out (POST). After sign-in it
// redirects to the form's next (a path on this site) or "/".
func (l *PasswordLogin) Handler() http.Handler {
	return &loginHandler{l: l, cop: http.NewCrossOriginProtection(), title: defaultTitle, home: "/", cookiePath: func(*http.Request) string { return "/" }}
}

type loginHandler struct {
	l          *PasswordLogin
	cop        *http.CrossOriginProtection
	title      string
	home       string // where to go after sign-in without next; relative to the login page
	logoutOnly bool
	loginRel   string // the login page, relative to the logout action
	cookiePath func(*http.Request) string
	assets     bool // the admin's static assets are served next to the login page
}

func (lh *loginHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-store")
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	}
	if err := lh.cop.Check(r); err != nil {
		lh.page(w, r, http.StatusForbidden, "This request came from another site, so it was refused.", "")
		return
	}
	if lh.logoutOnly || strings.HasSuffix(r.URL.Path, "/logout") {
		lh.logout(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		lh.page(w, r, http.StatusOK, "", r.URL.Query().Get("next"))
	case http.MethodPost:
		lh.login(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

type loginData struct {
	Next    string
	Name    string
	Message string
}

func (lh *loginHandler) page(w http.ResponseWriter, r *http.Request, status int, msg, next string) {
	d := &loginData{Next: safeNext(next), Message: msg}
	v := &view{AppTitle: lh.title, Title: "Sign in", Page: "login", Data: d}
	if lh.assets {
		v.Base = basePath(r.URL.EscapedPath())
	}
	if r.Method == http.MethodPost {
		d.Name = r.PostFormValue("username")
	}
	b, err := loginTemplates().render("login", v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

var loginTpl struct {
	once sync.Once
	t    *templates
}

func loginTemplates() *templates {
	loginTpl.once.Do(func() {
		t, err := loadTemplates()
		if err != nil {
			panic(err)
		}
		loginTpl.t = t
	})
	return loginTpl.t
}

// safeNext keeps a redirect target only when it is a path on this site.
func safeNext(next string) string {
	if next == "" || len(next) > 4096 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return ""
	}
	return next
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (lh *loginHandler) login(w http.ResponseWriter, r *http.Request) {
	l := lh.l
	if err := r.ParseForm(); err != nil {
		lh.page(w, r, http.StatusBadRequest, "The form could not be read.", "")
		return
	}
	name, password, next := r.PostFormValue("username"), r.PostFormValue("password"), r.PostFormValue("next")
	key := name + "\x00" + clientIP(r)
	if wait := l.blocked(key); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		lh.page(w, r, http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins for this name: try again in %d minutes.", int(wait.Minutes())+1), next)
		return
	}
	ph, known := l.users[name]
	if !known {
		ph = l.dummy
	}
	ok, err := l.verify(r.Context(), ph, password)
	if err != nil {
		lh.page(w, r, http.StatusServiceUnavailable, "The sign-in was canceled.", next)
		return
	}
	if !ok || !known {
		l.fail(key)
		lh.page(w, r, http.StatusUnauthorized, "Wrong user name or password.", next)
		return
	}
	l.succeed(key)
	token, err := l.newSession(name)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: lh.cookiePath(r), HttpOnly: true,
		Secure: l.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: int(l.ttl.Seconds()),
	})
	target := safeNext(next)
	if target == "" {
		target = lh.home
	}
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}

// verify compares a password with a hash, a bounded number at a time: each
// costs about as much CPU as it should cost an attacker.
func (l *PasswordLogin) verify(ctx context.Context, ph passwordHash, password string) (bool, error) {
	select {
	case l.verifier <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-l.verifier }()
	return ph.matches(password), nil
}

func (l *PasswordLogin) blocked(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	recent := pruneAttempts(l.attempts[key], now)
	if len(recent) == 0 {
		delete(l.attempts, key)
		return 0
	}
	l.attempts[key] = recent
	if len(recent) < l.max {
		return 0
	}
	return recent[0].Add(attemptWindow).Sub(now)
}

func pruneAttempts(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= attemptWindow {
		i++
	}
	return ts[i:]
}

func (l *PasswordLogin) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.attempts) > 10_000 {
		for k, ts := range l.attempts {
			if len(pruneAttempts(ts, now)) == 0 {
				delete(l.attempts, k)
			}
		}
	}
	l.attempts[key] = append(pruneAttempts(l.attempts[key], now), now)
}

func (l *PasswordLogin) succeed(key string) {
	l.mu.Lock()
	delete(l.attempts, key)
	l.mu.Unlock()
}

func (l *PasswordLogin) newSession(name string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for h, s := range l.sessions {
		if !now.Before(s.expires) {
			delete(l.sessions, h)
		}
	}
	l.sessions[tokenHash(token)] = session{user: name, expires: now.Add(l.ttl)}
	return token, nil
}

func (lh *loginHandler) logout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "sign out with POST", http.StatusMethodNotAllowed)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		h := tokenHash(c.Value)
		lh.l.mu.Lock()
		delete(lh.l.sessions, h)
		lh.l.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: lh.cookiePath(r), HttpOnly: true,
		Secure: lh.l.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	target := lh.loginRel
	if target == "" {
		target = "./"
	}
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}

// NewWithPasswordLogin returns the admin with l's sign-in pages mounted
// next to it: "/login" (GET, POST) and "/logout" (POST) relative to the
// mount point; everything else is the admin. Unless opts.Authenticate or
// opts.LoginURL are set, they are l's.
func NewWithPasswordLogin(db *softdelete.DB, l *PasswordLogin, opts Options) (http.Handler, error) {
	if l == nil {
		return nil, errors.New("admin: nil *PasswordLogin")
	}
	if opts.Authenticate == nil {
		opts.Authenticate = l.Authenticate
	}
	h, err := newHandler(db, opts)
	if err != nil {
		return nil, err
	}
	cookiePath := func(r *http.Request) string {
		if p := mountPrefix(r); p != "" {
			return p
		}
		return "/"
	}
	title := h.opts.Title
	h.public["/login"] = &loginHandler{l: l, cop: h.cop, title: title, home: "./", cookiePath: cookiePath, assets: true}
	h.public["/logout"] = &loginHandler{l: l, cop: h.cop, title: title, logoutOnly: true, loginRel: "login", cookiePath: cookiePath, assets: true}
	h.logout = "logout"
	if opts.LoginURL == "" {
		h.loginPath = "login"
	}
	return h, nil
}
