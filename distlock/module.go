package distlock

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distlock/distlock/dialect"
)

// Module is the entry point: one lock table on one database. It is safe
// for concurrent use; make one per table and process and share it.
type Module struct {
	db      *sql.DB // the caller's; DoTx begins its transactions on it
	store   dialect.Store
	cfg     Config
	waiters waiters
	push    atomic.Bool // a listener relays the database's releases

	// ctx ends when the Module is closed; background goroutines (the
	// listener, keep-alives) watch it and are counted in wg.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex     // orders spawn's wg.Add before Close's wg.Wait
	lining     sync.WaitGroup // waiting Acquires with a place in a line (see inLine)
	giving     sync.WaitGroup // background give-backs (see giveBack)
	storeGone  bool           // set under mu once Close stops give-backs
	guarded    sync.Map       // guardKey → struct{}: transactions Lock.Guard checked, until their bound
	listenOnce sync.Once
	closeOnce  sync.Once
	closeErr   error
}

// New returns a Module that keeps its locks in cfg.Table on db, speaking
// the dialect d (sqlite.Dialect(), postgres.Dialect(), mysql.Dialect()).
// It validates cfg and does not touch the database: call Migrate once to
// create the table. The Module never closes db.
func New(db *sql.DB, d dialect.Dialect, cfg Config) (*Module, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil *sql.DB", ErrInvalidConfig)
	}
	if d == nil {
		return nil, fmt.Errorf("%w: nil dialect", ErrInvalidConfig)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	store, err := d.Bind(db, cfg.Table)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	m := &Module{db: db, store: store, cfg: cfg}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m, nil
}

// Config returns the Module's configuration with defaults filled in.
func (m *Module) Config() Config { return m.cfg }

// Get returns a new handle on the lock name. Every call returns a distinct
// handle; a handle that acquires gets its own token. An invalid name is
// reported by the handle's first operation, as ErrInvalidName, and so is
// an invalid option (ErrInvalidConfig).
func (m *Module) Get(name string, opts ...LockOption) *Lock {
	l := &Lock{m: m, name: name, err: ValidName(name), maxTime: m.cfg.MaxTime}
	for _, opt := range opts {
		if err := opt(l); err != nil && l.err == nil {
			l.err = err
		}
	}
	return l
}

// Attach returns a handle on the lock name holding tok, a token acquired
// elsewhere, possibly by another process. The handle can extend and
// release that acquisition, and re-enter it with Acquire. An invalid name
// or token is reported by the handle's first operation.
func (m *Module) Attach(name string, tok Token, opts ...LockOption) *Lock {
	l := m.Get(name, opts...)
	if l.err == nil {
		_, l.err = ParseToken(string(tok))
	}
	if l.err == nil {
		l.tok = tok
	}
	return l
}

// Close stops the Module's background work (the release listener and the
// keep-alives of running Do calls, whose functions see their context
// cancelled with cause ErrClosed) and waits for it to end, including the
// give-back of acquisitions whose outcome a failure hid (at most a few
// seconds, see giveBack). Later calls on
// the Module return ErrClosed. Close does not close the *sql.DB and does
// not release held locks. It is safe to call more than once.
func (m *Module) Close() error {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.cancel()
		m.mu.Unlock()
		m.wg.Wait()
		// Waiting Acquires leave their lines before give-backs stop: one
		// may have been granted its lock as it left (see inLine.leave).
		waitBounded(&m.lining, giveBackTimeout)
		m.mu.Lock()
		m.storeGone = true
		m.mu.Unlock()
		m.giving.Wait()
		m.closeErr = m.store.Close()
	})
	return m.closeErr
}

// waitBounded waits for wg, for at most d.
func waitBounded(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// enterLine counts a waiting Acquire that takes a place in a line, until
// it leaves (see Close); after Close it returns ErrClosed.
func (m *Module) enterLine() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.alive(); err != nil {
		return err
	}
	m.lining.Add(1)
	return nil
}

// alive returns ErrClosed after Close.
func (m *Module) alive() error {
	if m.ctx.Err() != nil {
		return ErrClosed
	}
	return nil
}

// spawn runs f in a goroutine that Close waits for; after Close it
// returns ErrClosed instead.
func (m *Module) spawn(f func()) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.alive(); err != nil {
		return err
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
	return nil
}

// pushing reports whether the database's releases reach this Module's
// waiters now; while not, the first waiter of each line polls.
func (m *Module) pushing() bool { return m.push.Load() }

// wakeHead wakes the waiter at the head of the line of name, whose ticket
// a release returned (and to whom it may have granted the lock), if it
// waits in this Module; sent is when the release was sent. When the
// release could not tell (0: nobody
// waits, or the dialect does not read the line on release), the first
// waiter of this Module, if any, looks.
func (m *Module) wakeHead(name string, res dialect.Released, sent time.Time) {
	if res.Next != 0 {
		g := grant{fence: res.Fence}
		if res.Fence > 0 {
			g.deadline = sent.Add(res.Remaining)
		}
		m.waiters.wake(place{name, res.Next}, true, g)
		return
	}
	m.waiters.wakeNext(name, 0)
}

// listen starts, once, the goroutine that relays the database's release
// notifications to local waiters, when the dialect can push.
func (m *Module) listen() {
	l, ok := m.store.(dialect.Listener)
	if !ok {
		return
	}
	m.listenOnce.Do(func() {
		_ = m.spawn(func() { m.relay(l) }) // fails only after Close
	})
}

// relay keeps a listener running until Close, reconnecting with back-off.
// Whenever it (re)starts listening it wakes every waiter, because
// notifications sent while it was down are lost.
func (m *Module) relay(l dialect.Listener) {
	const maxPause = 5 * time.Second
	pause := 100 * time.Millisecond
	for {
		err := l.Listen(m.ctx, func() {
			pause = 100 * time.Millisecond
			m.cfg.Logger.DebugContext(m.ctx, "distlock: listening for releases")
			m.push.Store(true)
			m.waiters.wakeAll()
		}, func(n dialect.Notice) {
			// A grant's expiry is the waiter's place's (see inLine.bound).
			m.waiters.wake(place{n.Name, n.Next}, n.Vouched, grant{fence: n.Fence})
		})
		m.push.Store(false)
		m.waiters.wakeAll() // waiters poll until it listens again
		if m.ctx.Err() != nil {
			return
		}
		if errors.Is(err, dialect.ErrListenUnsupported) {
			m.cfg.Logger.InfoContext(m.ctx, "distlock: waiters will poll", "reason", err)
			return
		}
		m.cfg.Logger.WarnContext(m.ctx, "distlock: release listener stopped; reconnecting", "err", err, "pause", pause)
		t := time.NewTimer(jitter(pause))
		select {
		case <-m.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, maxPause)
	}
}
