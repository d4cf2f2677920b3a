package admin

import (
	"net/url"
	"strings"
	"testing"
)

var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
	`'><svg onload=alert(1)>`,
}

// A row holding XSS payloads in every text column, an operation whose
// actor and reason hold them, and requests that echo them: every page
// shows them as text.
func TestXSSPayloadsRenderInert(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		p := xssPayloads
		q := func(s string) string { return strings.ReplaceAll(s, "'", "''") }
		e.exec(
			`INSERT INTO customers (id, name, email) VALUES (66, '`+q(p[0])+`', '`+q(p[1])+`')`,
			`INSERT INTO orders (id, customer_id, note) VALUES (66, 66, '`+q(p[1]+p[3])+`')`,
			`INSERT INTO settings (k, v) VALUES ('`+q(p[0])+`', '`+q(p[1])+`')`,
		)
		e.user = p[1] // the actor's name is shown on every page and in the log
		loc := e.post("/t/orders/r/66/delete", url.Values{"reason": {p[0] + p[1]}}).status(303).location("/t/orders/r/66/delete")
		op := mustOp(t, loc)
		pages := []string{
			"/",
			"/t/customers",
			"/t/customers?q=" + url.QueryEscape(p[0]),
			"/t/customers?f.name=" + url.QueryEscape(p[0]),
			"/t/customers/r/66",
			"/t/customers/r/66/delete",
			"/t/orders?deleted=all",
			"/t/orders/r/66",
			"/t/settings",
			"/t/settings/r/" + url.PathEscape(encodeKey([]any{p[0]})),
			"/t/customers/bulk?action=delete&all=1&q=" + url.QueryEscape(p[1]),
			"/t/customers/bulk?action=delete&key=66",
			"/trash",
			"/trash/" + op,
			"/audit",
			"/audit?actor=" + url.QueryEscape(p[1]),
			loc,
			"/t/" + url.PathEscape(p[0]),
			"/t/customers?sort=" + url.QueryEscape(p[1]),
			"/t/customers?f." + url.QueryEscape(p[0]) + "=1",
		}
		for _, pg := range pages {
			r := e.get(pg)
			for _, s := range []string{"<script>alert", "<img src=x", "<svg onload", `href="javascript:`} {
				if strings.Contains(r.Body, s) {
					t.Errorf("%s: the page holds %q raw", pg, s)
				}
			}
			if strings.Count(r.Body, "<script") != strings.Count(r.Body, `<script src="`) {
				t.Errorf("%s: a script element that is not the admin's own", pg)
			}
		}
		// The payloads are there, as text.
		e.get("/t/customers/r/66").has("&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;")
		e.get("/trash").has("&lt;script&gt;alert(1)&lt;/script&gt;")
	})
}
