package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/migrations"
)

// session is a Migrate's connection, holding the migration lock.
type session struct {
	conn     *sql.Conn
	table    string
	lockName string
	locked   bool // GET_LOCK succeeded
	forget   bool // close the connection rather than give it back
}

// retryAttempts bounds the retries of one step; the pauses add up to
// about 2 s.
const retryAttempts = 20

// retry runs f again while it fails with an error that retrying may
// survive: a certification failure (1213) or a Galera node that cannot
// serve statements now. Neither ran: the transaction was rolled back.
func (s *session) retry(ctx context.Context, f func() error) error {
	var err error
	for attempt := range retryAttempts {
		err = f()
		var e *dialect.Error
		if !errors.As(classify(err), &e) || !e.SafeToRetry() {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
	return err
}

func (s *session) Version(ctx context.Context) (version int64, dirty bool, err error) {
	err = s.retry(ctx, func() error {
		// The lowest, should two nodes have left a row each: re-running
		// is harmless, skipping is not.
		return s.conn.QueryRowContext(ctx, "SELECT version, dirty FROM `"+s.table+"` ORDER BY version LIMIT 1").Scan(&version, &dirty)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return migrations.NilVersion, false, nil
	}
	return version, dirty, err
}

// Apply marks the version dirty, runs the migration (its DDL commits by
// itself) and marks the version clean.
func (s *session) Apply(ctx context.Context, m migrations.Migration) error {
	if err := s.setVersion(ctx, m.Version, true); err != nil {
		return err
	}
	if strings.TrimSpace(m.SQL) != "" {
		if err := s.retry(ctx, func() error {
			_, err := s.conn.ExecContext(ctx, m.SQL)
			return err
		}); err != nil && !alreadyApplied(err) {
			return err
		}
	}
	return s.setVersion(ctx, m.Version, false)
}

// erDupFieldName is MySQL's "Duplicate column name".
const erDupFieldName = 1060

// alreadyApplied reports whether a migration failed only because its
// ADD COLUMN had been applied: MySQL (unlike MariaDB, which runs the
// files' /*M! IF NOT EXISTS */) has no ADD COLUMN IF NOT EXISTS, so a
// migration left dirty by a crash after its DDL committed is run again
// (see migrations.Up) and finds its column there.
func alreadyApplied(err error) bool {
	var myErr *mysql.MySQLError
	return errors.As(err, &myErr) && myErr.Number == erDupFieldName
}

// setVersion records version as the only row of the version table.
func (s *session) setVersion(ctx context.Context, version int64, dirty bool) error {
	return s.retry(ctx, func() error {
		tx, err := s.conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM `"+s.table+"`"); err != nil {
			tx.Rollback()
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO `"+s.table+"` (version, dirty) VALUES (?, ?)", version, dirty); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// Unlock releases the lock, on a context of its own (ctx may have ended),
// and gives the connection back, or closes it: on Galera (it reads
// causally), and when the release failed (the lock ends with the
// session). Nothing is left to commit or roll back.
func (s *session) Unlock(context.Context, bool) error {
	if s.locked {
		ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		var released sql.NullInt64
		if err := s.conn.QueryRowContext(ctx, "SELECT RELEASE_LOCK(?)", s.lockName).Scan(&released); err != nil || released.Int64 != 1 {
			s.forget = true
		}
		cancel()
	}
	if s.forget {
		// conn.Close then closes it (and returns only ErrConnDone).
		dialect.Discard(s.conn)
	}
	s.conn.Close()
	return nil
}
