package integration

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// slowProxy is a TCP proxy in front of a database server that passes the
// client's bytes on at once and the server's after a delay: a slow or
// congested network, where a statement runs (and commits) long before its
// reply arrives.
type slowProxy struct {
	ln    net.Listener
	delay atomic.Int64 // time.Duration
	wg    sync.WaitGroup
}

func startSlowProxy(t *testing.T, server string) *slowProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &slowProxy{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", server)
			if err != nil {
				c.Close()
				continue
			}
			p.wg.Add(2)
			go func() { defer p.wg.Done(); io.Copy(s, c); s.Close() }()
			go func() { defer p.wg.Done(); p.delayed(c, s); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

// slow sets the delay of the server's replies from now on.
func (p *slowProxy) slow(d time.Duration) { p.delay.Store(int64(d)) }

// delayed copies src to dst, each chunk the delay after it was read.
func (p *slowProxy) delayed(dst, src net.Conn) {
	type chunk struct {
		b  []byte
		at time.Time
	}
	chunks := make(chan chunk, 1024)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{buf[:n], time.Now().Add(time.Duration(p.delay.Load()))}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			src.Close()
			for range chunks {
			}
			return
		}
	}
}

// gaveBackLog passes the Module's "gave back" records to a channel.
type gaveBackLog chan struct{}

// listenLog is signalled once the Module's release listener has started
// or given up (the waiters poll): either way it no longer needs a pool
// connection to read its settings.
type listenLog chan struct{}

func (g listenLog) Enabled(context.Context, slog.Level) bool { return true }
func (g listenLog) WithAttrs([]slog.Attr) slog.Handler       { return g }
func (g listenLog) WithGroup(string) slog.Handler            { return g }
func (g listenLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "distlock: listening for releases" || r.Message == "distlock: waiters will poll" {
		select {
		case g <- struct{}{}:
		default:
		}
	}
	return nil
}

// both sends records to two handlers.
type both [2]slog.Handler

func (b both) Enabled(context.Context, slog.Level) bool { return true }
func (b both) WithAttrs([]slog.Attr) slog.Handler       { return b }
func (b both) WithGroup(string) slog.Handler            { return b }
func (b both) Handle(ctx context.Context, r slog.Record) error {
	b[0].Handle(ctx, r)
	return b[1].Handle(ctx, r)
}

func (g gaveBackLog) Enabled(context.Context, slog.Level) bool { return true }
func (g gaveBackLog) WithAttrs([]slog.Attr) slog.Handler       { return g }
func (g gaveBackLog) WithGroup(string) slog.Handler            { return g }
func (g gaveBackLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "distlock: gave back an acquisition whose outcome was lost" {
		select {
		case g <- struct{}{}:
		default:
		}
	}
	return nil
}

// TestLostReplyOnSlowNetwork reproduces the report: through a network
// that delays the server's replies by 400 ms, a TryAcquire, an Acquire or
// a Do with a 150 ms deadline fails while the server commits the
// acquisition. The acquisition nobody has a token for is given back at
// once, not held for the minute of MaxTime.
func TestLostReplyOnSlowNetwork(t *testing.T) {
	ops := []struct {
		name string
		op   func(ctx context.Context, l *distlock.Lock) error
	}{
		{"TryAcquire", func(ctx context.Context, l *distlock.Lock) error { _, err := l.TryAcquire(ctx); return err }},
		{"Acquire", func(ctx context.Context, l *distlock.Lock) error { return l.Acquire(ctx) }},
		{"Do", func(ctx context.Context, l *distlock.Lock) error {
			return l.Do(ctx, func(context.Context) error { return errors.New("fn ran") })
		}},
	}
	t.Parallel()
	for _, server := range []string{"postgres", "mysql"} {
		for _, o := range ops {
			t.Run(server+"/"+o.name, func(t *testing.T) {
				t.Parallel()
				tg := serverTarget(t, server)
				h, direct := setup(t, tg, distlock.Config{}) // MaxTime: a minute
				addr := map[string]string{"postgres": "127.0.0.1:5432", "mysql": "127.0.0.1:3306"}[server]
				if !strings.Contains(tg.DSN, addr) {
					t.Skipf("the %s test server is not at %s", server, addr)
				}
				p := startSlowProxy(t, addr)
				slow := tg
				slow.DSN = strings.Replace(tg.DSN, addr, p.ln.Addr().String(), 1)
				db, err := sql.Open(slow.DriverName, slow.DSN)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				log, listening := make(gaveBackLog, 1), make(listenLog, 1)
				mod, err := distlock.New(db, tg.Dialect, distlock.Config{Table: h.table, Logger: slog.New(both{log, listening})})
				if err != nil {
					t.Fatal(err)
				}
				defer mod.Close()
				// Connect and prepare first, on a fast network, so that the
				// statement under test is sent at once and runs on the
				// server (pgx pings a pooled connection idle for a second
				// before reusing it).
				// A waiting Acquire starts the release listener, which reads
				// its settings from a pool connection once: let it have done
				// so, or the operation under test may find the warm
				// connection taken and dial a new one through the slow proxy.
				db.SetMaxIdleConns(1)
				warm := mod.Get(h.name + "-warm")
				if err := warm.Acquire(t.Context()); err != nil {
					t.Fatal(err)
				}
				if err := warm.Release(t.Context()); err != nil {
					t.Fatal(err)
				}
				if server == "postgres" { // MySQL has no listener
					select {
					case <-listening:
					case <-time.After(10 * time.Second):
						t.Fatal("the release listener neither started nor gave up within 10s")
					}
				}
				// Again, right before the test: pgx pings a connection idle
				// for over a second before reusing it.
				if _, err := warm.TryAcquire(t.Context()); err != nil {
					t.Fatal(err)
				}
				if err := warm.Release(t.Context()); err != nil {
					t.Fatal(err)
				}

				p.slow(400 * time.Millisecond)
				ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
				defer cancel()
				err = o.op(ctx, mod.Get(h.name))
				failed := time.Now()
				if err == nil || err.Error() == "fn ran" {
					t.Fatalf("%s through a 400ms network with a 150ms deadline: %v; want a failure", o.name, err)
				}
				select {
				case <-log:
					t.Logf("%s failed with %v; the lock was given back %v later", o.name, err, time.Since(failed).Round(time.Millisecond))
				case <-time.After(15 * time.Second):
					info, err := direct.Inspect(t.Context(), h.name)
					t.Fatalf("no give-back within 15s; the lock: %+v, %v", info, err)
				}
				if _, err := direct.TryAcquire(t.Context(), h.name); err != nil {
					t.Fatalf("after the give-back: %v", err)
				}
			})
		}
	}
}
