package integration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// The test binary doubles as the helper program that runs in the other
// processes: TestMain calls helperMain when helperEnv is set.
const helperEnv = "DISTLOCK_HELPER"

// helper describes a helper process to start.
type helper struct {
	tg      target
	table   string
	name    string        // lock name
	maxTime time.Duration // Config.MaxTime
	retry   time.Duration // Config.RetryInterval
	extra   []string      // mode-specific KEY=VALUE environment
}

// command returns the helper process for mode.
func (h helper) command(t *testing.T, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		helperEnv+"="+mode,
		"H_DIALECT="+h.tg.Name,
		"H_DRIVER="+h.tg.DriverName,
		"H_DSN="+h.tg.DSN,
		"H_TABLE="+h.table,
		"H_NAME="+h.name,
		"H_MAXTIME="+h.maxTime.String(),
		"H_RETRY="+h.retry.String(),
	)
	cmd.Env = append(cmd.Env, h.extra...)
	cmd.Stderr = os.Stderr
	return cmd
}

func helperMain(mode string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	err := runHelper(ctx, mode)
	if err != nil {
		fmt.Fprintf(os.Stderr, "helper %s (pid %d): %v\n", mode, os.Getpid(), err)
		return 1
	}
	return 0
}

func runHelper(ctx context.Context, mode string) error {
	maxTime, _ := time.ParseDuration(os.Getenv("H_MAXTIME"))
	retry, _ := time.ParseDuration(os.Getenv("H_RETRY"))
	db, err := sql.Open(os.Getenv("H_DRIVER"), os.Getenv("H_DSN"))
	if err != nil {
		return err
	}
	defer db.Close()
	mod, err := distlock.New(db, dialectByName(os.Getenv("H_DIALECT")), distlock.Config{
		Table: os.Getenv("H_TABLE"), MaxTime: maxTime, RetryInterval: retry,
		Owner: "helper-" + strconv.Itoa(os.Getpid()), Logger: helperLogger(),
	})
	if err != nil {
		return err
	}
	defer mod.Close()
	name := os.Getenv("H_NAME")

	switch mode {
	case "torture":
		return tortureWorker(ctx, mod)
	case "contend":
		return contend(ctx, mod, name)
	case "acquire": // acquire, print the token, exit holding the lock
		tok, err := mod.Acquire(ctx, name)
		if err != nil {
			return err
		}
		fmt.Println(string(tok))
		return nil
	case "reenter", "release", "extend": // act on the token read from H_TOKEN
		l := mod.Attach(name, distlock.Token(os.Getenv("H_TOKEN")))
		switch mode {
		case "reenter":
			return l.Acquire(ctx)
		case "release":
			return l.Release(ctx)
		default:
			return l.Extend(ctx)
		}
	case "hold": // acquire, say so, and hold (extending nothing) until killed
		if _, err := mod.Acquire(ctx, name); err != nil {
			return err
		}
		fmt.Println("held")
		<-ctx.Done()
		return nil
	case "wait": // wait for the lock, then print how long that took
		start := time.Now()
		if _, err := mod.Acquire(ctx, name); err != nil {
			return err
		}
		fmt.Println(time.Since(start).Microseconds())
		return nil
	}
	if run := moreHelpers[mode]; run != nil {
		return run(ctx, mod, name)
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// moreHelpers are helper modes defined next to their tests.
var moreHelpers = map[string]func(ctx context.Context, mod *distlock.Module, name string) error{}

// contend runs H_ROUNDS critical sections under the lock. Each appends
// "enter PID FENCE" and "exit PID FENCE" to H_LOG (O_APPEND, one write per
// line) around a read-modify-write of the counter in H_COUNTER, so the
// parent can check that no two sections overlapped and no update was lost.
func contend(ctx context.Context, mod *distlock.Module, name string) error {
	rounds, _ := strconv.Atoi(os.Getenv("H_ROUNDS"))
	logf, err := os.OpenFile(os.Getenv("H_LOG"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	counter := os.Getenv("H_COUNTER")
	for range rounds {
		l := mod.Get(name)
		err := l.Do(ctx, func(ctx context.Context) error {
			fmt.Fprintf(logf, "enter %d %d\n", os.Getpid(), l.Fence())
			data, err := os.ReadFile(counter)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
			time.Sleep(2 * time.Millisecond)
			if err := os.WriteFile(counter, []byte(strconv.Itoa(n+1)), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(logf, "exit %d %d\n", os.Getpid(), l.Fence())
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// helperLogger logs the library's warnings to stderr when H_VERBOSE is set.
func helperLogger() *slog.Logger {
	if os.Getenv("H_VERBOSE") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
