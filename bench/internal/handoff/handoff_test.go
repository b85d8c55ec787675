package handoff

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/bench/internal/lockers"
)

// memLocker is an in-process Locker: one holder per name, waiters block.
type memLocker struct {
	mu    sync.Mutex
	names map[string]chan struct{}
}

func (m *memLocker) Lock(ctx context.Context, name string) (lockers.Unlock, error) {
	for {
		m.mu.Lock()
		ch, held := m.names[name]
		if !held {
			ch = make(chan struct{})
			m.names[name] = ch
			m.mu.Unlock()
			return func(context.Context) error {
				m.mu.Lock()
				delete(m.names, name)
				m.mu.Unlock()
				close(ch)
				return nil
			}, nil
		}
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (m *memLocker) Close() error { return nil }

// The protocol between Measure and Serve, both ends in one process.
func TestMeasureServe(t *testing.T) {
	l := &memLocker{names: map[string]chan struct{}{}}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- Serve(t.Context(), l, inR, outW, time.Second); outW.Close() }()
	h := newHelper(inW, outR, func() error { return nil })
	samples, err := h.Measure(t.Context(), l, []string{"a", "b"}, 10*time.Millisecond, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 2 {
		t.Fatalf("got %d samples, want 2", len(samples))
	}
	for _, s := range samples {
		if s.TimedOut || s.FromSent <= 0 || s.FromSent < s.FromReturned || s.FromSent > time.Second {
			t.Errorf("implausible sample %+v", s)
		}
	}
	if err := h.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestParse(t *testing.T) {
	sent := map[string][2]int64{"x": {100, 150}}
	s, err := parse("acquired x 400", sent)
	if err != nil || s.FromSent != 300 || s.FromReturned != 250 {
		t.Errorf("parse acquired = %+v, %v", s, err)
	}
	if s, err := parse("timeout x", sent); err != nil || !s.TimedOut {
		t.Errorf("parse timeout = %+v, %v", s, err)
	}
	for _, bad := range []string{"acquired y 1", "error x boom", "acquired x", "?"} {
		if _, err := parse(bad, sent); err == nil {
			t.Errorf("parse(%q) succeeded", bad)
		}
	}
}
