package softdelete

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"syscall"
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
	// ErrBusy: the database refused the operation for a reason that passes
	// (deadlock, serialization failure, lock wait timeout, Galera
	// certification failure, SQLITE_BUSY/LOCKED); nothing was changed. An
	// operation softdelete runs in its own transaction has already been
	// retried (WithRetry); inside the caller's transaction it comes back at
	// once: roll that transaction back and run it again. See *BusyError.
	ErrBusy = errors.New("softdelete: database busy (deadlock, serialization failure or lock timeout)")
	// ErrConnLost: the connection broke (killed by an administrator, server
	// restart, network). The transaction was rolled back by the server,
	// unless the message says the break came while committing, when the
	// outcome is unknown.
	ErrConnLost = errors.New("softdelete: connection to the database lost")
)

// BusyError is ErrBusy with the driver's error and the number of attempts
// made (1 inside the caller's transaction).
type BusyError struct {
	Attempts int
	Err      error
}

func (e *BusyError) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("softdelete: database busy after %d attempts: %v", e.Attempts, e.Err)
	}
	return fmt.Sprintf("softdelete: database busy: %v", e.Err)
}

func (e *BusyError) Unwrap() []error { return []error{ErrBusy, e.Err} }

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
	Blockers map[string]int64 // referencing table -> live referencing rows (any rows, for DeletePermanently)

	counts map[string]int64 // what the delete would have hidden (for plans)
	hard   bool             // a permanent delete: the blockers are rows alive or deleted
	// setNull names the blockers' ON DELETE SET NULL / SET DEFAULT
	// references soft delete cannot follow (composite keys): "table (cols)".
	setNull []string
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
	if e.hard {
		return fmt.Sprintf("softdelete: permanent delete from %s restricted by rows (alive or deleted) in %s that reference it; delete them for good or detach them first",
			e.Table, strings.Join(parts, ", "))
	}
	if len(e.setNull) > 0 {
		sort.Strings(e.setNull)
		return fmt.Sprintf("softdelete: delete from %s restricted by live rows in %s; %s reference it with ON DELETE SET NULL on a composite key (or from a table with a composite primary key), which soft delete cannot undo exactly: clear those references or delete those rows first, or override the relation's rule (WithRelationRule)",
			e.Table, strings.Join(parts, ", "), strings.Join(e.setNull, ", "))
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
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, ErrBusy) || errors.Is(err, ErrConnLost) || errors.Is(err, ErrClosed) {
		return err // a context error, or translated already
	}
	if errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed") {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	switch db.dialect.Classify(err) {
	case errUnique:
		return &ConflictError{Err: err}
	case errForeignKey:
		return fmt.Errorf("%w: %w", ErrRestricted, err)
	case errBusy:
		return &BusyError{Attempts: 1, Err: err}
	case errConnLost:
		return fmt.Errorf("%w: %w", ErrConnLost, err)
	case errCollation:
		return fmt.Errorf("%w: a foreign key joins text columns of different explicit collations, which the database cannot compare (give the child's column the collation of the parent's key: ALTER TABLE ... ALTER COLUMN ... TYPE text COLLATE ...): %w", ErrSchema, err)
	}
	if connBroken(err) {
		return fmt.Errorf("%w: %w", ErrConnLost, err)
	}
	return err
}

// connBroken recognises, without any driver's types, the errors of a
// connection that is gone: database/sql's ErrBadConn, an unexpected end of
// the stream, a reset or broken socket.
func connBroken(err error) bool {
	var ne *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &ne)
}
