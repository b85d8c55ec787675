// Package handoff measures how long a lock takes to pass from a holder in
// one process to a waiter in another: the waiter (a helper process running
// Serve) starts waiting first, the holder releases, and the waiter reports
// when its acquire returned. Both processes read time.Now().UnixNano() on
// the same machine, so their timestamps share one clock.
//
// The protocol is line-based, on the helper's stdin and stdout:
//
//	parent: wait NAME…
//	helper: ready                 (before it starts acquiring)
//	helper: acquired NAME UNIXNANO   or   timeout NAME   or   error NAME MESSAGE
package handoff

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/distlock/distlock/bench/internal/lockers"
)

// Serve answers the parent's wait commands from in, acquiring each name
// through l (for at most limit) and then releasing it, until in ends. It
// acquires the names of one command concurrently, so l must allow that
// when the parent sends several.
func Serve(ctx context.Context, l lockers.Locker, in io.Reader, out io.Writer, limit time.Duration) error {
	var mu sync.Mutex
	say := func(format string, args ...any) error {
		mu.Lock()
		defer mu.Unlock()
		_, err := fmt.Fprintf(out, format+"\n", args...)
		return err
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd, rest, _ := strings.Cut(sc.Text(), " ")
		if cmd != "wait" || rest == "" {
			return fmt.Errorf("handoff helper: unknown command %q", sc.Text())
		}
		if err := say("ready"); err != nil {
			return err
		}
		var wg sync.WaitGroup
		for _, name := range strings.Fields(rest) {
			wg.Go(func() { waitFor(ctx, l, name, limit, say) })
		}
		wg.Wait()
	}
	return sc.Err()
}

// waitFor acquires name, reports when that returned, and releases it.
func waitFor(ctx context.Context, l lockers.Locker, name string, limit time.Duration, say func(string, ...any) error) {
	actx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	unlock, err := l.Lock(actx, name)
	at := time.Now().UnixNano()
	switch {
	case err != nil && actx.Err() != nil && ctx.Err() == nil:
		say("timeout %s", name)
		return
	case err != nil:
		say("error %s %s", name, oneLine(err))
		return
	}
	say("acquired %s %d", name, at)
	if err := unlock(ctx); err != nil && !lockers.IsLostRelease(err) {
		say("error %s release: %s", name, oneLine(err))
	}
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// errProtocol is a helper's unexpected answer.
var errProtocol = errors.New("handoff: unexpected answer from the helper")
