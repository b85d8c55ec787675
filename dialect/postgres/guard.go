package postgres

import (
	"context"
	"database/sql"
	"strings"

	"github.com/distlock/distlock/dialect"
)

// guardStatements are the statements that run in the caller's transaction
// (see dialect.Guarder). They read the clock with clock_timestamp(): now()
// is the transaction's start, which may be long past.
type guardStatements struct{ guard, releaseTx string }

// lowerTimeout is the value that sets the setting {S} to $3 milliseconds,
// unless it already is lower and not 0 (off).
const lowerTimeout = `CASE WHEN current_setting('{S}')::interval > interval '0'
        AND current_setting('{S}')::interval <= $3::bigint * interval '1 millisecond'
    THEN current_setting('{S}') ELSE $3::bigint::text END`

func newGuardStatements(table string) guardStatements {
	timeout := func(setting string) string {
		return "set_config('" + setting + "', " + strings.ReplaceAll(lowerTimeout, "{S}", setting) + ", true)"
	}
	r := strings.NewReplacer(
		"{TABLE_released}", "'"+table+"_released'",
		"{TABLE_queue}", `"`+table+`_queue"`,
		"{TABLE}", `"`+table+`"`,
		"{ROW}", strings.ReplaceAll(rowColumns, "now()", "clock_timestamp()"),
		"{STATEMENT_TIMEOUT}", timeout("statement_timeout"),
		"{IDLE_TIMEOUT}", timeout("idle_in_transaction_session_timeout"),
	)
	return guardStatements{
		// Parameters: $1 name, $2 token hash, $3 bound in ms. FOR SHARE
		// (not FOR KEY SHARE, which lets a non-key UPDATE through) makes
		// every UPDATE or DELETE of the row by another transaction (a
		// takeover, an extend, a release, a vacuum) wait until tx ends. A
		// row that another transaction is changing is waited for, then
		// checked again in its new version. The settings, local to tx, make
		// the server end tx if its client leaves it idle, or runs one
		// statement, for longer than the bound.
		guard: r.Replace(`SELECT {ROW}, {STATEMENT_TIMEOUT}, {IDLE_TIMEOUT}
FROM {TABLE} WHERE name = $1 AND token_hash = $2 AND expires_at > clock_timestamp()
FOR SHARE`),

		// Release, in tx. $3 (guarded) accepts a lease that ran out while
		// tx held the row (nobody could take it over meanwhile). As
		// Release, the last hold's release names the head of the lock's
		// line; its NOTIFY is delivered when tx commits, and never if it
		// rolls back. It commits as tx does (durably, unless the caller
		// says otherwise).
		releaseTx: r.Replace(`UPDATE {TABLE} AS t SET
    holds      = t.holds - 1,
    expires_at = CASE WHEN t.holds <= 1 THEN clock_timestamp() ELSE t.expires_at END
FROM (SELECT coalesce((SELECT q.ticket FROM {TABLE_queue} AS q
    WHERE q.name = $1 AND q.expires_at > clock_timestamp() ORDER BY q.ticket LIMIT 1), 0) AS next) AS head
WHERE t.name = $1 AND t.token_hash = $2 AND ($3::boolean OR t.expires_at > clock_timestamp())
RETURNING t.holds, CASE WHEN t.holds = 0 THEN head.next ELSE 0 END,
    CASE WHEN t.holds = 0 AND head.next > 0 THEN pg_notify({TABLE_released}, head.next || ' ' || t.name) IS NULL END`),
	}
}

// extraCols scans the columns a statement returns after those that its
// reader expects into extra.
type extraCols struct {
	dialect.Scanner
	extra []any
}

func (e extraCols) Scan(dest ...any) error { return e.Scanner.Scan(append(dest, e.extra...)...) }

func (s *store) Guard(ctx context.Context, tx *sql.Tx, req dialect.GuardRequest) (dialect.Row, bool, error) {
	var row dialect.Row
	var statementTimeout, idleTimeout string
	bound := max(req.Bound.Milliseconds(), 1)
	ok, err := dialect.ScanOne(tx.QueryRowContext(ctx, s.guardSQL.guard, req.Name, req.TokenHash, bound),
		func(sc dialect.Scanner) error {
			return scanRow(extraCols{sc, []any{&statementTimeout, &idleTimeout}}, &row)
		})
	return row, ok, classify(err)
}

func (s *store) ReleaseTx(ctx context.Context, tx *sql.Tx, name string, tokenHash []byte, guarded bool) (int, int64, bool, error) {
	var holds int
	var next int64
	var notified sql.NullBool
	ok, err := dialect.ScanOne(tx.QueryRowContext(ctx, s.guardSQL.releaseTx, name, tokenHash, guarded),
		func(sc dialect.Scanner) error { return sc.Scan(&holds, &next, &notified) })
	return holds, next, ok, classify(err)
}

func (s *store) Classify(err error) error { return classify(err) }
