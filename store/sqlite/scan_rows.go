package sqlite

import "database/sql"

// collectRows reads every row of a query into a slice, closing the rows. fields returns
// the scan destinations inside one element; err is the query's own error, passed through
// so that callers can hand QueryContext's results straight in.
func collectRows[T any](rows *sql.Rows, err error, fields func(*T) []any) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(fields(&v)...); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
