package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors. Match them with errors.Is; the typed errors below carry
// detail and match the sentinel they refine.
var (
	// ErrNotFound: no alive row matched (a soft-deleted row is "not found"
	// in the default scope). errors.Is(err, sql.ErrNoRows) is true as well.
	ErrNotFound = &notFoundError{}
	// ErrDeleted: the row exists but is soft-deleted, so the requested change
	// (Save, a second soft delete racing the first, ...) was refused.
	ErrDeleted = errors.New("softdelete: row is soft-deleted")
	// ErrNotDeleted: Restore of a row that is alive.
	ErrNotDeleted = errors.New("softdelete: row is not deleted")
	// ErrRestricted: a foreign key with ON DELETE RESTRICT / NO ACTION has
	// live referencing rows; nothing was changed. See *RestrictedError.
	ErrRestricted = errors.New("softdelete: delete restricted by referencing rows")
	// ErrParentDeleted: the row would point at a soft-deleted parent.
	// See *ParentDeletedError.
	ErrParentDeleted = errors.New("softdelete: parent row is soft-deleted")
	// ErrConflict: an alive-only unique key is already taken by a live row.
	// See *ConflictError.
	ErrConflict = errors.New("softdelete: unique key taken by a live row")
	// ErrInvalid: bad input from the caller (unknown column, nil pointer,
	// zero primary key, malformed expression). Nothing was sent to the
	// database.
	ErrInvalid = errors.New("softdelete: invalid argument")
	// ErrSchema: the Go type or the table does not fit softdelete's needs.
	// See *SchemaError.
	ErrSchema = errors.New("softdelete: schema mismatch")
	// ErrClosed: the DB was closed.
	ErrClosed = errors.New("softdelete: database is closed")
	// ErrVetoed: a Before hook refused the operation; nothing changed.
	ErrVetoed = errors.New("softdelete: operation vetoed by hook")
)

type notFoundError struct{}

func (*notFoundError) Error() string { return "softdelete: row not found" }

// Is makes errors.Is(ErrNotFound, sql.ErrNoRows) true, so code written
// against database/sql keeps working.
func (*notFoundError) Is(target error) bool { return target == sql.ErrNoRows }

// SchemaError says which Go field, table or column does not fit.
type SchemaError struct {
	Type   string // Go type, if any
	Field  string // Go field, if any
	Table  string
	Column string
	Msg    string
}

func (e *SchemaError) Error() string {
	var b strings.Builder
	b.WriteString("softdelete: ")
	if e.Type != "" {
		b.WriteString(e.Type)
		if e.Field != "" {
			b.WriteString(".")
			b.WriteString(e.Field)
		}
		b.WriteString(": ")
	}
	if e.Table != "" {
		b.WriteString("table ")
		b.WriteString(e.Table)
		if e.Column != "" {
			b.WriteString(" column ")
			b.WriteString(e.Column)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *SchemaError) Unwrap() error { return ErrSchema }

// RestrictedError lists the referencing tables that blocked a delete.
type RestrictedError struct {
	Table    string           // the table whose rows were being deleted
	Blockers map[string]int64 // referencing table -> live referencing rows

	counts map[string]int64 // what the delete would have hidden (for plans)
}

func (e *RestrictedError) Error() string {
	names := make([]string, 0, len(e.Blockers))
	for t := range e.Blockers {
		names = append(names, t)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, t := range names {
		unit := "rows"
		if e.Blockers[t] == 1 {
			unit = "row"
		}
		parts[i] = fmt.Sprintf("%s (%d %s)", t, e.Blockers[t], unit)
	}
	return fmt.Sprintf("softdelete: delete from %s restricted by live rows in %s; delete or detach them first, or override the relation's rule",
		e.Table, strings.Join(parts, ", "))
}

func (e *RestrictedError) Unwrap() error { return ErrRestricted }

// ParentDeletedError names the foreign key whose parent is soft-deleted.
type ParentDeletedError struct {
	Table       string
	Columns     []string
	ParentTable string
}

func (e *ParentDeletedError) Error() string {
	return fmt.Sprintf("softdelete: %s.%s points at a soft-deleted row of %s; restore the parent first (or restore with parents)",
		e.Table, strings.Join(e.Columns, ","), e.ParentTable)
}

func (e *ParentDeletedError) Unwrap() error { return ErrParentDeleted }

// ConflictError names the alive-only unique key that a change would break.
type ConflictError struct {
	Table   string
	Columns []string
	LiveKey []any // primary key of the live row holding the value, when known
	Err     error // driver error, when the database reported it
}

func (e *ConflictError) Error() string {
	if e.Table == "" {
		return fmt.Sprintf("softdelete: a unique key is taken by a live row: %v", e.Err)
	}
	s := fmt.Sprintf("softdelete: unique key %s(%s) is taken by a live row", e.Table, strings.Join(e.Columns, ","))
	if len(e.LiveKey) > 0 {
		s += fmt.Sprintf(" (primary key %v)", e.LiveKey)
	}
	return s
}

func (e *ConflictError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrConflict, e.Err}
	}
	return []error{ErrConflict}
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// translate maps driver and database/sql errors onto softdelete's errors.
// It is the one place that knows driver error shapes (through the dialect).
func (db *DB) translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed") {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	switch db.dialect.Classify(err) {
	case errUnique:
		return &ConflictError{Err: err}
	case errForeignKey:
		return fmt.Errorf("%w: %w", ErrRestricted, err)
	}
	return err
}
