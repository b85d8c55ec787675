package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/distlock/distlock/dialect"
)

// guardStatements are the statements that run in the caller's transaction
// (see dialect.Guarder).
type guardStatements struct{ guard, releaseTx string }

func newGuardStatements(table string) guardStatements {
	row := strings.ReplaceAll(rowColumns, "{NOW}", now)
	r := strings.NewReplacer("{TABLE_queue}", `"`+table+`_queue"`, "{TABLE}", `"`+table+`"`, "{NOW}", now, "{ROW}", row)
	return guardStatements{
		// A write that changes nothing: SQLite has one writer at a time,
		// so once this statement has run, tx holds the database's write
		// lock until it ends and no other connection can take the lock
		// over (nor write anything else). SQLite's clock is read when the
		// statement runs.
		guard: r.Replace(`UPDATE {TABLE} SET holds = holds
WHERE name = :name AND token_hash = :hash AND expires_at > {NOW}
RETURNING {ROW}`),

		// Release, in tx; :guarded accepts a lease that ran out while tx
		// held the write lock (nobody could take it over meanwhile). As
		// Release, the last hold's release names the head of the line.
		releaseTx: r.Replace(`UPDATE {TABLE} SET
    holds      = holds - 1,
    expires_at = CASE WHEN holds <= 1 THEN {NOW} ELSE expires_at END
WHERE name = :name AND token_hash = :hash AND (:guarded OR expires_at > {NOW})
RETURNING holds, CASE WHEN holds = 0 THEN coalesce((SELECT ticket FROM {TABLE_queue} AS q
    WHERE q.name = :name AND q.expires_at > {NOW} ORDER BY ticket LIMIT 1), 0) ELSE 0 END`),
	}
}

// Guard makes tx a write transaction that has checked the lock (see
// guardStatements.guard). SQLite has no server that could end a
// transaction its client left open: req.Bound is enforced by the client.
func (s *store) Guard(ctx context.Context, tx *sql.Tx, req dialect.GuardRequest) (dialect.Row, bool, error) {
	var row dialect.Row
	ok, err := dialect.ScanOne(tx.QueryRowContext(ctx, s.guardSQL.guard,
		sql.Named("name", req.Name), sql.Named("hash", req.TokenHash)),
		func(sc dialect.Scanner) error { return scanRow(sc, &row, nil) })
	return row, ok, classify(err)
}

func (s *store) ReleaseTx(ctx context.Context, tx *sql.Tx, name string, tokenHash []byte, guarded bool) (int, int64, bool, error) {
	var holds int
	var next int64
	ok, err := dialect.ScanOne(tx.QueryRowContext(ctx, s.guardSQL.releaseTx,
		sql.Named("name", name), sql.Named("hash", tokenHash), sql.Named("guarded", guarded)),
		func(sc dialect.Scanner) error { return sc.Scan(&holds, &next) })
	return holds, next, ok, classify(err)
}

func (s *store) Classify(err error) error { return classify(err) }
