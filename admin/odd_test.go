package admin

import (
	"net/url"
	"strings"
	"testing"
)

// Table names, column names and key values that need escaping in a URL
// (space, slash, comma, percent, quote, non-ASCII) address the right rows.
func TestOddNamesAndKeys(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.exec(`CREATE TABLE "odd table" (k TEXT NOT NULL PRIMARY KEY, "col,1" TEXT, deleted_at DATETIME)`)
	e.exec(`CREATE TABLE "two keys" (a TEXT NOT NULL, b INTEGER NOT NULL, v TEXT, deleted_at DATETIME, PRIMARY KEY (a, b))`)
	keys := []string{"a/b", "c,d", "100%", `q"uote`, "é ü", "..", "x?y#z"}
	for i, k := range keys {
		e.exec(`INSERT INTO "odd table" (k, "col,1") VALUES ('` + k + `', 'value ` + string(rune('A'+i)) + `')`)
		e.exec(`INSERT INTO "two keys" (a, b, v) VALUES ('` + k + `', 7, 'pair ` + string(rune('A'+i)) + `')`)
	}
	if err := e.db.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	page := e.get("/t/" + url.PathEscape("odd table")).status(200)
	for i, k := range keys {
		href := "../t/odd%20table/r/" + url.PathEscape(encodeKey([]any{k}))
		page.has(`href="` + strings.ReplaceAll(href, "&", "&amp;") + `"`)
		r := e.get("/" + strings.TrimPrefix(href, "../")).status(200)
		r.has("value " + string(rune('A'+i)))
		two := "/t/" + url.PathEscape("two keys") + "/r/" + url.PathEscape(encodeKey([]any{k, int64(7)}))
		e.get(two).status(200).has("pair " + string(rune('A'+i)))
	}
	// Filters on an odd column name.
	e.get("/t/" + url.PathEscape("odd table") + "?f." + url.QueryEscape("col,1") + "=" + url.QueryEscape("value C")).status(200).has(`data-key="100%25"`).lacks(`data-key="a/b"`)
	// Delete and restore through the escaped URLs.
	del := "/t/" + url.PathEscape("odd table") + "/r/" + url.PathEscape(encodeKey([]any{"c,d"}))
	e.get(del + "/delete").status(200).has(`id="confirm-delete"`)
	e.post(del+"/delete", url.Values{}).status(303)
	e.get(del).status(200).has(`id="row-deleted"`)
	e.post(del+"/restore", url.Values{}).status(303)
	e.get(del).status(200).has(`id="row-alive"`)
}
