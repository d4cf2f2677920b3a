package admin

// User is who makes a request, as the host's Authenticate tells it. Its
// Name becomes the actor of every operation the user runs
// (softdelete.WithActor).
type User struct{ Name string }

// Action is what a user may do with a table.
type Action string

// Actions checked per table. Every page and every button asks for the one it
// needs; a button is shown only when the action is allowed, and the server
// checks again when it is used (403 otherwise).
const (
	ActionView              Action = "view"               // see the table's alive rows
	ActionViewDeleted       Action = "view-deleted"       // see deleted rows (Show deleted, trash)
	ActionDelete            Action = "delete"             // soft delete
	ActionRestore           Action = "restore"            // restore, restore with parents
	ActionDeletePermanently Action = "delete-permanently" // remove deleted rows for good
	ActionUndo              Action = "undo"               // undo a delete operation (its root table)
)

// Permissions decides what a user may do with a table. Operations (trash,
// audit, undo) are checked against their root table. The overview, trash and
// audit pages themselves are open to every authenticated user; what they list
// is filtered per table (a table the user may not view is not listed, an
// operation whose root table the user may not view is not shown).
type Permissions interface {
	Allow(u User, table string, a Action) bool
}

// PermissionsFunc adapts a function to Permissions.
type PermissionsFunc func(u User, table string, a Action) bool

// Allow calls f.
func (f PermissionsFunc) Allow(u User, table string, a Action) bool { return f(u, table, a) }

var (
	// AllowAll lets every authenticated user do everything. Hosts must
	// choose it explicitly: Options.Permissions has no default.
	AllowAll Permissions = PermissionsFunc(func(User, string, Action) bool { return true })
	// ReadOnly lets every authenticated user see alive and deleted rows,
	// the trash and the audit log, and change nothing.
	ReadOnly Permissions = PermissionsFunc(func(_ User, _ string, a Action) bool {
		return a == ActionView || a == ActionViewDeleted
	})
)
