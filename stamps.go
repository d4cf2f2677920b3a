package softdelete

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// An operation is its stamp: the deleted_at value a delete writes on every
// row it hides. That identity holds only if the value is matched exactly,
// whatever wrote it and however the session is configured. So stamps are
// never re-formatted on their way back: a stamp read from a row is read
// without the driver's time parsing or the session's time zone (StampRead)
// and bound back as it was (SQLite: the stored value itself; MariaDB: the
// instant, through FROM_UNIXTIME for TIMESTAMP columns), and cut-offs are
// compared in a normalised form (SQLite: unixepoch of any text format,
// integer or real). Columns that cannot hold a unique microsecond stamp
// are refused where a stamp has to identify rows (stampCheck).

// ErrStampPrecision: the soft-delete column cannot tell one operation's
// rows from another's (it keeps less than microseconds), so an operation
// that matches rows by their stamp (a cascade, its restore, an undo) was
// refused before anything changed. See *StampError.
var ErrStampPrecision = errors.New("softdelete: soft-delete column cannot identify an operation")

// StampError says which column cannot hold an exact operation stamp, why,
// and what `softdelete adopt` changes. It matches ErrStampPrecision and
// ErrSchema.
type StampError struct {
	Op     string // what was refused: "delete", "restore" or "undo"
	Table  string
	Column string
	Type   string // the column's type as the database reports it
	// Want is the type `softdelete adopt` changes the column to.
	Want string
}

func (e *StampError) Error() string {
	return fmt.Sprintf("softdelete: %s refused: %s; %s", e.Op, stampProblemText(e.Table, e.Column, e.Type), stampFixText(e.Table, e.Column, e.Want))
}

func (e *StampError) Unwrap() error { return ErrStampPrecision }

// Is makes errors.Is(err, ErrSchema) true too.
func (e *StampError) Is(target error) bool { return target == ErrSchema }

func stampProblemText(tbl, col, typ string) string {
	return fmt.Sprintf("%s.%s is %s, which keeps less than microseconds: operations in the same second or millisecond would share a stamp, so rows cascaded, restored or undone by stamp could not be told apart (the rounded value also matches no parent)", tbl, col, typ)
}

func stampFixText(tbl, col, want string) string {
	return fmt.Sprintf("`softdelete adopt --table %s` changes %s to %s", tbl, col, want)
}

// stamp is an operation's identity as one column holds it.
type stamp struct {
	at  time.Time // the instant, UTC, microseconds (zero if a foreign value cannot be read as a time)
	raw any       // SQLite: the value exactly as the row stores it; nil: written from at
}

func ourStamp(t time.Time) stamp { return stamp{at: t} }

// stampExact reports whether t's soft-delete column keeps a microsecond
// stamp (or the dialect cannot tell, in which case nothing is refused).
func (t *table) stampExact() bool { return t.stampPrec < 0 || t.stampPrec >= 6 }

// stampCheck refuses, before anything is written, an operation on root
// whose rows could not be matched to it exactly: one that writes or
// matches stamps on a table whose column rounds them. A delete or restore
// that reaches no soft-deletable dependant needs no stamp to identify its
// rows (a restore selects the row by its key and its own stored value), so
// it is allowed on any column; an undo always selects by stamp.
// (A RESTRICT / NO ACTION reference counts as a dependant: its check finds
// the rows just hidden by their stamp.)
func (db *DB) stampCheck(s *schema, root *table, op string) error {
	if !root.soft() {
		return nil
	}
	if op != OpUndo && !stampDependants(s, root) {
		return nil
	}
	seen := map[string]bool{root.Name: true}
	queue := []*table{root}
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		if !t.stampExact() {
			c, _ := t.column(t.SoftCol)
			return &StampError{Op: op, Table: t.Name, Column: t.SoftCol, Type: c.Type, Want: db.dialect.StampWiden(c.Type)}
		}
		for _, fk := range t.In {
			c := s.tables[fk.Child]
			if c == nil || !c.soft() || fk.Rule != Cascade || seen[c.Name] {
				continue
			}
			seen[c.Name] = true
			queue = append(queue, c)
		}
	}
	return nil
}

// stampDependants reports whether a delete or restore of rows of t reads
// or writes stamps beyond those rows: soft-deletable rows it cascades to or
// whose SET NULL references it clears, and the RESTRICT / NO ACTION checks,
// which find the parents just hidden by their stamp.
func stampDependants(s *schema, t *table) bool {
	for _, fk := range t.In {
		c := s.tables[fk.Child]
		if c == nil {
			continue
		}
		switch fk.Rule {
		case Restrict, NoAction:
			return true
		case Cascade, SetNull, SetDefault:
			if c.soft() {
				return true
			}
		}
	}
	return false
}

// stampProblem is doctor's finding for a column that rounds stamps, in
// the words of StampError.
func (db *DB) stampProblem(t *table) (problem, fix string, bad bool) {
	if !t.soft() || t.stampExact() {
		return "", "", false
	}
	c, _ := t.column(t.SoftCol)
	return stampProblemText(t.Name, t.SoftCol, c.Type) + "; cascading deletes, their restores and undo are refused (deletes and restores of rows nothing references still work)",
		stampFixText(t.Name, t.SoftCol, db.dialect.StampWiden(c.Type)), true
}

// stampArg writes the SQL value of st for t's soft-delete column.
func (db *DB) stampArg(b *sqlBuilder, t *table, st stamp) {
	if st.raw != nil {
		b.arg(st.raw)
		return
	}
	db.dialect.StampValue(b, st.at, t.stampZoned)
}

// stampEq writes alias.col = <st>.
func (db *DB) stampEq(b *sqlBuilder, alias string, t *table, st stamp) {
	b.qualified(alias, t.SoftCol)
	b.WriteString(" = ")
	db.stampArg(b, t, st)
}

// stampBefore writes "alias.col IS NOT NULL AND <the stamp is before
// cut>", comparing instants whatever the stored format or session zone.
func (db *DB) stampBefore(b *sqlBuilder, alias string, t *table, cut time.Time) {
	col := t.SoftCol
	if alias != "" {
		col = alias + "." + db.dialect.Quote(col)
	} else {
		col = db.dialect.Quote(col)
	}
	b.WriteString(col)
	b.WriteString(" IS NOT NULL AND ")
	db.dialect.StampBefore(b, col, t.stampZoned, cut)
}

// stampReadExpr is the select expression that reads t's stamp exactly.
func (db *DB) stampReadExpr(alias string, t *table) string {
	col := db.dialect.Quote(t.SoftCol)
	if alias != "" {
		col = alias + "." + col
	}
	return db.dialect.StampRead(col, t.stampZoned)
}

// stampScanner scans what StampRead selected; NULL leaves ok false.
type stampScanner struct {
	d  dialect
	st *stamp
	ok *bool
}

func (s stampScanner) Scan(src any) error {
	if src == nil {
		*s.ok = false
		return nil
	}
	st, err := s.d.ScanStamp(src)
	if err != nil {
		return err
	}
	*s.st, *s.ok = st, true
	return nil
}

// typePrecision returns n from "type(n) ..." or def.
func typePrecision(typ string, def int) int {
	i := strings.IndexByte(typ, '(')
	if i < 0 {
		return def
	}
	j := strings.IndexByte(typ[i:], ')')
	if j < 0 {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(typ[i+1 : i+j]))
	if err != nil {
		return def
	}
	return n
}

// epochMicros formats t as seconds since the epoch with six decimals.
func epochMicros(t time.Time) string {
	us := t.UnixMicro()
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	return fmt.Sprintf("%s%d.%06d", sign, us/1_000_000, us%1_000_000)
}

// parseEpoch reads "seconds[.fraction]" (MariaDB's UNIX_TIMESTAMP).
func parseEpoch(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("softdelete: cannot read stamp %q: %w", s, err)
	}
	frac = (frac + "000000")[:6]
	us, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("softdelete: cannot read stamp %q: %w", s, err)
	}
	total := n*1_000_000 + us
	if neg {
		total = -total
	}
	return time.UnixMicro(total).UTC(), nil
}

// firstDue is the first stamp a purge may remove: earlier values are
// markers other tools write for "no instant", not deletion times (Go's
// zero time 0001-01-01 00:00:00 in any offset, PostgreSQL -infinity and
// dates before year 1, MariaDB's zero date, SQLite's integer 0 read as a
// julian day and the other small numbers read as julian days before year
// 1). Removing a row is irreversible, and no real deletion happened then.
// The epoch (1970-01-01 00:00:00 UTC as a time: to_timestamp(0),
// FROM_UNIXTIME(0), '1970-01-01 00:00:00') stays an instant, due like any
// other on every dialect (leaving it out cost 17 % on SQLite's per-row
// stamp expression). Doctor reports all of these (sentinel.go).
var firstDue = time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)

// lastMilliBefore is the last millisecond before t's millisecond, as
// seconds: an instant x rounded down to the millisecond is before t
// rounded down (a row is never taken before its time, at most it waits a
// millisecond longer) exactly when x <= lastMilliBefore(t): both sides
// are integer milliseconds divided by 1000, correctly rounded, as SQLite's
// unixepoch 'subsec' computes them.
func lastMilliBefore(t time.Time) float64 {
	ms := t.UnixMilli()
	if t.Before(time.UnixMilli(ms)) {
		ms--
	}
	return float64(ms-1) / 1000.0
}

// foreignTime reads a value another tool stored as a time, best effort:
// text in the formats SQLite and Go write, unix seconds, julian days.
func foreignTime(v any) time.Time {
	switch x := v.(type) {
	case string:
		if t, ok, err := parseTimeText(x); err == nil && ok {
			return t.Truncate(time.Microsecond)
		}
	case int64:
		if x >= 0 && x < 5373485 {
			// A julian day, as SQLite's 'auto' reads it (and the purge
			// compares it): julianday() of a noon is a whole number, which
			// a DATETIME column (NUMERIC affinity) stores as an integer.
			return foreignTime(float64(x))
		}
		return time.Unix(x, 0).UTC()
	case float64:
		if x >= 0 && x < 5373484.5 { // a julian day number (SQLite's 'auto' rule)
			x = (x - 2440587.5) * 86400
		}
		sec, frac := math.Modf(x)
		return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC()
	}
	return time.Time{}
}

// stampCopy is the expression that copies the stamp of alias's row of
// from into the soft-delete column of to (nil: softdelete's own tables),
// keeping the instant where the two columns differ in kind (MariaDB
// TIMESTAMP and DATETIME).
func (db *DB) stampCopy(alias string, from, to *table) string {
	expr := alias + "." + db.dialect.Quote(from.SoftCol)
	toZoned := to != nil && to.stampZoned
	if from.stampZoned == toZoned {
		return expr
	}
	return db.dialect.StampCopy(expr, from.stampZoned, toZoned)
}

// hidingOp is the subquery that reads column col ("id", "rules") of the
// logged operation whose stamp the row alias of t carries: the delete that
// hid it (the log's stamps are unique).
func (db *DB) hidingOp(alias string, t *table, col string) string {
	return "(SELECT o." + col + " FROM softdelete_operations o WHERE o.stamp = " + db.stampCopy(alias, t, nil) + ")"
}
