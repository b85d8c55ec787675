package dialect

import (
	"database/sql"
	"database/sql/driver"
)

// Scanner is what *sql.Row and *sql.Rows have in common.
type Scanner interface{ Scan(dest ...any) error }

// EachRow calls f on every row of rows, stopping at its first error, and
// closes rows. Errors are returned as they come, for the dialect to
// classify.
func EachRow(rows *sql.Rows, f func(Scanner) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ScanAll reads every row of rows into a Row with scan, and closes rows.
func ScanAll(rows *sql.Rows, scan func(Scanner, *Row) error) ([]Row, error) {
	var out []Row
	err := EachRow(rows, func(sc Scanner) error {
		var r Row
		if err := scan(sc, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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

// Discard makes conn's Close close the connection rather than give it
// back to the pool: for a connection whose session settings were changed
// and could not be set back.
func Discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
}
