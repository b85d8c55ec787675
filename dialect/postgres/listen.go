package postgres

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/distlock/distlock/dialect"
)

// probeTimeout bounds the wait for the listener's probe notification. On
// a session of its own a notification arrives within milliseconds of
// its commit.
const probeTimeout = 2 * time.Second

// probePrefix starts the name of the channel, private to one listener,
// that its probe notification is sent on, so that no other listener
// hears it.
const probePrefix = "distlock_probe_"

// errNotSession is wrapped in the dialect.ErrListenUnsupported that Listen
// returns when notifications never reach its connection.
var errNotSession = errors.New("postgres: a NOTIFY did not reach the LISTEN connection within " + probeTimeout.String() +
	" (is a pooler in transaction mode, such as PgBouncer's, in between?)")

// Listen implements dialect.Listener: it opens a connection of its own
// (with the settings of the caller's pool), checks that notifications
// reach it, LISTENs on the table's channel, and reports every release
// that names the head of a line ("ticket name") until ctx ends or the
// connection fails. Payloads of another form (anyone may NOTIFY) are
// ignored.
//
// Through a pooler in transaction mode a LISTEN "succeeds" on some server
// connection that then goes back to the pool, and nothing is ever
// delivered to the listener. Worse, the LISTEN stays on that pooled
// server connection, which then forwards every release's notification to
// whichever client it serves, or to the pooler while it serves none
// (PgBouncer 1.18 exited once in these tests with a FATAL "server in bad
// state: 11" while such LISTENs were on its server connections: its issue
// 822, a packet from a server connection awaiting a cancel request, fixed
// in 1.20.1). So Listen goes on only on a connection that is a session of
// its own with a server process (ownSession), and only once a probe
// NOTIFY, sent from another connection on a channel of the listener's
// own, has arrived within probeTimeout. When either check fails, or once
// the Store has met a pooler (see pooler.go), Listen returns an error
// wrapping dialect.ErrListenUnsupported and the waiters poll.
func (s *store) Listen(ctx context.Context, ready func(), released func(dialect.Notice)) error {
	if s.pooled.Load() {
		return fmt.Errorf("%w: %w", dialect.ErrListenUnsupported, errPooled)
	}
	cfg, err := s.connConfig(ctx)
	switch {
	case errors.Is(err, errNotPgx):
		return fmt.Errorf("%w: %w", dialect.ErrListenUnsupported, err)
	case err != nil: // e.g. the server is down: the caller tries again
		return classify(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return classify(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := ownSession(ctx, conn); err != nil {
		return err
	}
	buf := make([]byte, 8)
	rand.Read(buf)
	probe := probePrefix + hex.EncodeToString(buf)
	// The probe's channel first: nobody else notifies it, so even a
	// LISTEN that stayed on a pooled server connection would do no harm.
	if _, err := conn.Exec(ctx, `LISTEN "`+probe+`"`); err != nil {
		return classify(err)
	}
	if err := s.probe(ctx, cfg, conn, probe); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `LISTEN "`+s.channel+`"`); err != nil {
		return classify(err)
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return classify(err)
		}
		if n == nil { // after other asynchronous messages (notices)
			continue
		}
		if notice, ok := s.parseReleased(n.Payload); ok {
			released(notice)
		}
	}
}

// errNotOwnSession is wrapped in the dialect.ErrListenUnsupported that
// Listen returns when its connection does not talk to a server process
// of its own.
var errNotOwnSession = errors.New("postgres: the connection's backend key names another process than the one serving it " +
	"(a pooler, such as PgBouncer, is in between), so a LISTEN would stay on a shared server connection")

// ownSession checks that conn talks to a server process of its own: the
// process ID in the backend key that the server sent at connection time
// is the one that serves its statements. A pooler such as PgBouncer
// hands its clients backend keys of its own, so that it can route their
// cancel requests (seen with PgBouncer 1.18 in transaction mode). A proxy that passes the connection
// through (TCP, TLS) changes nothing.
func ownSession(ctx context.Context, conn *pgx.Conn) error {
	var pid uint32
	// The simple protocol: no named statement on a shared connection.
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`, pgx.QueryExecModeSimpleProtocol).Scan(&pid); err != nil {
		return classify(err)
	}
	if pid != conn.PgConn().PID() {
		return fmt.Errorf("%w: %w", dialect.ErrListenUnsupported, errNotOwnSession)
	}
	return nil
}

// errPooled is wrapped in the dialect.ErrListenUnsupported that Listen
// returns once the Store's statements have met a pooler.
var errPooled = errors.New("postgres: statements showed a pooler in transaction mode, which delivers no notifications")

// probe sends a NOTIFY on the channel probe from a second connection of
// its own, made with cfg, and waits for conn, which LISTENs on it, to
// receive it.
func (s *store) probe(ctx context.Context, cfg *pgx.ConnConfig, conn *pgx.Conn, probe string) error {
	// Not from conn: a pooler may run a session's NOTIFY on the very
	// server connection its LISTEN ran on, which notifies itself. Nor
	// through the caller's pool, whose connections its statements need.
	// The simple protocol: no named statement on a shared connection.
	sender, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return classify(err)
	}
	_, err = sender.Exec(ctx, `SELECT pg_notify('`+probe+`', '')`)
	sender.Close(context.WithoutCancel(ctx))
	if err != nil {
		return classify(err)
	}
	wait, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	for {
		n, err := conn.WaitForNotification(wait)
		switch {
		case err == nil:
			if n != nil && n.Channel == probe {
				return nil
			}
		case ctx.Err() != nil:
			return classify(err)
		case wait.Err() != nil:
			// The LISTEN may stay on a pooled server connection; undo it
			// if this connection lands there again (best effort).
			unlisten, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			conn.Exec(unlisten, `UNLISTEN "`+probe+`"`)
			cancel()
			return fmt.Errorf("%w: %w", dialect.ErrListenUnsupported, errNotSession)
		default:
			return classify(err)
		}
	}
}

// parseReleased reads a release's notification, "ticket:nonce name" or,
// for a grant, "ticket:nonce:fence name" (or "ticket name" from a
// distlock that sent no nonce): the head's ticket, whether the nonce is
// this Store's (see store.nonce), and the grant's fence.
func (s *store) parseReleased(payload string) (dialect.Notice, bool) {
	head, name, ok := strings.Cut(payload, " ")
	ticket, rest, hasNonce := strings.Cut(head, ":")
	next, err := strconv.ParseInt(ticket, 10, 64)
	if !ok || err != nil || next <= 0 {
		return dialect.Notice{}, false
	}
	n := dialect.Notice{Name: name, Next: next}
	if hasNonce {
		nonce, fence, granted := strings.Cut(rest, ":")
		v, err := strconv.ParseInt(nonce, 10, 64)
		n.Vouched = err == nil && v != 0 && v == s.nonce
		if granted && n.Vouched {
			if f, err := strconv.ParseInt(fence, 10, 64); err == nil && f > 0 {
				n.Fence = f
			}
		}
	}
	return n, true
}

// newNonce returns a random, non-zero nonce.
func newNonce() int64 {
	var b [8]byte
	for {
		rand.Read(b[:])
		if n := int64(binary.LittleEndian.Uint64(b[:]) >> 1); n != 0 {
			return n
		}
	}
}
