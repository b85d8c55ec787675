package distlock

import (
	"context"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/internal/pace"
)

// The line of waiters (see dialect.Store.Enqueue). A waiting Acquire that
// finds the lock held takes a place in the lock's line once, then waits
// without writing but to renew its place: a place lasts reserve and is
// renewed every renewEvery, so a waiter that dies or stops renewing holds
// up nobody for longer than reserve. While the line is live, a free lock
// goes only to its head, and a release wakes the head alone.
const (
	reserve    = pace.Reserve
	renewEvery = pace.RenewEvery
	// Where the database cannot push releases (or cannot now: behind a
	// transaction pooler), the first waiter of this Module in a line
	// polls with a read; the others wait for it to leave the line. For
	// pollHot after it last saw the line move (it became this Module's
	// first waiter, or places ahead of it went) it reads every pollMin,
	// as a lock that changes hands every millisecond or so needs; then
	// the reads spread out by 1/pollShare of the time past that, so that
	// a waiter behind a lock held for minutes reads 20 times a second. The
	// pause is multiplied by the places ahead + 1, and is at most pollMax.
	pollMin   = pace.PollMin
	pollHot   = pace.PollHot
	pollShare = pace.PollShare
	pollMax   = pace.PollMax
)

// settle are the pauses after taking a place at which a waiter at the
// head of the line looks at the lock again, where the database pushes
// releases. A release that ran while the place was being taken (its
// statement read the line before the place was committed, and committed
// after the waiter's first look) announces nobody; these looks find the
// lock free soon after, instead of at the next renewal. A waiter with
// places ahead does not look: such a release announced one of those.
var settle = []time.Duration{4 * time.Millisecond, 16 * time.Millisecond, 64 * time.Millisecond}

// inLine is a waiting Acquire's place in the line of its lock.
type inLine struct {
	l      *Lock
	p      place
	w      *waiter
	remove func()
	st     dialect.QueueState // as last read
	known  bool               // st was read
	taken  bool               // the lock was taken from this place
	// tok is the token the waiter holds if a release grants it the lock
	// (see dialect.Granter); the place carries its hash. The same token
	// serves every place the waiter takes, so that a grant to a place it
	// thought lapsed is still found to be its own.
	tok     Token
	hash    []byte
	granted *grant // set when a release granted the lock to tok
	spent   bool   // the grant left the place for its waiter to remove
	// bound is the waiter's local, conservative estimate of its place's
	// expiry (the send time of the last enqueue or renewal that
	// succeeded, plus reserve). A grant takes its expiry from the place
	// as the release removed it, which every renewal that succeeded had
	// written: bound is the grant's expiry too.
	bound time.Time
}

// join takes a place at the end of the line of l's lock.
func (l *Lock) join(ctx context.Context) (*inLine, error) {
	q := &inLine{l: l}
	if g, ok := l.m.store.(dialect.Granter); ok && g.Grants() {
		q.tok = newToken()
		q.hash = hashToken(l.name, q.tok)
	}
	if err := l.m.enterLine(); err != nil {
		return nil, err
	}
	joined := l.m.waiters.joins(l.name) // from now on, others of this Module join without trying
	defer joined()
	ticket, err := q.enqueue(ctx)
	if err != nil {
		l.m.lining.Done()
		return nil, err
	}
	q.p = place{l.name, ticket}
	q.w, q.remove = l.m.waiters.add(q.p)
	return q, nil
}

func (q *inLine) enqueue(ctx context.Context) (ticket int64, err error) {
	req := dialect.EnqueueRequest{Name: q.l.name, Owner: q.l.m.cfg.Owner, Reserve: reserve,
		Hash: q.hash, TTL: q.l.maxTime}
	var sent time.Time
	err = q.l.m.retry(ctx, func() (err error) {
		sent = time.Now()
		ticket, err = q.l.m.store.Enqueue(ctx, req)
		return err
	})
	if err == nil {
		q.bound = sent.Add(reserve)
	}
	return ticket, err
}

// dialectPlace is the place as the dialect knows it.
func (q *inLine) dialectPlace() dialect.Place {
	return dialect.Place{Name: q.p.name, Ticket: q.p.ticket, Hash: q.hash}
}

// look reads the lock's state once the place is registered: a release
// that came between taking the place and registering it woke nobody.
func (q *inLine) look(ctx context.Context) error {
	st, err := q.poll(ctx)
	if err == nil {
		q.st, q.known = st, true
	}
	return err
}

// leave gives up the place: the next waiter of this Module takes over the
// watch, and a place not used to take the lock is removed from the line
// in the background (it lapses by itself if that fails). A grant that
// raced the waiter's departure (a release read the place before it went)
// is given back, in the background too.
func (q *inLine) leave() {
	defer q.l.m.lining.Done()
	q.remove()
	if !q.taken || !q.l.m.pushing() {
		// The next waiter of this Module takes over the watch (where
		// the database cannot push), or the turn this one gave up.
		q.l.m.waiters.wakeNext(q.p.name, q.p.ticket)
	}
	switch {
	case !q.taken:
		q.l.m.dequeue(q.p)
		if q.tok != "" {
			q.l.m.giveBack(q.l.name, q.tok)
		}
	case q.spent:
		q.l.m.dequeue(q.p) // a grant spent it without removing it
	}
}

// await waits for the turn of q: it returns nil when the lock may be
// taken from q's place (a release woke it, or the lock is free and q is
// the head of the line), or when it is time to try again anyway; an error
// when the database fails in a way waiting does not survive. It returns
// when ctx or the Module ends too; the caller checks them.
func (q *inLine) await(ctx context.Context, holder dialect.Row) error {
	m := q.l.m
	if q.granted != nil || q.known && q.st.Free && q.st.Ahead == 0 {
		return nil // see look
	}
	now := time.Now()
	renewAt := now.Add(renewEvery)
	expiryAt := time.Time{} // when the holder's time runs out
	if holder.Name != "" {
		expiryAt = now.Add(max(holder.Remaining, 0) + time.Millisecond)
	}
	t := time.NewTimer(0)
	defer t.Stop()
	looks := settle
	joined := now
	movedAt, wasPolling := now, false // see pollMin
	for {
		next := renewAt
		if len(looks) > 0 && m.pushing() && q.known && q.st.Ahead == 0 {
			if at := joined.Add(looks[0]); at.Before(next) {
				next = at
			}
		}
		if !expiryAt.IsZero() && (!q.known || q.st.Ahead == 0) && expiryAt.Before(next) {
			next = expiryAt
		}
		polling := !m.pushing() && m.waiters.localHead(q.p)
		if polling && !wasPolling {
			movedAt = time.Now() // the waiter before it here has gone
		}
		wasPolling = polling
		if polling {
			every := (pollMin + max(time.Since(movedAt)-pollHot, 0)/pollShare) * time.Duration(q.st.Ahead+1)
			if p := time.Now().Add(min(every, pollMax)); p.Before(next) {
				next = p
			}
		}
		t.Reset(time.Until(next))
		var st dialect.QueueState
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-m.ctx.Done():
			return nil
		case <-q.w.ch:
			local, g := q.w.woken()
			switch {
			case g.fence > 0:
				how := "by a release here"
				if g.deadline.IsZero() { // a vouched notice: see bound
					g.deadline, how = q.bound, "by a notice"
				}
				q.granted = &g
				m.cfg.Logger.DebugContext(ctx, "distlock: granted the lock from the line", "name", q.p.name, "how", how)
				return nil
			case local:
				return nil // released here (or vouched for), and this place is the head
			}
			st, err = q.poll(ctx) // a notice anyone may have sent is checked
		case <-t.C:
			for len(looks) > 0 && !time.Now().Before(joined.Add(looks[0])) {
				looks = looks[1:]
			}
			if time.Now().Before(renewAt) {
				st, err = q.poll(ctx)
				break
			}
			renewAt = time.Now().Add(renewEvery)
			var ok bool
			st, ok, err = q.renew(ctx)
			if err == nil && !ok && q.granted == nil {
				// The place lapsed (this waiter stalled): take a new one.
				if err = q.rejoin(ctx); err != nil {
					return err
				}
				if q.granted != nil || q.st.Free && q.st.Ahead == 0 {
					return nil
				}
				continue
			}
		}
		if err != nil {
			if !survivable(err) {
				return err
			}
			m.cfg.Logger.WarnContext(ctx, "distlock: acquire failed; waiting on", "name", q.p.name, "err", err)
			continue
		}
		if q.granted != nil {
			return nil
		}
		if q.known && st.Ahead < q.st.Ahead {
			movedAt = time.Now() // the line moved
		}
		q.st, q.known = st, true
		if st.Free && st.Ahead == 0 {
			return nil
		}
		m.cfg.Logger.DebugContext(ctx, "distlock: woken, but the lock is still held", "name", q.p.name, "ahead", st.Ahead)
		expiryAt = time.Time{}
		if !st.Free {
			expiryAt = time.Now().Add(max(st.Remaining, 0) + time.Millisecond)
		}
	}
}

func (q *inLine) poll(ctx context.Context) (st dialect.QueueState, err error) {
	var sent time.Time
	err = q.l.m.retry(ctx, func() (err error) {
		sent = time.Now()
		st, err = q.l.m.store.Poll(ctx, q.dialectPlace())
		return err
	})
	q.sawGrant(st, sent, err)
	return st, err
}

func (q *inLine) renew(ctx context.Context) (st dialect.QueueState, ok bool, err error) {
	var sent time.Time
	err = q.l.m.retry(ctx, func() (err error) {
		sent = time.Now()
		st, ok, err = q.l.m.store.Renew(ctx, q.dialectPlace(), reserve)
		return err
	})
	if err == nil && ok {
		q.bound = sent.Add(reserve)
	}
	q.sawGrant(st, sent, err)
	return st, ok, err
}

// sawGrant records a grant that a read sent at sent found.
func (q *inLine) sawGrant(st dialect.QueueState, sent time.Time, err error) {
	if err == nil && st.Granted() && q.tok != "" && q.granted == nil {
		q.granted = &grant{fence: st.Fence, deadline: sent.Add(st.Remaining)}
		q.spent = st.Leave
		q.l.m.cfg.Logger.Debug("distlock: granted the lock from the line", "name", q.p.name, "how", "read")
	}
}

// rejoin takes a new place at the end of the line, for a place that
// lapsed.
func (q *inLine) rejoin(ctx context.Context) error {
	ticket, err := q.enqueue(ctx)
	if err != nil {
		return err
	}
	to := place{q.p.name, ticket}
	q.l.m.waiters.move(q.p, to, q.w)
	q.p, q.known = to, false
	q.l.m.cfg.Logger.WarnContext(ctx, "distlock: a place in line lapsed; took a new one", "name", q.p.name)
	return q.look(ctx)
}

// dequeue removes a place from its line in the background, on a context
// of its own, with bounded attempts (Close waits for it).
func (m *Module) dequeue(p place) {
	m.background(func(ctx context.Context) {
		pause := 20 * time.Millisecond
		for {
			err := m.store.Dequeue(ctx, p.name, p.ticket)
			if err == nil {
				return
			}
			if !sleepCtx(ctx, jitter(pause)) {
				m.cfg.Logger.WarnContext(ctx, "distlock: could not leave a line; the place lapses by itself", "name", p.name, "err", err)
				return
			}
			pause = min(2*pause, time.Second)
		}
	})
}
