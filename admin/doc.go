// Package admin is a web admin for a softdelete database: see every table
// with its alive and deleted rows, delete with a confirmation that lists
// what the delete will hide (and what blocks it), restore (with parents),
// delete permanently, run bulk actions, undo operations from the trash, and
// read the audit log. Pages are server-rendered html/template with one
// embedded stylesheet and one small script (optional: every page works
// without it); no inline script, no CDN, no build step.
//
//	h, err := admin.New(db, admin.Options{
//		Authenticate: myAuth,          // required: func(*http.Request) (admin.User, bool)
//		Permissions:  admin.AllowAll,  // required: AllowAll, ReadOnly or your own
//	})
//	mux.Handle("/admin/", http.StripPrefix("/admin", h))
//
// Hosts without their own sign-in use PasswordLogin (PBKDF2 password
// hashes, in-memory sessions, limited attempts) with NewWithPasswordLogin.
//
// # Security
//
// Every page and action needs an authenticated user (the static CSS and
// JS, which hold no data, and the sign-in page are the only public paths).
// Permissions are asked per table and action on the server; buttons for
// actions the user may not take are not shown. Every state change is a POST
// checked by http.CrossOriginProtection (Sec-Fetch-Site, else Origin against
// Host); no GET changes anything. Responses carry a Content-Security-Policy
// without inline script or style and with frame-ancestors 'none',
// X-Content-Type-Options: nosniff, Referrer-Policy: same-origin,
// X-Frame-Options: DENY, and Cache-Control: no-store on every page with
// data. Request bodies are limited to 1 MiB and bulk actions to
// Options.MaxBulk rows. Every table, column, sort and filter name is looked
// up in the schema; an unknown one is a 400 that says so and never reaches
// SQL. Outcomes the library reports as typed errors (conflict, deleted
// parent, RESTRICT, busy, ...) are messages with links, never a 500: on a
// confirmation page (a GET that answers "what would this do?") a 200
// showing the refusal, on the POST a 4xx saying nothing changed. The
// user is the actor of every operation (softdelete.WithActor) and each
// destructive form has a reason field (softdelete.WithReason).
//
// # URLs (relative to the mount point)
//
//	GET  /                          overview: every table, alive / deleted counts (DB.TableCounts:
//	                                exact up to 10,000 rows, else estimated and shown as "≈ 1.2M")
//	GET  /t/{table}                 rows: ?deleted=alive|all|only (default alive), q= (search),
//	                                match=prefix|exact|contains (default prefix: the indexed text
//	                                columns start with q; contains reads every text column of every row),
//	                                f.{column}= (equality filter), sort={column} or sort=-{column},
//	                                after= (cursor of the next page, from the "next page" link)
//	GET  /t/{table}/r/{key}         one row; {key} is the primary key's values joined by ","
//	                                (each value with "%" and "," escaped as %25, %2C; a key of one
//	                                empty string is %00), then path-escaped: /t/orders/r/5,
//	                                /t/order_items/r/5,2
//	GET  /t/{table}/r/{key}/delete  delete confirmation (PlanDelete); POST deletes
//	GET  /t/{table}/r/{key}/restore restore confirmation (PlanRestore); POST restores
//	GET  /t/{table}/r/{key}/purge   delete-permanently confirmation (deleted rows only; what the
//	                                database's foreign keys do to the rows referring to it); POST
//	                                deletes for good (DeletePermanently, logged with actor and reason)
//	GET  /t/{table}/bulk            bulk confirmation; POST runs it (see the form fields)
//	GET  /trash                     delete operations that still hide rows, newest first (?before={op id} pages)
//	GET  /trash/{op}                one operation (any kind); for a delete, the rows it still hides (?t={table}&after={cursor})
//	GET  /audit                     every operation: ?table= &actor= &kind= &since= &until= (UTC, 2006-01-02[T15:04]) &before=
//	POST /op/{id}/undo              undo a delete operation
//	GET/POST /login, POST /logout   with NewWithPasswordLogin only
//
// After an action the admin redirects (303) to a page with ?op={id}: that
// page shows a message (#flash) saying what the operation did, with an Undo
// button for a delete.
//
// # Form fields
//
//	every action         reason (optional, recorded with the operation)
//	restore              with_parents=1 restores deleted parents first (RestoreWithParents)
//	bulk (GET and POST)  action=delete|restore|purge; either key={key} (repeated: a selection)
//	                     or all=1 with the table page's deleted, q, f.{column} (every row matching
//	                     now, re-read when the POST runs); with_parents=1 for a restore
//	undo                 back: the admin page to return to (trash, audit, t/...)
//	login                username, password, next (a path on this site)
//
// # Stable hooks for browser tests
//
// Every page: body[data-page] is one of login, overview, table, row, delete,
// restore, purge, bulk, trash, op, audit, error. Header: #nav-overview,
// #nav-trash, #nav-audit, #user-name, #logout-form (button #logout).
// Messages: #flash (data-op, data-op-kind; text in #flash-message, link
// #flash-op-link) with #undo-form / #undo-button; errors: #error
// [data-kind] (conflict, parent-deleted, restricted, not-found, deleted,
// not-deleted, forbidden, bad-request, busy, too-large, vetoed, schema,
// internal, ...) holding #error-title, #error-message, #error-items (li
// links [data-testid=blocker-link] or [data-testid=parent-link], each with
// data-table) and links such as #conflict-live-row.
//
//	login     #login-form, #username, #password, #login-submit, #login-error
//	overview  table#tables, tr[data-table] (data-estimated), td.alive-count / td.deleted-count [data-count],
//	          a.table-link, a.deleted-link, abbr.estimated
//	table     #table-name, #deleted-filter[data-scope] with #scope-alive, #scope-all, #scope-only
//	          (the active one has class "active" and aria-current), #search-form, #search,
//	          #search-submit, #clear-filters, #filters (input[data-testid=filter-{column}]),
//	          table#rows with th a[data-testid=sort-{column}], tr[data-testid=row][data-key][data-deleted] (data-key: the key as in the row's URL)
//	          (deleted rows: class "deleted", a[data-testid=hidden-by-op]), #no-rows,
//	          #bulk-form: #select-all, input.row-select[name=key], #bulk-delete, #bulk-restore, #bulk-purge;
//	          #bulk-all-form: #bulk-all-delete, #bulk-all-restore, #bulk-all-purge; #next-page, #first-page
//	row       #row-key, #row-deleted / #row-alive, #row-status[data-deleted], #hidden-by-op,
//	          #row-actions: #delete-link, #restore-link, #purge-link; dl#row-fields .field[data-column]
//	          (a.parent-link); ul#parents li[data-table][data-columns][data-deleted] (a[data-testid=parent-row]);
//	          table#children tr[data-table][data-columns] with
//	          a[data-testid=children-alive] / a[data-testid=children-deleted]
//	delete    #row-link, #plan[data-allowed] (tr[data-table] td.count[data-count]), #nulled,
//	          #delete-form, #reason, #confirm-delete, #cancel; blocked: #error[data-kind=restricted]
//	restore   #plan (tr[data-table] td.count[data-count]), #restore-form, #confirm-restore;
//	          parent deleted: #error[data-kind=parent-deleted], #restore-with-parents (its counts),
//	          #restore-with-parents-form, #confirm-restore-with-parents; conflict: #error[data-kind=conflict],
//	          #conflict-live-row
//	purge     #purge-warning, #purge-refs (tr[data-table][data-rule] td.count[data-count]), #purge-form,
//	          #confirm-purge; alive row: #error[data-kind=not-deleted]; blocked: #error[data-kind=restricted]
//	bulk      confirm: #bulk-confirm[data-count][data-action], #bulk-count[data-count], #bulk-preview,
//	          #bulk-confirm-form, #with-parents, #confirm-bulk, #bulk-nothing, #error[data-kind=too-many];
//	          result: #bulk-result[data-done][data-total], #bulk-summary ("X of Y done."),
//	          ul#bulk-failures li[data-key][data-kind], #bulk-done; #back-to-table
//	trash     table#trash tr[data-op][data-table] (data-testid=trash-op), span.count-chip[data-table][data-count],
//	          form.undo-form[data-op] with button[data-testid=undo-{op}], #trash-empty, #next-page
//	op        #op-kind, #op-summary, #op-details (#op-actor, #op-reason, #op-target, #op-undone-by),
//	          #undo-form / #undo-button, section.hidden-table[data-table] a[data-testid=hidden-row], a.next-keys
//	audit     #audit-filter (#audit-table, #audit-actor, #audit-kind, #audit-since, #audit-until,
//	          #audit-submit, #audit-clear), table#audit tr[data-op][data-kind][data-table], #audit-empty
package admin
