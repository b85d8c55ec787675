package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"sync"
)

// startError gives a CMD that could not be started the shells' exit
// codes: 127 if it was not found, else 126.
func startError(name string, err error) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return withCode(exitNotFound, fmt.Errorf("%s: command not found", name))
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return withCode(exitCannotExec, fmt.Errorf("cannot run %s: %v", name, err))
}

// exitStatus returns the exit status of a process as a shell reports it.
func exitStatus(ps *os.ProcessState) int {
	if ps == nil {
		return exitError
	}
	if n, ok := signalled(ps); ok {
		return 128 + n
	}
	if code := ps.ExitCode(); code >= 0 {
		return code
	}
	return exitError
}

// signaller is where the forwarder sends signals once CMD runs.
type signaller interface{ signal(os.Signal) }

// forwarder relays signals: before CMD starts they cancel the wait for
// the lock; while CMD starts they are held back; then they go to CMD.
type forwarder struct {
	ch        chan os.Signal
	cancel    context.CancelCauseFunc
	done      chan struct{}
	stopOnce  sync.Once
	loopEnded chan struct{}

	mu       sync.Mutex
	proc     signaller   // CMD (on Unix, its supervisor), while it runs
	starting bool        // CMD is being started
	pending  []os.Signal // received while starting
	first    os.Signal   // the signal that ended the wait
}

func newForwarder(cancel context.CancelCauseFunc) *forwarder {
	f := &forwarder{
		ch: make(chan os.Signal, 8), cancel: cancel,
		done: make(chan struct{}), loopEnded: make(chan struct{}),
	}
	signal.Notify(f.ch, forwardedSignals...)
	go f.loop()
	return f
}

func (f *forwarder) loop() {
	defer close(f.loopEnded)
	for {
		select {
		case s := <-f.ch:
			f.handle(s)
		case <-f.done:
			return
		}
	}
}

func (f *forwarder) handle(s os.Signal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.proc != nil:
		f.proc.signal(s)
	case f.starting:
		f.pending = append(f.pending, s)
	case f.first == nil && slices.Contains(interruptSignals, s):
		f.first = s
		f.cancel(interrupted{s})
	}
}

// begin reports, as an error, a signal that came before CMD could start;
// otherwise signals are held back until started.
func (f *forwarder) begin() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.first != nil {
		return interrupted{f.first}
	}
	f.starting = true
	return nil
}

// started sends CMD (nil once it has exited, or if it could not start)
// the signals held back, and the later ones.
func (f *forwarder) started(p signaller) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.proc, f.starting = p, false
	if p != nil {
		for _, s := range f.pending {
			p.signal(s)
		}
	}
	f.pending = nil
}

// stop restores the default handling of the signals.
func (f *forwarder) stop() {
	f.stopOnce.Do(func() {
		signal.Stop(f.ch)
		close(f.done)
		<-f.loopEnded
	})
}
