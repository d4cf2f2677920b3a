package admin

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Row keys in URLs: the primary key's values joined by ",", each value with
// "%" and "," escaped ("%25", "%2C") (a key of only dots as "%2E"s, a key
// of one empty string as "%00"),
// and the whole then escaped as one path segment. "/t/orders/r/5", "/t/order_items/r/5,2", a text key "a,b" is
// "/t/x/r/a%252Cb".

// valueText is a key value as text, the form a key takes in a URL.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case *time.Time:
		if x == nil {
			return ""
		}
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

var keyEscaper = strings.NewReplacer("%", "%25", ",", "%2C")

// emptyKey is the segment of a key that is one empty string.
const emptyKey = "%00"

func encodeKey(key []any) string {
	parts := make([]string, len(key))
	for i, v := range key {
		parts[i] = keyEscaper.Replace(valueText(v))
	}
	s := strings.Join(parts, ",")
	if s == "" {
		// A key of one empty value: an empty path segment matches no
		// route. No key encodes to a "%" other than %25, %2C and %2E.
		return emptyKey
	}
	if strings.Trim(s, ".") == "" {
		// "." and ".." are path segments browsers and routers resolve.
		s = strings.ReplaceAll(s, ".", "%2E")
	}
	return s
}

// decodeKey splits a key segment (already path-unescaped by the router)
// into its values.
func decodeKey(s string) ([]string, error) {
	if s == emptyKey {
		return []string{""}, nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		v, err := url.PathUnescape(p)
		if err != nil {
			return nil, fmt.Errorf("malformed key %q", s)
		}
		parts[i] = v
	}
	return parts, nil
}

// keyLabel is a key as people read it: "5", or "(5, 2)" for a composite
// key.
func keyLabel(key []any) string {
	parts := make([]string, len(key))
	for i, v := range key {
		parts[i] = displayText(valueText(v))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// displayText makes text safe to show as plain text: invalid UTF-8 and
// control characters are shown Go-quoted.
func displayText(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }) {
		q := fmt.Sprintf("%q", s)
		return q[1 : len(q)-1]
	}
	return s
}

func tableRel(table string, params url.Values) string {
	s := "t/" + url.PathEscape(table)
	if len(params) > 0 {
		s += "?" + params.Encode()
	}
	return s
}

// rowRel is the row's page (suffix "") or one of its actions ("/delete").
func rowRel(table string, key []any, suffix string) string {
	return "t/" + url.PathEscape(table) + "/r/" + url.PathEscape(encodeKey(key)) + suffix
}

func strKey(parts []string) []any {
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}
