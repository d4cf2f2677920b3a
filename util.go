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
