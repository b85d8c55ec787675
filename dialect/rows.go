package dialect

import "database/sql"

// Scanner is what *sql.Row and *sql.Rows have in common.
type Scanner interface{ Scan(dest ...any) error }

// ScanAll reads every row of rows with scan and closes rows. Errors are
// returned as they come, for the dialect to classify.
func ScanAll(rows *sql.Rows, scan func(Scanner, *Row) error) ([]Row, error) {
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		if err := scan(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ScanOne reads the single row a query returns, if any, with scan, and
// reports whether there was one. Reading the result to its end is what
// completes (and, in autocommit, commits) a write with RETURNING.
func ScanOne(row *sql.Row, scan func(Scanner) error) (bool, error) {
	switch err := scan(row); err {
	case nil:
		return true, nil
	case sql.ErrNoRows:
		return false, nil
	default:
		return false, err
	}
}
