package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/softdelete-go/softdelete"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// staticFiles are the embedded assets with their content hash, which
// versions their URLs.
var staticFiles = func() map[string]staticFile {
	m := map[string]staticFile{}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "static/")] = staticFile{body: b, hash: hex.EncodeToString(sum[:8])}
		return nil
	})
	return m
}()

type staticFile struct {
	body []byte
	hash string
}

func serveStatic(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	f, ok := staticFiles[name]
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	if r.URL.Query().Get("v") == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+f.hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+f.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(f.body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(f.body)
}

// templates holds one template set per page: the layout plus the page.
type templates struct{ pages map[string]*template.Template }

var funcs = template.FuncMap{
	"plural": func(n int64, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	"fmtTime":      fmtTime,
	"fmtWhen":      fmtWhen,
	"sortedCounts": sortedCounts,
	"add":          func(a, b int) int { return a + b },
	"num":          fmtNum,
	"approx":       fmtApprox,
	"int64":        func(n int) int64 { return int64(n) },
	"int":          func(n int64) int { return int(n) },
	"keyLabel":     keyLabel,
}

// fmtNum writes a count with thousands separators.
func fmtNum(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtApprox writes an estimated count rounded to two significant digits,
// with a unit (1.2M, 35K, 990), so that it does not read as exact.
func fmtApprox(n int64) string {
	if n < 0 {
		return "-" + fmtApprox(-n)
	}
	f := float64(n)
	if n >= 100 {
		p := math.Pow(10, math.Floor(math.Log10(f))-1)
		f = math.Round(f/p) * p
	}
	for _, u := range []struct {
		div  float64
		unit string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "K"}} {
		if f >= u.div {
			return strconv.FormatFloat(f/u.div, 'f', -1, 64) + u.unit
		}
	}
	return strconv.FormatFloat(f, 'f', 0, 64)
}

func loadTemplates() (*templates, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		p, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("admin: template %s: %w", base, err)
		}
		t.pages[strings.TrimSuffix(base, ".html")] = p
	}
	return t, nil
}

func (t *templates) render(name string, v any) ([]byte, error) {
	p, ok := t.pages[name]
	if !ok {
		return nil, fmt.Errorf("admin: no template %q", name)
	}
	var b bytes.Buffer
	if err := p.ExecuteTemplate(&b, "layout", v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// view is what every page template gets: the layout's data and the page's.
type view struct {
	AppTitle string
	Title    string
	Page     string // body data-page
	Base     string // relative path to the mount point, ends in "/"
	User     string
	Logout   string // logout action URL ("" when the host handles sign-out)
	Flash    *flash
	Error    *pageError
	Data     any
	perms    Permissions
	user     User
}

// Can reports whether the user may do a on table (templates hide buttons
// with it; handlers check again).
func (v *view) Can(table string, a Action) bool {
	return v.perms != nil && v.perms.Allow(v.user, table, a)
}

// Asset is the versioned URL of an embedded asset.
func (v *view) Asset(name string) string {
	return v.Base + "static/" + name + "?v=" + staticFiles[name].hash
}

// rq is one request to a page: the user, the relative base and helpers.
type rq struct {
	h    *handler
	w    http.ResponseWriter
	r    *http.Request
	u    User
	base string
	ctx  context.Context
	sch  *softdelete.Schema
}

func (h *handler) page(fn func(*rq)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, _ := r.Context().Value(userKey).(User)
		fn(&rq{h: h, w: w, r: r, u: u, base: basePath(r.URL.EscapedPath()), ctx: r.Context()})
	}
}

func (q *rq) can(table string, a Action) bool { return q.h.perms.Allow(q.u, table, a) }

// actx is the context of an action: the user is the actor, the form's
// reason the reason.
func (q *rq) actx() context.Context {
	ctx := softdelete.WithActor(q.ctx, q.u.Name)
	if reason := strings.TrimSpace(q.r.PostFormValue("reason")); reason != "" {
		ctx = softdelete.WithReason(ctx, reason)
	}
	return ctx
}

func (q *rq) view(page, title string, data any) *view {
	v := &view{
		AppTitle: q.h.opts.Title, Title: title, Page: page, Base: q.base,
		User: q.u.Name, Data: data, perms: q.h.perms, user: q.u,
	}
	if q.h.logout != "" {
		v.Logout = q.base + q.h.logout
	}
	v.Flash = q.flash()
	return v
}

// render writes page name with status; a template failure is a 500 and
// nothing of the page is sent.
func (q *rq) render(status int, name string, v *view) {
	b, err := q.h.tpl.render(name, v)
	if err != nil {
		q.h.log.Error("admin: rendering a page", "page", name, "err", err)
		http.Error(q.w, "internal error", http.StatusInternalServerError)
		return
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.Header().Set("Cache-Control", "no-store")
	q.w.WriteHeader(status)
	if q.r.Method != http.MethodHead {
		q.w.Write(b)
	}
}

// redirect sends the client to a URL relative to the mount point with 303
// (after a POST: the result page is a GET). The Location is relative, so
// it works under any prefix.
func (q *rq) redirect(rel string) {
	q.w.Header().Set("Location", q.base+rel)
	q.w.WriteHeader(http.StatusSeeOther)
}

// pageError is an outcome shown to the user as a message: its status, a
// kind for tests and styling, and links that help.
type pageError struct {
	Status  int
	Kind    string
	Title   string
	Message string
	Items   []link // listed under the message (blockers, parents, ...)
	Links   []link // actions
}

type link struct {
	Text   string
	URL    string
	TestID string
	Note   string
}

func (e *pageError) Error() string { return e.Title + ": " + e.Message }

var errNotFoundPage = &pageError{Status: http.StatusNotFound, Kind: "not-found", Title: "Not found", Message: "There is no such page."}

func badRequest(format string, args ...any) *pageError {
	return &pageError{Status: http.StatusBadRequest, Kind: "bad-request", Title: "Bad request", Message: fmt.Sprintf(format, args...)}
}

func forbidden(table string, a Action) *pageError {
	what := map[Action]string{
		ActionView: "see the rows of", ActionViewDeleted: "see the deleted rows of", ActionDelete: "delete rows of",
		ActionRestore: "restore rows of", ActionDeletePermanently: "delete rows permanently from", ActionUndo: "undo operations on",
	}[a]
	return &pageError{Status: http.StatusForbidden, Kind: "forbidden", Title: "Not allowed",
		Message: fmt.Sprintf("You are not allowed to %s %s.", what, table)}
}

// nothingChanged says so under the refusal of an attempted action (a
// POST): every refusal the library reports leaves the data as it was.
func nothingChanged(pe *pageError) *pageError {
	if pe.Status == http.StatusInternalServerError || pe.Kind == "canceled" {
		return pe
	}
	cp := *pe
	cp.Message += " Nothing was changed."
	return &cp
}

// fail renders err as an error page.
func (q *rq) fail(err error) {
	pe := q.explain(err)
	q.render(pe.Status, "error", q.view("error", pe.Title, nil).withError(pe))
}

func (v *view) withError(e *pageError) *view {
	v.Error = e
	return v
}

// explain turns an error into what the user reads. Outcomes that the
// library reports as typed errors are messages with links, never a 500;
// anything else is logged and shown as an internal error without detail.
func (q *rq) explain(err error) *pageError {
	var (
		pe  *pageError
		ce  *softdelete.ConflictError
		pde *softdelete.ParentDeletedError
		re  *softdelete.RestrictedError
		se  *softdelete.StampError
		sce *softdelete.SchemaError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &mbe):
		return &pageError{Status: http.StatusRequestEntityTooLarge, Kind: "too-large", Title: "Request too large",
			Message: fmt.Sprintf("The form sent more than %d bytes; select fewer rows.", mbe.Limit)}
	case errors.As(err, &ce):
		return q.conflictError(ce)
	case errors.As(err, &pde):
		return &pageError{Status: http.StatusConflict, Kind: "parent-deleted", Title: "A parent row is deleted",
			Message: fmt.Sprintf("%s.%s points at a deleted row of %s: restore that row first, or restore with parents.",
				pde.Table, strings.Join(pde.Columns, ", "), pde.ParentTable)}
	case errors.As(err, &re):
		return q.restrictedError(re, nil)
	case errors.As(err, &se):
		return &pageError{Status: http.StatusConflict, Kind: "stamp-precision", Title: "The soft-delete column is not precise enough",
			Message: fmt.Sprintf("%s.%s (%s) cannot tell one operation's rows from another's; `softdelete adopt` changes it to %s.", se.Table, se.Column, se.Type, se.Want)}
	case errors.As(err, &sce):
		return &pageError{Status: http.StatusConflict, Kind: "schema", Title: "Not possible on this table", Message: strings.TrimPrefix(sce.Error(), "softdelete: ")}
	case errors.Is(err, softdelete.ErrNotFound):
		return &pageError{Status: http.StatusNotFound, Kind: "not-found", Title: "Not found", Message: libMessage(err)}
	case errors.Is(err, softdelete.ErrDeleted):
		return &pageError{Status: http.StatusConflict, Kind: "deleted", Title: "The row is deleted", Message: "The row is deleted (perhaps by someone else meanwhile)."}
	case errors.Is(err, softdelete.ErrNotDeleted):
		return &pageError{Status: http.StatusConflict, Kind: "not-deleted", Title: "The row is not deleted", Message: "The row is alive (perhaps restored by someone else meanwhile)."}
	case errors.Is(err, softdelete.ErrVetoed):
		return &pageError{Status: http.StatusConflict, Kind: "vetoed", Title: "Refused by the application", Message: libMessage(err)}
	case errors.Is(err, softdelete.ErrBusy):
		return &pageError{Status: http.StatusServiceUnavailable, Kind: "busy", Title: "The database is busy", Message: "The database refused the change for a reason that passes (lock or deadlock). Try again."}
	case errors.Is(err, softdelete.ErrConnLost):
		return &pageError{Status: http.StatusServiceUnavailable, Kind: "conn-lost", Title: "Connection to the database lost", Message: libMessage(err)}
	case errors.Is(err, softdelete.ErrInvalid):
		return &pageError{Status: http.StatusBadRequest, Kind: "bad-request", Title: "Bad request", Message: libMessage(err)}
	case errors.Is(err, softdelete.ErrSchema):
		return &pageError{Status: http.StatusConflict, Kind: "schema", Title: "Not possible on this table", Message: libMessage(err)}
	case errors.Is(err, context.Canceled):
		return &pageError{Status: 499, Kind: "canceled", Title: "Canceled", Message: "The request was canceled."}
	}
	q.h.log.Error("admin: request failed", "method", q.r.Method, "path", q.r.URL.Path, "user", q.u.Name, "err", err)
	return &pageError{Status: http.StatusInternalServerError, Kind: "internal", Title: "Internal error", Message: "Something went wrong on the server; it was logged."}
}

func libMessage(err error) string {
	s := strings.TrimPrefix(err.Error(), "softdelete: ")
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

func (q *rq) conflictError(ce *softdelete.ConflictError) *pageError {
	pe := &pageError{Status: http.StatusConflict, Kind: "conflict", Title: "A unique value is taken"}
	if ce.Table == "" {
		pe.Message = "A unique key is already taken by a live row."
		return pe
	}
	pe.Message = fmt.Sprintf("The unique key %s(%s) is already held by a live row, so this row cannot come back. Change or delete the live row first.",
		ce.Table, strings.Join(ce.Columns, ", "))
	if len(ce.LiveKey) > 0 {
		pe.Links = append(pe.Links, link{Text: "The live row holding it: " + ce.Table + " " + keyLabel(ce.LiveKey),
			URL: q.base + rowRel(ce.Table, ce.LiveKey, ""), TestID: "conflict-live-row"})
	}
	return pe
}

// restrictedError lists the blockers of a delete, each linked to the child
// table filtered on the rows that reference the deleted row when the
// schema tells how (links may be nil).
func (q *rq) restrictedError(re *softdelete.RestrictedError, links map[string]string) *pageError {
	pe := &pageError{Status: http.StatusConflict, Kind: "restricted", Title: "The delete is blocked",
		Message: "Live rows refer to what this delete would hide, through foreign keys that RESTRICT it. Delete or detach them first."}
	pe.Items = q.blockerLinks(re.Blockers, links, true)
	return pe
}

// blockerLinks: live says the counts are of live rows (a soft delete's
// blockers); else of rows alive or deleted (a permanent delete's).
func (q *rq) blockerLinks(blockers map[string]int64, links map[string]string, live bool) []link {
	var out []link
	what := ""
	if live {
		what = "live "
	}
	for _, tc := range sortedCounts(blockers) {
		u := links[tc.Table]
		if u == "" {
			u = q.base + tableRel(tc.Table, nil)
		}
		out = append(out, link{Text: tc.Table, URL: u, TestID: "blocker-link",
			Note: fmt.Sprintf("%d %s%s", tc.N, what, pluralS(tc.N, "row", "rows"))})
	}
	return out
}

func pluralS(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// plainError renders a message page outside a signed-in request (no user,
// no navigation).
func (h *handler) plainError(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	q := &rq{h: h, w: w, r: r, base: basePath(r.URL.EscapedPath()), ctx: r.Context()}
	v := &view{AppTitle: h.opts.Title, Title: title, Page: "error", Base: q.base,
		Error: &pageError{Status: status, Kind: http.StatusText(status), Title: title, Message: msg}}
	q.render(status, "error", v)
}

type tableCount struct {
	Table string
	N     int64
}

func sortedCounts(m map[string]int64) []tableCount {
	out := make([]tableCount, 0, len(m))
	for t, n := range m {
		out = append(out, tableCount{t, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Table < out[j].Table })
	return out
}

// fmtTime shows a time value whole (microseconds when it has them), in UTC.
func fmtTime(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return ""
		}
		if v.Nanosecond() == 0 {
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return v.UTC().Format("2006-01-02 15:04:05.000000 UTC")
	case *time.Time:
		if v == nil {
			return ""
		}
		return fmtTime(*v)
	}
	return fmt.Sprint(t)
}

// fmtWhen is a time in a list, to the second.
func fmtWhen(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}
