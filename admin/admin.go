package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/softdelete-go/softdelete"
)

// Options configure the admin. Authenticate and Permissions are required.
type Options struct {
	// Authenticate returns the user of a request, or ok=false. Required:
	// New fails without it. Every page and action asks it first.
	Authenticate func(r *http.Request) (User, bool)
	// LoginURL: unauthenticated browser requests for pages are redirected
	// here, with ?next= the page asked for; without it they get 401.
	LoginURL string
	// Permissions is asked per table and action. Required (pass
	// admin.AllowAll or admin.ReadOnly explicitly).
	Permissions Permissions
	// Title is shown in the header (default "softdelete admin").
	Title string
	// MaxBulk caps the rows of one bulk action (default 1000).
	MaxBulk int
	// Logger receives server errors and every action taken (default
	// slog.Default()).
	Logger *slog.Logger
}

const (
	defaultTitle   = "softdelete admin"
	defaultMaxBulk = 1000
	maxBodyBytes   = 1 << 20 // forms are small; a bulk selection of MaxBulk keys fits
	pageSize       = 50
)

// handler is the admin's http.Handler.
type handler struct {
	db    *softdelete.DB
	opts  Options
	perms Permissions
	log   *slog.Logger
	mux   *http.ServeMux
	cop   *http.CrossOriginProtection
	tpl   *templates
	// exactUpTo: the overview counts tables up to this many rows exactly
	// (exactCountUpTo; tests lower it); countBudget: how long it waits for
	// counts (countBudget).
	exactUpTo   int64
	countBudget time.Duration
	// logout is the path, relative to the mount point, of the logout
	// action when the admin serves a PasswordLogin ("" otherwise).
	logout string
	// loginPath is the relative login path when the admin serves its own
	// PasswordLogin and the host set no LoginURL.
	loginPath string
	// public serves paths (relative to the mount point) without
	// authentication: the PasswordLogin's login and logout.
	public map[string]http.Handler
}

// New returns the admin for db as an http.Handler. It can be mounted under
// any path prefix (for example behind http.StripPrefix): every link it
// renders and every redirect it sends is relative.
func New(db *softdelete.DB, opts Options) (http.Handler, error) {
	h, err := newHandler(db, opts)
	if err != nil {
		return nil, err
	}
	return h, nil
}

func newHandler(db *softdelete.DB, opts Options) (*handler, error) {
	if db == nil {
		return nil, errors.New("admin: nil *softdelete.DB")
	}
	if opts.Authenticate == nil {
		return nil, errors.New("admin: Options.Authenticate is required (the admin serves nothing without authentication)")
	}
	if opts.Permissions == nil {
		return nil, errors.New("admin: Options.Permissions is required (pass admin.AllowAll or admin.ReadOnly explicitly)")
	}
	if opts.LoginURL != "" {
		u, err := url.Parse(opts.LoginURL)
		if err != nil || u.Scheme != "" && u.Scheme != "https" && u.Scheme != "http" {
			return nil, errors.New("admin: Options.LoginURL is not a usable URL")
		}
	}
	if opts.Title == "" {
		opts.Title = defaultTitle
	}
	if opts.MaxBulk <= 0 {
		opts.MaxBulk = defaultMaxBulk
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	tpl, err := loadTemplates()
	if err != nil {
		return nil, err
	}
	h := &handler{
		db:     db,
		opts:   opts,
		perms:  opts.Permissions,
		log:    opts.Logger,
		mux:    http.NewServeMux(),
		cop:    http.NewCrossOriginProtection(),
		tpl:    tpl,
		public: map[string]http.Handler{},

		exactUpTo:   exactCountUpTo,
		countBudget: countBudget,
	}
	h.routes()
	return h, nil
}

func (h *handler) routes() {
	m := h.mux
	m.HandleFunc("GET /{$}", h.page(h.overview))
	m.HandleFunc("GET /t/{table}", h.page(h.tablePage))
	m.HandleFunc("GET /t/{table}/bulk", h.page(h.bulkConfirm))
	m.HandleFunc("POST /t/{table}/bulk", h.page(h.bulkDo))
	m.HandleFunc("GET /t/{table}/r/{key}", h.page(h.rowPage))
	m.HandleFunc("GET /t/{table}/r/{key}/delete", h.page(h.deleteConfirm))
	m.HandleFunc("POST /t/{table}/r/{key}/delete", h.page(h.deleteDo))
	m.HandleFunc("GET /t/{table}/r/{key}/restore", h.page(h.restoreConfirm))
	m.HandleFunc("POST /t/{table}/r/{key}/restore", h.page(h.restoreDo))
	m.HandleFunc("GET /t/{table}/r/{key}/purge", h.page(h.purgeConfirm))
	m.HandleFunc("POST /t/{table}/r/{key}/purge", h.page(h.purgeDo))
	m.HandleFunc("GET /trash", h.page(h.trash))
	m.HandleFunc("GET /trash/{op}", h.page(h.trashOp))
	m.HandleFunc("GET /audit", h.page(h.audit))
	m.HandleFunc("POST /op/{id}/undo", h.page(h.undo))
	m.HandleFunc("/", h.page(func(q *rq) { q.fail(errNotFoundPage) }))
}

type ctxKeyT int

const userKey ctxKeyT = 0

// ServeHTTP applies, in this order: security headers and the body limit on
// every response; the public static assets (CSS, JS) and login pages; the
// cross-origin check on every state-changing method; authentication; then
// the page, which checks permissions.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	}
	p := r.URL.EscapedPath()
	if p == "" {
		// Mounted behind StripPrefix("/admin") and asked for "/admin":
		// relative links need the trailing slash.
		w.Header().Set("Location", requestPath(r)+"/"+queryPart(r))
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	if strings.HasPrefix(p, "/static/") {
		serveStatic(w, r)
		return
	}
	if err := h.cop.Check(r); err != nil {
		h.plainError(w, r, http.StatusForbidden, "Cross-origin request refused", "This request came from another site, so it was refused: nothing was changed.")
		return
	}
	if ph, ok := h.public[p]; ok {
		ph.ServeHTTP(w, r)
		return
	}
	u, ok := h.opts.Authenticate(r)
	if !ok {
		h.unauthenticated(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
}

// unauthenticated sends browsers asking for a page to the login page, and
// refuses everything else with 401.
func (h *handler) unauthenticated(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	login := h.opts.LoginURL
	if login == "" && h.loginPath != "" {
		login = basePath(r.URL.EscapedPath()) + h.loginPath
	}
	if login != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		sep := "?"
		if strings.Contains(login, "?") {
			sep = "&"
		}
		w.Header().Set("Location", login+sep+"next="+url.QueryEscape(r.RequestURI))
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	h.plainError(w, r, http.StatusUnauthorized, "Sign in required", "This page needs a signed-in user.")
}

// requestPath is the path the client asked for, before any StripPrefix.
func requestPath(r *http.Request) string {
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && u.EscapedPath() != "" {
		return u.EscapedPath()
	}
	return r.URL.EscapedPath()
}

func queryPart(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

// mountPrefix is the part of the client's path that a StripPrefix in front
// of the admin removed ("" when mounted at the root).
func mountPrefix(r *http.Request) string {
	full, p := requestPath(r), r.URL.EscapedPath()
	if strings.HasSuffix(full, p) {
		return strings.TrimSuffix(full, p)
	}
	return ""
}

// basePath is the relative path from the page at p (a path below the mount
// point) back to the mount point: "./" for "/", "../" for "/t/orders", ...
func basePath(p string) string {
	n := strings.Count(p, "/") - 1
	if n <= 0 {
		return "./"
	}
	return strings.Repeat("../", n)
}

func setSecurityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
}
