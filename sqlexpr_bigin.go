package softdelete

import (
	"database/sql/driver"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// A large key set bound to IN (?) is sent as one argument, so that any
// number of keys fits one statement:
//
//	PostgreSQL  x = ANY($1)                                 (a typed array)
//	SQLite      x IN (SELECT value FROM json_each(?))       (a JSON array)
//	MySQL       x IN (1,2,...) / x IN (_utf8mb4 X'6162',...) (literals)
//
// On MySQL a JSON_TABLE column does not share the compared column's
// collation and MariaDB evaluates an IN subquery of an UPDATE once per
// row, so integers and strings are written as literals there (strings
// hex-encoded, so no escaping is involved).

// bigInForm is the form a dialect sends a large IN list in (dialect.BigIn).
type bigInForm int

const (
	bigInArray    bigInForm = iota // x = ANY($1), a typed array (PostgreSQL)
	bigInJSON                      // x IN (SELECT value FROM json_each(?)) (SQLite)
	bigInLiterals                  // x IN (1,2,...), strings hex-encoded (MySQL)
)

// bigList is a large IN list with elements of one type.
type bigList struct {
	kind   byte // 'i' int64, 's' string, 'f' float64, 'b' bool, 't' time
	ints   []int64
	strs   []string
	floats []float64
	bools  []bool
	times  []time.Time
}

// renderBigIn writes lhs [NOT] IN (slice) with the slice as one argument;
// it reports false (having written nothing) when the elements do not fit
// the dialect's form, and the caller expands the list instead.
func renderBigIn(b *sqlBuilder, alias string, args []any, lhs *enode, not bool, slice any) bool {
	l, ok := toBigList(slice)
	if !ok {
		return false
	}
	switch b.d.BigIn() {
	case bigInArray:
		var arr any
		switch l.kind {
		case 'i':
			arr = l.ints
		case 's':
			arr = l.strs
		case 'f':
			arr = l.floats
		case 'b':
			arr = l.bools
		case 't':
			arr = l.times
		}
		b.WriteByte('(')
		lhs.render(b, alias, args)
		if not {
			b.WriteString(" <> ALL(")
		} else {
			b.WriteString(" = ANY(")
		}
		b.arg(arr)
		b.WriteString("))")
		return true
	case bigInJSON:
		js, ok := l.json(b.d)
		if !ok {
			return false
		}
		b.WriteByte('(')
		lhs.render(b, alias, args)
		if not {
			b.WriteString(" NOT")
		}
		b.WriteString(" IN (SELECT value FROM json_each(")
		b.arg(js)
		b.WriteString(")))")
		return true
	case bigInLiterals:
		// MariaDB 10.x runs an IN subquery of an UPDATE once per row (no
		// semi-join there), so the list is written out; literals are
		// what the driver's interpolateParams would send anyway, written
		// here so that no placeholder cap applies whatever the DSN.
		if l.kind != 'i' && l.kind != 's' {
			return false
		}
		b.WriteByte('(')
		lhs.render(b, alias, args)
		if not {
			b.WriteString(" NOT IN (")
		} else {
			b.WriteString(" IN (")
		}
		var num [24]byte
		if l.kind == 'i' {
			for i, x := range l.ints {
				if i > 0 {
					b.WriteByte(',')
				}
				b.Write(strconv.AppendInt(num[:0], x, 10))
			}
		} else {
			for i, x := range l.strs {
				if i > 0 {
					b.WriteByte(',')
				}
				// A hex literal with a character set introducer is a
				// string of that character set, and needs no escaping.
				b.WriteString("_utf8mb4 X'")
				for j := 0; j < len(x); j++ {
					b.WriteByte("0123456789ABCDEF"[x[j]>>4])
					b.WriteByte("0123456789ABCDEF"[x[j]&15])
				}
				b.WriteByte('\'')
			}
		}
		b.WriteString("))")
		return true
	}
	return false
}

// toBigList converts a slice whose elements are all integers, all strings,
// all floats, all booleans or all times (after driver.Valuer) into a
// bigList; NULL elements or mixed types report false.
func toBigList(slice any) (bigList, bool) {
	switch v := slice.(type) {
	case []int64:
		return bigList{kind: 'i', ints: v}, true
	case []string:
		return bigList{kind: 's', strs: v}, true
	case []int:
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return bigList{kind: 'i', ints: out}, true
	}
	rv := reflect.ValueOf(slice)
	n := rv.Len()
	var l bigList
	for i := 0; i < n; i++ {
		x := rv.Index(i).Interface()
		if dv, ok := x.(driver.Valuer); ok {
			if isNullValue(x) {
				return l, false
			}
			v, err := dv.Value()
			if err != nil {
				return l, false
			}
			x = v
		}
		var k byte
		ev := reflect.ValueOf(x)
		switch ev.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			k = 'i'
			l.ints = append(l.ints, ev.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			u := ev.Uint()
			if u > math.MaxInt64 {
				return l, false
			}
			k = 'i'
			l.ints = append(l.ints, int64(u))
		case reflect.String:
			k = 's'
			l.strs = append(l.strs, ev.String())
		case reflect.Float32, reflect.Float64:
			k = 'f'
			l.floats = append(l.floats, ev.Float())
		case reflect.Bool:
			k = 'b'
			l.bools = append(l.bools, ev.Bool())
		default:
			t, ok := x.(time.Time)
			if !ok {
				return l, false
			}
			k = 't'
			l.times = append(l.times, t)
		}
		if i == 0 {
			l.kind = k
		} else if k != l.kind {
			return l, false
		}
	}
	return l, n > 0
}

// json encodes the list as a JSON array (times as the dialect binds
// them); it reports false for values JSON cannot carry exactly.
func (l bigList) json(d dialect) (string, bool) {
	buf := make([]byte, 0, 16*(len(l.ints)+len(l.strs)+len(l.floats)+len(l.bools)+len(l.times))+2)
	buf = append(buf, '[')
	sep := func(i int) {
		if i > 0 {
			buf = append(buf, ',')
		}
	}
	switch l.kind {
	case 'i':
		for i, x := range l.ints {
			sep(i)
			buf = strconv.AppendInt(buf, x, 10)
		}
	case 'f':
		for i, x := range l.floats {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return "", false
			}
			sep(i)
			buf = strconv.AppendFloat(buf, x, 'g', -1, 64)
		}
	case 'b':
		for i, x := range l.bools {
			sep(i)
			if x {
				buf = append(buf, '1')
			} else {
				buf = append(buf, '0')
			}
		}
	case 's':
		for i, x := range l.strs {
			sep(i)
			var ok bool
			if buf, ok = appendJSONString(buf, x); !ok {
				return "", false
			}
		}
	case 't':
		for i, x := range l.times {
			s, ok := d.TimeArg(x).(string)
			if !ok {
				return "", false
			}
			sep(i)
			buf, _ = appendJSONString(buf, s)
		}
	}
	buf = append(buf, ']')
	return string(buf), true
}

// appendJSONString appends s as a JSON string; invalid UTF-8 and NUL
// (which would not come back unchanged) report false.
func appendJSONString(buf []byte, s string) ([]byte, bool) {
	if !utf8.ValidString(s) {
		return buf, false
	}
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0:
			return buf, false
		case c == '"' || c == '\\':
			buf = append(buf, '\\', c)
		case c < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '"'), true
}
