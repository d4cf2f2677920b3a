package softdelete

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// callAll calls every exported method of recv (a nil or zero receiver)
// with zero arguments (a live context for context.Context) and fails on a
// panic, or on an error result that is not ErrInvalid/ErrClosed.
func callAll(t *testing.T, recv any, skip ...string) {
	t.Helper()
	v := reflect.ValueOf(recv)
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	errType := reflect.TypeOf((*error)(nil)).Elem()
	for i := 0; i < v.NumMethod(); i++ {
		meth := v.Type().Method(i)
		if contains(skip, meth.Name) {
			continue
		}
		mt := meth.Type
		args := []reflect.Value{v}
		for j := 1; j < mt.NumIn(); j++ {
			in := mt.In(j)
			if mt.IsVariadic() && j == mt.NumIn()-1 {
				break
			}
			if in == ctxType {
				args = append(args, reflect.ValueOf(context.Background()))
				continue
			}
			args = append(args, reflect.Zero(in))
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%T.%s panics: %v", recv, meth.Name, p)
				}
			}()
			out := meth.Func.Call(args)
			for _, o := range out {
				if o.Type() == errType && !o.IsNil() {
					err := o.Interface().(error)
					if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrClosed) {
						t.Errorf("%T.%s: %v, want ErrInvalid or ErrClosed", recv, meth.Name, err)
					}
				}
			}
		}()
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Issue 8: calls on a nil *DB, a nil or zero *Manager, a nil *Query and
// WithClock(nil) return clear errors instead of panicking.
func TestNilReceiversAndOptions(t *testing.T) {
	var db *DB
	callAll(t, db)
	var m *Manager[Product]
	callAll(t, m)
	callAll(t, &Manager[Product]{})
	var q *Query[Product]
	callAll(t, q)
	if _, err := NewManager[Product](nil, "products"); !errors.Is(err, ErrInvalid) {
		t.Errorf("NewManager(nil): %v", err)
	}
	if _, err := New(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("New(nil): %v", err)
	}
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			u := testURL(t, d)
			if _, err := Open(u, WithClock(nil)); !errors.Is(err, ErrInvalid) {
				t.Errorf("WithClock(nil): %v, want ErrInvalid", err)
			}
			if _, err := Open(u, nil); !errors.Is(err, ErrInvalid) {
				t.Errorf("nil Option: %v, want ErrInvalid", err)
			}
			db := openTest(t, d, WithClock(func() time.Time { return time.Unix(1e9, 0) }))
			ddl(t, db, productsDDL)
			if _, err := NewManager[Product](db, "products", nil); err != nil {
				t.Errorf("nil ManagerOption: %v", err)
			}
		})
	}
}
