package softdelete

import (
	"database/sql"
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

var timeLayouts = []string{
	sqliteTimeLayout,
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	time.RFC3339Nano,
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
	case int64:
		return time.Unix(v, 0).UTC(), true, nil
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
