package handoff

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/distlock/distlock/bench/internal/lockers"
)

// Sample is one hand-off.
type Sample struct {
	Name string
	// FromReturned runs from the holder's release call returning to the
	// waiter's acquire returning; FromSent from just before the release
	// was called. Both are zero when TimedOut.
	FromReturned, FromSent time.Duration
	TimedOut               bool
}

// Helper is a waiter process speaking the protocol of Serve.
type Helper struct {
	in    io.WriteCloser
	lines chan string
	done  chan error
	proc  *os.Process // nil in tests that serve in-process
}

// Start starts the helper process cmd (whose stdin and stdout must be
// unset).
func Start(cmd *exec.Cmd) (*Helper, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("handoff: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("handoff: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("handoff: start helper: %w", err)
	}
	h := newHelper(in, out, cmd.Wait)
	h.proc = cmd.Process
	return h, nil
}

// Begin has the helper start waiting for names, and returns once it said
// it is about to (its acquires may not have reached the database yet).
func (h *Helper) Begin(ctx context.Context, names []string, limit time.Duration) error {
	if _, err := fmt.Fprintf(h.in, "wait %s\n", strings.Join(names, " ")); err != nil {
		return fmt.Errorf("handoff: %w", err)
	}
	line, err := h.next(ctx, limit)
	if err != nil {
		return err
	}
	if line != "ready" {
		return fmt.Errorf("%w: got %q, want ready", errProtocol, line)
	}
	return nil
}

// Kill ends the helper with SIGKILL: it neither releases nor leaves
// anything. Close then only reaps it.
func (h *Helper) Kill() error {
	if h.proc == nil {
		return fmt.Errorf("handoff: no process to kill")
	}
	return h.proc.Kill()
}

// newHelper speaks to a helper through its stdin (in) and stdout (out);
// wait waits for it to end once out is exhausted.
func newHelper(in io.WriteCloser, out io.Reader, wait func() error) *Helper {
	h := &Helper{in: in, lines: make(chan string, 64), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
		h.done <- errors.Join(sc.Err(), wait())
	}()
	return h
}

// Close ends the helper (closing its stdin) and waits for it.
func (h *Helper) Close() error {
	h.in.Close()
	for range h.lines {
	}
	if err := <-h.done; err != nil {
		return fmt.Errorf("handoff helper: %w", err)
	}
	return nil
}

// next returns the helper's next line, waiting at most d.
func (h *Helper) next(ctx context.Context, d time.Duration) (string, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case line, ok := <-h.lines:
		if !ok {
			return "", fmt.Errorf("%w: it exited", errProtocol)
		}
		return line, nil
	case <-t.C:
		return "", fmt.Errorf("%w: no answer within %v", errProtocol, d)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Measure takes every name with holder, has the helper start waiting for
// them, sleeps settle so that the helper is surely waiting, releases them
// one after the other, and collects one Sample per name. The helper gives
// up on a name after its own limit, and Measure waits for it at most
// limit plus a margin.
func (h *Helper) Measure(ctx context.Context, holder lockers.Locker, names []string, settle, limit time.Duration) ([]Sample, error) {
	unlocks := make([]lockers.Unlock, 0, len(names))
	defer func() { // on failure, release what is still held
		for _, u := range unlocks {
			if u != nil {
				u(context.WithoutCancel(ctx))
			}
		}
	}()
	for _, name := range names {
		u, err := holder.Lock(ctx, name)
		if err != nil {
			return nil, err
		}
		unlocks = append(unlocks, u)
	}
	if err := h.Begin(ctx, names, 30*time.Second); err != nil {
		return nil, err
	}
	time.Sleep(settle)
	sent := make(map[string][2]int64, len(names))
	for i, name := range names {
		t0 := time.Now().UnixNano()
		err := unlocks[i](ctx)
		t1 := time.Now().UnixNano()
		unlocks[i] = nil
		if err != nil {
			return nil, fmt.Errorf("holder release: %w", err)
		}
		sent[name] = [2]int64{t0, t1}
	}
	samples := make([]Sample, 0, len(names))
	for range names {
		line, err := h.next(ctx, limit+30*time.Second)
		if err != nil {
			return nil, err
		}
		s, err := parse(line, sent)
		if err != nil {
			return nil, err
		}
		samples = append(samples, s)
	}
	return samples, nil
}

// parse reads one answer of the helper about one of the names in sent.
func parse(line string, sent map[string][2]int64) (Sample, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return Sample{}, fmt.Errorf("%w: %q", errProtocol, line)
	}
	times, ok := sent[f[1]]
	if !ok {
		return Sample{}, fmt.Errorf("%w: unknown name in %q", errProtocol, line)
	}
	switch {
	case f[0] == "timeout":
		return Sample{Name: f[1], TimedOut: true}, nil
	case f[0] == "acquired" && len(f) == 3:
		at, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return Sample{}, fmt.Errorf("%w: %q", errProtocol, line)
		}
		return Sample{Name: f[1], FromSent: time.Duration(at - times[0]), FromReturned: time.Duration(at - times[1])}, nil
	}
	return Sample{}, fmt.Errorf("handoff helper: %s", line)
}
