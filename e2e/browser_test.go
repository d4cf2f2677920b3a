// Package e2e drives the admin in headless Chromium (chromedp) on the demo
// shop, on SQLite, PostgreSQL and MariaDB. The tests skip when no Chromium
// is installed, unless SOFTDELETE_REQUIRE_ALL_DBS=1 (then they fail):
// .ci/run installs Debian's chromium. SOFTDELETE_CHROMIUM names another
// binary. SOFTDELETE_SCREENSHOTS=DIR (relative to the module root) writes
// screenshots of the main pages, taken on SQLite, as the README shows them.
package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/softdelete-go/softdelete/admin"
	"github.com/softdelete-go/softdelete/internal/demoshop"
	"github.com/softdelete-go/softdelete/internal/testdb"
)

const (
	user     = "alice"
	password = "correct horse battery staple"
)

func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SOFTDELETE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(name); err == nil {
			return name
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if testdb.RequireAll() {
		t.Fatal("no Chromium at /usr/bin/chromium and SOFTDELETE_REQUIRE_ALL_DBS=1 (apt-get install chromium; .ci/run does)")
	}
	t.Skip("no Chromium at /usr/bin/chromium: apt-get install chromium (or set SOFTDELETE_CHROMIUM)")
	return ""
}

// screenshotDir is where screenshots go, or "" when none are wanted.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("SOFTDELETE_SCREENSHOTS")
	if dir == "" {
		return ""
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir) // tests run in e2e/
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shop serves the admin on a fresh demo shop of the dialect and returns
// its URL (without a trailing slash).
func shop(t *testing.T, dialect, hash string) string {
	t.Helper()
	db := testdb.Open(t, dialect)
	if err := demoshop.Create(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	login, err := admin.NewPasswordLogin(map[string]string{user: hash}, admin.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := admin.NewWithPasswordLogin(db, login, admin.Options{
		Authenticate: login.Authenticate, Permissions: admin.AllowAll, Title: "softdelete demo shop",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// page is one browser tab on one admin.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string // screenshots, or ""
}

func (p *page) fatalf(format string, args ...any) {
	p.t.Helper()
	loc, _ := chromedp.Run(p.ctx, chromedp.Location())
	body, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	p.t.Fatalf(format+"\n-- at %s:\n%s", append(args, loc, body)...)
}

// open navigates to path (relative to the admin) and wants status 200.
func (p *page) open(path string) {
	p.t.Helper()
	resp, err := chromedp.Run(p.ctx, chromedp.NavigateResponse(p.base+path))
	if err != nil {
		p.fatalf("open %s: %v", path, err)
	}
	if resp.Status != 200 {
		p.fatalf("open %s: status %d", path, resp.Status)
	}
}

// text is what the page shows.
func (p *page) text() string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		p.fatalf("reading the page: %v", err)
	}
	return s
}

// see wants every part in the page's text.
func (p *page) see(parts ...string) {
	p.t.Helper()
	txt := p.text()
	for _, s := range parts {
		if !strings.Contains(txt, s) {
			p.fatalf("the page does not show %q", s)
		}
	}
}

// notSee wants none of the parts in the page's text.
func (p *page) notSee(parts ...string) {
	p.t.Helper()
	txt := p.text()
	for _, s := range parts {
		if strings.Contains(txt, s) {
			p.fatalf("the page shows %q", s)
		}
	}
}

// submit clicks the element matched by sel (a CSS selector or XPath; a
// button or link) and waits for the page it leads to.
func (p *page) submit(sel string) {
	p.t.Helper()
	resp, err := chromedp.RunResponse(p.ctx, chromedp.Click(chromedp.Search(sel)))
	if err != nil {
		p.fatalf("click %s: %v", sel, err)
	}
	if resp != nil && resp.Status >= 500 {
		p.fatalf("click %s: status %d", sel, resp.Status)
	}
}

// fill types value into the field matched by the CSS selector.
func (p *page) fill(sel, value string) {
	p.t.Helper()
	clear := chromedp.Evaluate[bool](`(function(){var e=document.querySelector(` + strconv.Quote(sel) + `);if(!e)return false;e.value="";return true})()`)
	if ok, err := chromedp.Run(p.ctx, clear); err != nil || !ok {
		p.fatalf("fill %s: no such field (%v)", sel, err)
	}
	if err := chromedp.Do(p.ctx, chromedp.SendKeys(chromedp.CSS(sel), value)); err != nil {
		p.fatalf("fill %s: %v", sel, err)
	}
}

// shot saves a screenshot of the viewport as name.png when screenshots
// are wanted.
func (p *page) shot(name string) {
	p.t.Helper()
	if p.dir == "" {
		return
	}
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func TestBrowser(t *testing.T) {
	exe := chromium(t)
	hash, err := admin.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.WindowSize(1280, 860),
	)...)
	t.Cleanup(cancel) // parallel subtests run after this function returns
	browser, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", exe, err)
	}
	shots := screenshotDir(t)
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			base := shop(t, d, hash)
			// Each dialect in its own browser context: its own cookies
			// (cookies do not tell ports apart).
			tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
			defer cancel()
			tab, cancel = context.WithTimeout(tab, 3*time.Minute) // generous: CI runs every package at once
			defer cancel()
			p := &page{t: t, ctx: tab, base: base}
			var dialogs atomic.Int32
			if err := chromedp.Listen(tab, func(ev any) {
				if _, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
					dialogs.Add(1)
				}
			}); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if n := dialogs.Load(); n > 0 {
					t.Errorf("%d script dialogs opened: markup from the data ran", n)
				}
			}()
			if d == "sqlite" {
				p.dir = shots
			}
			walk(p)
		})
	}
}

// count is the number of elements matching the CSS selector.
func (p *page) count(sel string) int {
	p.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
	if err != nil {
		p.fatalf("count %s: %v", sel, err)
	}
	return n
}

// attr is the attribute of the first element matching the CSS selector,
// or "" (and ok false) when there is none.
func (p *page) attr(sel, name string) (string, bool) {
	p.t.Helper()
	js := `(function(){var e=document.querySelector(` + strconv.Quote(sel) + `);return e?[e.getAttribute(` + strconv.Quote(name) + `)||"",true]:["",false]})()`
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]any](js))
	if err != nil {
		p.fatalf("attribute %s of %s: %v", name, sel, err)
	}
	ok, _ := v[1].(bool)
	str, _ := v[0].(string)
	return str, ok
}

// wantCount fails unless n elements match the CSS selector.
func (p *page) wantCount(sel string, n int) {
	p.t.Helper()
	if got := p.count(sel); got != n {
		p.fatalf("%d elements match %s, want %d", got, sel, n)
	}
}

// wantAttr fails unless the first element matching sel has the attribute
// with that value.
func (p *page) wantAttr(sel, name, want string) {
	p.t.Helper()
	got, ok := p.attr(sel, name)
	if !ok {
		p.fatalf("no element matches %s", sel)
	}
	if got != want {
		p.fatalf("%s %s=%q, want %q", sel, name, got, want)
	}
}

// at fails unless the page's URL path (and query) ends with suffix.
func (p *page) at(suffix string) {
	p.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.fatalf("location: %v", err)
	}
	if !strings.HasSuffix(loc, suffix) {
		p.fatalf("at %s, want ...%s", loc, suffix)
	}
}

// walk is the acceptance path of issue 10 on the demo shop, each step
// checking what the page shows.
func walk(p *page) {
	p.t.Helper()
	row := `tr[data-testid="row"]`
	deletedRow := `tr[data-testid="row"][data-deleted="true"]`

	// Log in: the admin sends a browser without a session to the login
	// page, which then leads back.
	p.open("/t/orders")
	p.at("/login?next=%2Ft%2Forders")
	p.wantCount("#login-form", 1)
	p.fill("#username", user)
	p.fill("#password", "not the password")
	p.submit("#login-submit")
	p.wantCount("#login-error", 1)
	p.fill("#username", user)
	p.fill("#password", password)
	p.submit("#login-submit")
	p.at("/t/orders")
	p.see(user)
	p.open("/")
	for tbl, n := range map[string][2]int{"customers": {6, 2}, "products": {8, 2}, "orders": {7, 3}, "order_items": {11, 4}, "reviews": {8, 3}} {
		p.wantAttr(`#tables tr[data-table="`+tbl+`"] td.alive-count`, "data-count", strconv.Itoa(n[0]))
		p.wantAttr(`#tables tr[data-table="`+tbl+`"] td.deleted-count`, "data-count", strconv.Itoa(n[1]))
	}
	p.shot("overview")

	// Show deleted: the Deleted filter has three states and stays in the
	// URL; deleted rows are marked with the operation that hid them.
	p.open("/t/orders")
	p.wantCount(row, 7)
	p.wantCount(deletedRow, 0)
	p.wantAttr("#deleted-filter", "data-scope", "alive")
	p.submit("#scope-all")
	p.at("/t/orders?deleted=all")
	p.wantAttr("#deleted-filter", "data-scope", "all")
	p.wantCount(row, 10)
	p.wantCount(deletedRow, 3)
	p.wantCount(deletedRow+` a[data-testid="hidden-by-op"]`, 3)
	p.see("deleted")
	p.shot("table-show-deleted")
	p.submit("#scope-only")
	p.at("/t/orders?deleted=only")
	p.wantCount(row, 3)
	p.wantCount(deletedRow, 3)

	// Delete an order from its confirmation page: the page lists what the
	// delete will hide (its 3 items, CASCADE); after it, the items are gone
	// from the alive view, and the row says which operation hid it.
	p.open(fmt.Sprintf("/t/orders/r/%d", demoshop.OrderWithItems))
	p.wantCount("#row-alive", 1)
	p.wantAttr(`#children tr[data-table="order_items"] td.alive-count`, "data-count", "3")
	p.shot("row")
	p.submit("#delete-link")
	p.at(fmt.Sprintf("/t/orders/r/%d/delete", demoshop.OrderWithItems))
	p.wantAttr("#plan", "data-allowed", "true")
	p.wantAttr(`#plan tr[data-table="order_items"] td.count`, "data-count", strconv.Itoa(demoshop.OrderItemCount))
	p.wantAttr(`#plan tr[data-table="orders"] td.count`, "data-count", "1")
	p.fill("#reason", "browser test: wrong address")
	p.shot("delete-confirm")
	p.submit("#confirm-delete")
	p.wantCount("#flash", 1)
	p.wantCount("#undo-button", 1)
	p.shot("after-delete")
	p.open(fmt.Sprintf("/t/order_items?f.order_id=%d", demoshop.OrderWithItems))
	p.wantCount(row, 0)
	p.wantCount("#no-rows", 1)
	p.open(fmt.Sprintf("/t/order_items?deleted=all&f.order_id=%d", demoshop.OrderWithItems))
	p.wantCount(deletedRow, demoshop.OrderItemCount)
	p.open(fmt.Sprintf("/t/orders/r/%d", demoshop.OrderWithItems))
	p.wantCount("#row-deleted", 1)
	p.see("browser test: wrong address", user)

	// Restore it: the items come back with it.
	p.submit("#restore-link")
	p.at(fmt.Sprintf("/t/orders/r/%d/restore", demoshop.OrderWithItems))
	p.fill("#reason", "browser test: address fixed")
	p.submit("#confirm-restore")
	p.wantCount("#flash", 1)
	p.open(fmt.Sprintf("/t/order_items?f.order_id=%d", demoshop.OrderWithItems))
	p.wantCount(row, demoshop.OrderItemCount)
	p.wantCount(deletedRow, 0)
	p.open(fmt.Sprintf("/t/orders/r/%d", demoshop.OrderWithItems))
	p.wantCount("#row-alive", 1)

	// A cancelled order of an erased customer: restoring it needs its
	// parent, and the page offers "restore with parents".
	// The confirmation page answers from the restore's plan: no plain
	// Restore button, the offer and what it brings back.
	p.open(fmt.Sprintf("/t/orders/r/%d/restore", demoshop.OrphanedOrder))
	p.wantAttr("#error", "data-kind", "parent-deleted")
	p.wantCount("#confirm-restore", 0)
	p.wantCount("#restore-with-parents", 1)
	p.wantAttr(`#restore-with-parents tr[data-table="customers"] td.count`, "data-count", "1")
	p.see("with parents")

	// Undo an operation from the trash: the erasure of customer 6 comes
	// back whole (customer, order, items, and the reviews' customer_id).
	p.open("/trash")
	p.see(demoshop.ErasureReason, demoshop.ErasureActor, demoshop.SpamReason)
	p.shot("trash")
	id := ""
	for _, tr := range p.trashOps() {
		if tr.reason == demoshop.ErasureReason {
			id = tr.op
		}
	}
	if id == "" {
		p.fatalf("no trash row for %q", demoshop.ErasureReason)
	}
	p.submit(`button[data-testid="undo-` + id + `"]`)
	p.wantCount("#flash", 1)
	p.notSee(demoshop.ErasureReason)
	p.open(fmt.Sprintf("/t/customers/r/%d", demoshop.ErasedCustomer))
	p.wantCount("#row-alive", 1)
	p.open(fmt.Sprintf("/t/reviews?f.customer_id=%d", demoshop.ErasedCustomer))
	p.wantCount(row, 2)

	// A RESTRICT blocker: the keyboard is in alive order items; the
	// confirmation page says so, links them, and offers no Delete.
	p.open(fmt.Sprintf("/t/products/r/%d/delete", demoshop.BlockedProduct))
	p.wantAttr("#error", "data-kind", "restricted")
	p.wantCount("#confirm-delete", 0)
	p.see("The delete is blocked", "RESTRICT", "order_items", "2 live rows")
	p.wantCount(`a[data-testid="blocker-link"]`, 1)
	p.shot("delete-blocked")
	p.submit(`a[data-testid="blocker-link"]`)
	p.at(fmt.Sprintf("f.product_id=%d", demoshop.BlockedProduct))
	p.wantCount(row, 2)

	// A restore conflict: customer 7's email is held by customer 8; the
	// message names the key and links the live row.
	p.open(fmt.Sprintf("/t/customers/r/%d/restore", demoshop.ConflictCustomer))
	p.wantAttr("#error", "data-kind", "conflict")
	p.wantCount("#confirm-restore", 0)
	p.see("A unique value is taken", "customers(email)")
	p.shot("restore-conflict")
	p.submit(`a[data-testid="conflict-live-row"]`)
	p.at(fmt.Sprintf("/t/customers/r/%d", demoshop.ConflictHolder))
	p.see(demoshop.ConflictEmail)

	// Delete permanently a discontinued product (deleted, nothing refers
	// to it): its own confirmation page, then it is gone for good.
	p.open(fmt.Sprintf("/t/products/r/%d", demoshop.DiscontinuedProduct))
	p.wantCount("#row-deleted", 1)
	p.submit("#purge-link")
	p.at(fmt.Sprintf("/t/products/r/%d/purge", demoshop.DiscontinuedProduct))
	p.see("for good")
	p.fill("#reason", "browser test: never coming back")
	p.shot("purge-confirm")
	p.submit("#confirm-purge")
	p.wantCount("#flash", 1)
	p.see(fmt.Sprintf("Deleted permanently products %d", demoshop.DiscontinuedProduct))
	p.open("/t/products?deleted=only")
	p.wantCount(row, 1)

	// Bulk restore on "all matching": the three spam reviews.
	p.open("/t/reviews?deleted=only")
	p.wantCount(row, demoshop.SpamReviews)
	p.submit("#bulk-all-restore")
	p.wantAttr("#bulk-count", "data-count", strconv.Itoa(demoshop.SpamReviews))
	p.fill("#reason", "browser test: not spam after all")
	p.submit("#confirm-bulk")
	p.wantAttr("#bulk-result", "data-done", strconv.Itoa(demoshop.SpamReviews))
	p.wantAttr("#bulk-result", "data-total", strconv.Itoa(demoshop.SpamReviews))
	p.see(fmt.Sprintf("%d of %d done", demoshop.SpamReviews, demoshop.SpamReviews))
	p.shot("bulk-result")
	p.open("/t/reviews?deleted=only")
	p.wantCount(row, 0)

	// Markup in a row renders as text.
	p.open(fmt.Sprintf("/t/reviews/r/%d", demoshop.XSSReview))
	p.see(demoshop.XSSBody)
	p.wantCount(`img[src="x"]`, 0)

	// The audit lists every operation, the browser's under its user.
	p.open("/audit")
	p.see(user, "browser test: not spam after all", "browser test: never coming back", demoshop.ErasureActor)
	p.shot("audit")

	// On a phone: the page itself does not scroll sideways (wide tables
	// scroll in their own box), and the Deleted filter stays in view.
	if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		p.fatalf("phone viewport: %v", err)
	}
	for _, path := range []string{"/", "/t/orders?deleted=all", fmt.Sprintf("/t/orders/r/%d/delete", demoshop.OrderWithItems), "/trash"} {
		p.open(path)
		w, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil || w > 390 {
			p.fatalf("on a 390 px wide phone, %s is %d px wide (%v)", path, w, err)
		}
		if path == "/t/orders?deleted=all" {
			p.wantCount("#scope-all.active", 1)
			p.shot("phone-table")
		}
	}
}

type trashOp struct{ op, reason string }

func (p *page) trashOps() []trashOp {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll('tr[data-testid="trash-op"]')).map(function(tr){var r=tr.querySelector("td.reason");return [tr.getAttribute("data-op"), r?r.innerText:""]})`))
	if err != nil {
		p.fatalf("trash rows: %v", err)
	}
	var out []trashOp
	for _, r := range v {
		out = append(out, trashOp{r[0], strings.TrimSpace(r[1])})
	}
	return out
}
