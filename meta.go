package softdelete

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"
	"unsafe"
)

// Model is the embeddable base of a soft-deletable row: an int64 primary
// key, creation and update stamps, and the soft-delete stamp (nil while the
// row is alive).
type Model struct {
	ID        int64      `db:"id"`
	CreatedAt time.Time  `db:"created_at"`
	UpdatedAt time.Time  `db:"updated_at"`
	DeletedAt *time.Time `db:"deleted_at"`
}

// IsDeleted reports whether the row was soft-deleted when it was loaded (or
// by this process since).
func (m *Model) IsDeleted() bool { return m.DeletedAt != nil }

type fieldKind uint8

const (
	kOther fieldKind = iota
	kInt64
	kInt
	kInt32
	kString
	kBool
	kFloat64
	kBytes
	kTime
	kTimePtr
)

// field is the cached description of one mapped struct field.
type field struct {
	Name   string // Go name (dotted path for embedded structs)
	Column string
	offset uintptr
	typ    reflect.Type
	kind   fieldKind
	pkTag  bool
	delTag bool
}

// meta is the cached mapping of a struct type. It is computed once per type;
// rows are scanned through field offsets, without reflection per row for
// the common field types.
type meta struct {
	typ    reflect.Type
	fields []field
	byCol  map[string]int
}

var metaCache sync.Map // reflect.Type -> *meta or error

func metaFor(t reflect.Type) (*meta, error) {
	if v, ok := metaCache.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*meta), nil
	}
	m, err := buildMeta(t)
	if err != nil {
		metaCache.Store(t, err)
		return nil, err
	}
	v, _ := metaCache.LoadOrStore(t, m)
	return v.(*meta), nil
}

var (
	timeType    = reflect.TypeOf(time.Time{})
	timePtrType = reflect.TypeOf((*time.Time)(nil))
	scannerType = reflect.TypeOf((*sql.Scanner)(nil)).Elem()
)

func buildMeta(t reflect.Type) (*meta, error) {
	if t.Kind() != reflect.Struct {
		return nil, &SchemaError{Type: t.String(), Msg: "model type must be a struct"}
	}
	m := &meta{typ: t, byCol: map[string]int{}}
	if err := m.walk(t, 0, ""); err != nil {
		return nil, err
	}
	if len(m.fields) == 0 {
		return nil, &SchemaError{Type: t.String(), Msg: "struct has no exported fields to map"}
	}
	return m, nil
}

func (m *meta) walk(t reflect.Type, base uintptr, prefix string) error {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("db")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct && sf.Type != timeType && name == "" {
			if err := m.walk(sf.Type, base+sf.Offset, prefix+sf.Name+"."); err != nil {
				return err
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if sf.Anonymous && sf.Type.Kind() == reflect.Pointer {
			return &SchemaError{Type: m.typ.String(), Field: prefix + sf.Name, Msg: "embedded pointers are not supported; embed the struct by value"}
		}
		if !hasTag || name == "" {
			name = snakeCase(sf.Name)
		}
		f := field{Name: prefix + sf.Name, Column: name, offset: base + sf.Offset, typ: sf.Type, kind: kindOf(sf.Type)}
		for _, o := range strings.Split(opts, ",") {
			switch strings.TrimSpace(o) {
			case "pk":
				f.pkTag = true
			case "deleted":
				f.delTag = true
			}
		}
		if _, dup := m.byCol[name]; dup {
			return &SchemaError{Type: m.typ.String(), Field: f.Name, Column: name, Msg: "two fields map to the same column"}
		}
		m.byCol[name] = len(m.fields)
		m.fields = append(m.fields, f)
	}
	return nil
}

func kindOf(t reflect.Type) fieldKind {
	switch t {
	case timeType:
		return kTime
	case timePtrType:
		return kTimePtr
	}
	if reflect.PointerTo(t).Implements(scannerType) {
		return kOther
	}
	switch t.Kind() {
	case reflect.Int64:
		if t == reflect.TypeOf(int64(0)) {
			return kInt64
		}
	case reflect.Int:
		if t == reflect.TypeOf(0) {
			return kInt
		}
	case reflect.Int32:
		if t == reflect.TypeOf(int32(0)) {
			return kInt32
		}
	case reflect.String:
		if t == reflect.TypeOf("") {
			return kString
		}
	case reflect.Bool:
		if t == reflect.TypeOf(false) {
			return kBool
		}
	case reflect.Float64:
		if t == reflect.TypeOf(0.0) {
			return kFloat64
		}
	case reflect.Slice:
		if t == reflect.TypeOf([]byte(nil)) {
			return kBytes
		}
	}
	return kOther
}

// snakeCase turns CreatedAt into created_at and UserID into user_id.
func snakeCase(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func (f *field) ptr(base unsafe.Pointer) unsafe.Pointer { return unsafe.Add(base, f.offset) }

// scanDest returns the Scan destination for the field of the struct at base.
func (f *field) scanDest(base unsafe.Pointer) any {
	p := f.ptr(base)
	switch f.kind {
	case kInt64:
		return (*int64)(p)
	case kInt:
		return (*int)(p)
	case kInt32:
		return (*int32)(p)
	case kString:
		return (*string)(p)
	case kBool:
		return (*bool)(p)
	case kFloat64:
		return (*float64)(p)
	case kBytes:
		return (*[]byte)(p)
	case kTime:
		return timeScanner{(*time.Time)(p)}
	case kTimePtr:
		return timePtrScanner{(**time.Time)(p)}
	}
	return reflect.NewAt(f.typ, p).Interface()
}

// value returns the field's value as a bind argument.
func (f *field) value(base unsafe.Pointer) any {
	p := f.ptr(base)
	switch f.kind {
	case kInt64:
		return *(*int64)(p)
	case kInt:
		return int64(*(*int)(p))
	case kInt32:
		return int64(*(*int32)(p))
	case kString:
		return *(*string)(p)
	case kBool:
		return *(*bool)(p)
	case kFloat64:
		return *(*float64)(p)
	case kBytes:
		return *(*[]byte)(p)
	case kTime:
		return *(*time.Time)(p)
	case kTimePtr:
		if tp := *(**time.Time)(p); tp != nil {
			return *tp
		}
		return nil
	}
	return reflect.NewAt(f.typ, p).Elem().Interface()
}

// isZero reports whether the field holds its zero value.
func (f *field) isZero(base unsafe.Pointer) bool {
	p := f.ptr(base)
	switch f.kind {
	case kInt64:
		return *(*int64)(p) == 0
	case kInt:
		return *(*int)(p) == 0
	case kInt32:
		return *(*int32)(p) == 0
	case kString:
		return *(*string)(p) == ""
	}
	return reflect.NewAt(f.typ, p).Elem().IsZero()
}

// setInt sets an integer primary key after an insert.
func (f *field) setInt(base unsafe.Pointer, v int64) error {
	p := f.ptr(base)
	switch f.kind {
	case kInt64:
		*(*int64)(p) = v
	case kInt:
		*(*int)(p) = int(v)
	case kInt32:
		*(*int32)(p) = int32(v)
	default:
		rv := reflect.NewAt(f.typ, p).Elem()
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			rv.SetInt(v)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			rv.SetUint(uint64(v))
		default:
			return fmt.Errorf("softdelete: cannot store generated key in field %s of type %s", f.Name, f.typ)
		}
	}
	return nil
}

func (f *field) setTime(base unsafe.Pointer, t time.Time) {
	p := f.ptr(base)
	switch f.kind {
	case kTime:
		*(*time.Time)(p) = t
	case kTimePtr:
		tt := t
		*(**time.Time)(p) = &tt
	}
}

func (f *field) clearTime(base unsafe.Pointer) {
	switch f.kind {
	case kTimePtr:
		*(**time.Time)(f.ptr(base)) = nil
	case kTime:
		*(*time.Time)(f.ptr(base)) = time.Time{}
	}
}

func (f *field) timeValue(base unsafe.Pointer) (time.Time, bool) {
	switch f.kind {
	case kTimePtr:
		if tp := *(**time.Time)(f.ptr(base)); tp != nil {
			return *tp, true
		}
	case kTime:
		t := *(*time.Time)(f.ptr(base))
		return t, !t.IsZero()
	}
	return time.Time{}, false
}

// timeScanner scans a timestamp into a time.Time, normalised to UTC.
type timeScanner struct{ p *time.Time }

func (s timeScanner) Scan(src any) error {
	t, ok, err := toTime(src)
	if err != nil {
		return err
	}
	if !ok {
		*s.p = time.Time{}
		return nil
	}
	*s.p = t
	return nil
}

// timePtrScanner scans a nullable timestamp into a *time.Time.
type timePtrScanner struct{ p **time.Time }

func (s timePtrScanner) Scan(src any) error {
	t, ok, err := toTime(src)
	if err != nil {
		return err
	}
	if !ok {
		*s.p = nil
		return nil
	}
	tp := new(time.Time) // allocate only for non-NULL values
	*tp = t
	*s.p = tp
	return nil
}

// timeLayouts read the text of a time: ours, Go's time.Time.String(), and
// every form SQLite's date functions read (date only, minutes without
// seconds, a "T" or a space, with an offset, "Z" or none), so that a value
// the purge compares as a time (unixepoch) is read as the same time.
var timeLayouts = []string{
	sqliteTimeLayout,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04Z07:00",
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

func toTime(src any) (time.Time, bool, error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v.UTC(), true, nil
	case string:
		return parseTimeText(v)
	case []byte:
		return parseTimeText(string(v))
	case int64, float64: // SQLite: unixepoch(), unixepoch('now', 'subsec') or julianday() written by another tool
		return foreignTime(v), true, nil
	}
	return time.Time{}, false, fmt.Errorf("softdelete: cannot scan %T into a time", src)
}

func parseTimeText(s string) (time.Time, bool, error) {
	if i := strings.Index(s, " m="); i > 0 {
		s = s[:i]
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("softdelete: cannot parse time %q", s)
}

// singleKey reports whether col alone is the table's primary key: the
// engine (restore, the log, hooks) addresses rows by the primary key, so
// a Manager's key must be that key and select one row.
func (t *table) singleKey(col string) bool {
	return len(t.PK) == 1 && t.PK[0] == col
}

// keyGen is how the database fills a key column that an INSERT omits.
type keyGen uint8

const (
	keyGenNone  keyGen = iota // no default: a zero key is refused before writing
	keyGenInt                 // auto-increment, identity, serial or SQLite rowid
	keyGenOther               // a default expression of another type (uuid, text)
)

func keyGeneration(d dialect, t *table, col string) keyGen {
	c, _ := t.column(col)
	integer := columnClass(d, c.Type) == clsInt
	if r := d.Facts().RowidType; r != "" && !t.noRowid && strings.EqualFold(strings.TrimSpace(c.Type), r) && t.singleKey(col) {
		return keyGenInt // an alias of the rowid
	}
	switch {
	case !c.Default:
		return keyGenNone
	case integer:
		return keyGenInt
	}
	return keyGenOther
}

type colClass uint8

const (
	clsUnknown colClass = iota
	clsInt
	clsFloat
	clsNumeric
	clsText
	clsBool
	clsTime
	clsBytes
)

// columnClass sorts a column type of the dialect into what Go can hold it.
// Types it does not know (arrays, user-defined types) are clsUnknown and
// not checked.
func columnClass(d dialect, typ string) colClass {
	t := strings.ToLower(strings.TrimSpace(typ))
	if t == "" || strings.HasSuffix(t, "]") {
		return clsUnknown
	}
	if d.Facts().Affinity { // type affinity, plus the names tools use for bools and times
		switch {
		case strings.Contains(t, "int"):
			return clsInt
		case strings.Contains(t, "char"), strings.Contains(t, "clob"), strings.Contains(t, "text"):
			return clsText
		case strings.Contains(t, "blob"):
			return clsBytes
		case strings.Contains(t, "real"), strings.Contains(t, "floa"), strings.Contains(t, "doub"):
			return clsFloat
		case strings.Contains(t, "bool"):
			return clsBool
		case strings.Contains(t, "date"), strings.Contains(t, "time"):
			return clsTime
		case strings.Contains(t, "numeric"), strings.Contains(t, "decimal"):
			return clsNumeric
		}
		return clsUnknown
	}
	base := t
	if i := strings.IndexAny(base, "( "); i >= 0 {
		base = base[:i]
	}
	switch {
	case t == "tinyint(1)", t == "bit(1)", base == "boolean", base == "bool":
		return clsBool
	}
	switch base {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "int2", "int4", "int8",
		"serial", "bigserial", "smallserial", "year":
		return clsInt
	case "numeric", "decimal":
		return clsNumeric
	case "real", "double", "float", "float4", "float8":
		return clsFloat
	case "timestamp", "timestamptz", "datetime", "date":
		return clsTime
	case "char", "varchar", "character", "text", "tinytext", "mediumtext", "longtext", "citext",
		"uuid", "json", "jsonb", "enum", "set", "nchar", "nvarchar", "name", "inet", "cidr", "macaddr", "xml":
		return clsText
	case "bytea", "blob", "tinyblob", "mediumblob", "longblob", "binary", "varbinary":
		return clsBytes
	}
	return clsUnknown
}

var valuerType = reflect.TypeOf((*driver.Valuer)(nil)).Elem()

// fits checks that the field's Go type can hold values of a column of
// type colType (a nil error) or says why not. Types that implement
// sql.Scanner or driver.Valuer, interfaces and unknown column types are
// trusted; a pointer is checked by what it points at (nullable columns).
func (f *field) fits(d dialect, colType string) error {
	t := f.typ
	for {
		if t == timeType {
			break
		}
		if reflect.PointerTo(t).Implements(scannerType) || t.Implements(valuerType) {
			return nil
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	cls := columnClass(d, colType)
	ok := func(allowed ...colClass) error {
		if cls == clsUnknown {
			return nil
		}
		for _, a := range allowed {
			if a == cls {
				return nil
			}
		}
		return fmt.Errorf("Go type %s cannot hold column type %s (use a matching type, a pointer or sql.Null* for NULLs, or a sql.Scanner)", f.typ, colType)
	}
	facts := d.Facts()
	if t == timeType {
		if facts.Affinity { // SQLite keeps times as text or numbers too
			return ok(clsTime, clsText, clsInt, clsNumeric, clsFloat)
		}
		return ok(clsTime)
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		switch {
		case facts.Affinity:
			return ok(clsInt, clsBool, clsNumeric)
		case facts.IntBools:
			return ok(clsInt, clsBool)
		}
		return ok(clsInt)
	case reflect.Float32, reflect.Float64:
		return ok(clsInt, clsFloat, clsNumeric)
	case reflect.Bool:
		return ok(clsBool, clsInt)
	case reflect.String:
		return nil // every column type has a text form
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return ok(clsBytes, clsText)
		}
	case reflect.Interface:
		return nil
	}
	return fmt.Errorf("Go type %s cannot hold a column value (implement sql.Scanner and driver.Valuer for it)", f.typ)
}
