package softdelete

import (
	"database/sql"
	"slices"
)

// closeRows closes rows and returns the iteration error, if any.
func closeRows(rows *sql.Rows) error {
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}

func sortStrings(s []string) { slices.Sort(s) }

// scanKey scans a row of n key columns; text comes back as string.
func scanKey(rows *sql.Rows, n int) ([]any, error) {
	key := make([]any, n)
	ptrs := make([]any, n)
	for i := range key {
		ptrs[i] = &key[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, k := range key {
		if bs, ok := k.([]byte); ok {
			key[i] = string(bs)
		}
	}
	return key, nil
}
