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
		// tx held the row (nobody could take it over meanwhile). A NOTIFY
		// is delivered when tx commits, and never if it rolls back.
		releaseTx: r.Replace(`UPDATE {TABLE} SET
    holds      = holds - 1,
    expires_at = CASE WHEN holds <= 1 THEN clock_timestamp() ELSE expires_at END
WHERE name = $1 AND token_hash = $2 AND ($3::boolean OR expires_at > clock_timestamp())
RETURNING holds, CASE WHEN holds = 0 AND watched_until > clock_timestamp() THEN pg_notify({TABLE_released}, name) IS NULL END`),
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

func (s *store) ReleaseTx(ctx context.Context, tx *sql.Tx, name string, tokenHash []byte, guarded bool) (int, bool, error) {
	var holds int
	var notified sql.NullBool
	ok, err := dialect.ScanOne(tx.QueryRowContext(ctx, s.guardSQL.releaseTx, name, tokenHash, guarded),
		func(sc dialect.Scanner) error { return sc.Scan(&holds, &notified) })
	return holds, ok, classify(err)
}

func (s *store) Classify(err error) error { return classify(err) }
