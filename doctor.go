package softdelete

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Severity grades a doctor finding.
type Severity string

const (
	// Danger: data can be lost or rules broken (a unique key that counts
	// deleted rows, a stamp column that drops microseconds, a foreign key
	// softdelete cannot follow).
	Danger Severity = "danger"
	// Warning: correct but slow (no alive index, foreign key without index).
	Warning Severity = "warning"
	// Info: worth knowing.
	Info Severity = "info"
)

// Finding is one problem doctor found, with its fix.
type Finding struct {
	Table    string   `json:"table"`
	Severity Severity `json:"severity"`
	Problem  string   `json:"problem"`
	Fix      string   `json:"fix"`
}

// Doctor inspects the schema and reports, per table, what is missing or
// dangerous for soft delete, each with its fix. It also counts, one
// statement per table, the rows whose soft-delete column holds a marker
// other tools write for "no instant" (Go's zero time, the epoch, MariaDB
// zero dates, PostgreSQL infinities), which softdelete reads as
// soft-deleted. No findings can also mean there was nothing to check: see
// DoctorReport.
func (db *DB) Doctor(ctx context.Context) ([]Finding, error) {
	r, err := db.DoctorReport(ctx)
	if err != nil {
		return nil, err
	}
	return r.Findings, nil
}

// DoctorReport is what Doctor checked, and what it found.
type DoctorReport struct {
	// Checked lists the tables with a soft-delete column: the ones doctor
	// checks. Others lists the rest (tables of the schema without one;
	// inheritance children and partitions are checked through their parent).
	Checked  []string  `json:"checked"`
	Others   []string  `json:"others"`
	Findings []Finding `json:"findings"`
}

// NothingToCheck reports whether no table has a soft-delete column (every
// database before adopt, or a URL naming the wrong database): doctor's
// silence then says nothing about soft delete.
func (r *DoctorReport) NothingToCheck() bool { return len(r.Checked) == 0 }

// DoctorReport runs doctor and says what it checked. It only reads.
func (db *DB) DoctorReport(ctx context.Context) (*DoctorReport, error) {
	return db.DoctorReportFor(ctx)
}

// DoctorReportFor is DoctorReport limited to the given tables (none: every
// table), matched by the database's own case rules (see Adopt): a table
// that does not exist is a *SchemaError, a name that matches several
// tables differing only in case is ErrInvalid.
func (db *DB) DoctorReportFor(ctx context.Context, tables ...string) (*DoctorReport, error) {
	if err := db.Refresh(ctx); err != nil {
		return nil, err
	}
	s, err := db.loadSchema(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(s.tables))
	for _, n := range tables {
		t, err := s.lookup(n)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(names, t.Name) {
			names = append(names, t.Name)
		}
	}
	if len(tables) == 0 {
		for n := range s.tables {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	rep := &DoctorReport{Checked: []string{}, Others: []string{}}
	for _, n := range names {
		switch t := s.tables[n]; {
		case t.parent != "":
		case t.soft():
			rep.Checked = append(rep.Checked, n)
		default:
			rep.Others = append(rep.Others, n)
		}
	}
	dd, ok := db.dialect.(ddlDialect)
	if !ok {
		return nil, fmt.Errorf("softdelete: dialect %s cannot write DDL", db.Dialect())
	}
	var out []Finding
	add := func(t string, sev Severity, problem, fix string) {
		out = append(out, Finding{Table: t, Severity: sev, Problem: problem, Fix: fix})
	}
	adopt := func(t string) string {
		return "softdelete adopt --table " + t + " --apply (or --out DIR for a migration)"
	}
	for _, name := range names {
		t := s.tables[name]
		if t.parent != "" {
			continue // reached through its parent (adopt says so too)
		}
		if !t.soft() {
			for _, fk := range t.Out {
				if p := s.tables[fk.Parent]; p != nil && p.soft() && fk.Rule == Cascade {
					add(name, Info, fmt.Sprintf("no soft-delete column, so rows referencing soft-deleted %s stay visible until the parent is purged", fk.Parent),
						adopt(name))
					break
				}
			}
			continue
		}
		if problem, fix, bad := db.stampProblem(t); bad {
			add(name, Danger, problem, fix)
		}
		if fs, err := db.sentinelFindings(ctx, t); err != nil {
			add(name, Info, fmt.Sprintf("could not read the values of %s to look for markers of no deletion time (Go's zero time, the epoch, zero dates, infinity): %v", t.SoftCol, err),
				"run doctor as a user that may SELECT from "+name)
		} else {
			out = append(out, fs...)
		}
		if len(t.PK) == 0 {
			add(name, Danger, "no primary key: rows cannot be addressed for restore", "add a primary key")
		}
		if h, ok := t.column(mysqlAliveColumn); ok && h.Virtual {
			if st, ok := dd.(interface {
				StoreAliveHelper(t *table, softCol string, keys []*index) string
			}); ok {
				var keys []*index
				for _, u := range t.uniques() {
					if u.AliveOnly && !u.Declared && !u.Expr {
						keys = append(keys, u)
					}
				}
				add(name, Warning, fmt.Sprintf("the alive helper column %s of its alive-only unique keys is VIRTUAL (adopt before 2026-12-05): MariaDB's InnoDB has been seen to corrupt a unique index over a virtual column under cascades and purges (error 1712 on every later read through it)", mysqlAliveColumn),
					"make it STORED, keys and all, in one statement: "+st.StoreAliveHelper(t, t.SoftCol, keys))
			}
		}
		for _, u := range t.uniques() {
			if !u.AliveOnly && !u.Declared {
				// The fix is what adopt would do with this key (the same
				// decisions and DDL), so that doctor and adopt agree.
				fix := adopt(name)
				_, helper := t.column(mysqlAliveColumn)
				switch st := dd.AliveUnique(t, t.SoftCol, aliveKeyName(t, u), u, helper); {
				case t.referencedBy(u) != "":
					fix = fmt.Sprintf("none by adopt: a foreign key of %s targets it, and a key limited to alive rows cannot be one; make the foreign key reference the primary key, or purge deleted rows to free their values", t.referencedBy(u))
				case st == nil:
					fix = unconvertible(db.Dialect(), u)
				case u.Expr:
					fix += "; it recreates the index as " + st[len(st)-1].Up[len(st[len(st)-1].Up)-1]
				}
				add(name, Danger, fmt.Sprintf("unique key %s%s also counts deleted rows: a deleted row's value cannot be reused", u.Name, u.keyText()), fix)
			}
			if u.Declared && !t.aliveIndexed(u.Columns) {
				add(name, Warning, fmt.Sprintf("unique key (%s) is declared in code but not enforced by the database", strings.Join(u.Columns, ",")),
					adopt(name))
			}
		}
		for _, fk := range t.Out {
			if !t.covered(fk.ChildCols) {
				add(name, Warning, fmt.Sprintf("foreign key %s(%s) has no index: cascades and restores scan the table", fk.Name, strings.Join(fk.ChildCols, ",")),
					adopt(name))
			}
		}
		for _, fk := range t.In {
			c := s.tables[fk.Child]
			if c == nil || !c.soft() {
				continue
			}
			if fk.Rule == SetNull {
				if col := notNullColumn(c, fk.ChildCols); col != "" {
					add(name, Danger, fmt.Sprintf("%s references it with ON DELETE SET NULL (%s) but %s.%s is NOT NULL: deleting a referenced row fails", fk.Child, fk.Name, fk.Child, col),
						fmt.Sprintf("make %s.%s nullable, or WithRelationRule(%q, %q, softdelete.Restrict or Cascade)", fk.Child, col, fk.Child, name))
				}
			}
			if (fk.Rule == SetNull || fk.Rule == SetDefault) && (len(fk.ChildCols) != 1 || len(c.PK) != 1) {
				add(name, Danger, fmt.Sprintf("%s references it with ON DELETE %s on a composite key, which soft delete cannot undo exactly: deleting a row that live rows reference through it is refused (ErrRestricted)", fk.Child, fk.Rule),
					fmt.Sprintf("WithRelationRule(%q, %q, softdelete.Cascade or Restrict)", fk.Child, name))
			}
		}
	}
	rep.Findings = out
	return rep, nil
}

// Dangerous reports whether any finding is a danger.
func Dangerous(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Danger {
			return true
		}
	}
	return false
}

// notNullColumn returns the first of cols that is NOT NULL in t, or "".
func notNullColumn(t *table, cols []string) string {
	for _, name := range cols {
		if c, ok := t.column(name); ok && c.NotNull {
			return name
		}
	}
	return ""
}
