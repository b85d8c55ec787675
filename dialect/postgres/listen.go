package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/distlock/distlock/dialect"
)

// Listen implements dialect.Listener: it opens a connection of its own
// (with the settings of the caller's pool), LISTENs on the table's
// channel, and reports every release that names the head of a line
// ("ticket name") until ctx ends or the connection fails. Payloads of
// another form (anyone may NOTIFY) are ignored.
func (s *store) Listen(ctx context.Context, ready func(), released func(name string, next int64)) error {
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
		ticket, name, ok := strings.Cut(n.Payload, " ")
		if next, err := strconv.ParseInt(ticket, 10, 64); ok && err == nil && next > 0 {
			released(name, next)
		}
	}
}
