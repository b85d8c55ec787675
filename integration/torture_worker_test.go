package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// workerReport is what a torture worker prints when it ends.
type workerReport struct {
	Sections int            `json:"sections"`
	Lost     int            `json:"lost"`
	Errors   map[string]int `json:"errors"`
}

// tortureWorker runs H_WORKERS goroutines that take random locks among
// H_NAMES until H_UNTIL, logging every critical section to H_LOG (see
// checkTorture for the format) around a read-modify-write of a counter
// file per lock in H_DIR. A few sections (H_LONG of them) outlast MaxTime,
// so that the keep-alive has work to do.
func tortureWorker(ctx context.Context, mod *distlock.Module) error {
	names, _ := strconv.Atoi(os.Getenv("H_NAMES"))
	workers, _ := strconv.Atoi(os.Getenv("H_WORKERS"))
	long, _ := strconv.ParseFloat(os.Getenv("H_LONG"), 64)
	until, _ := strconv.ParseInt(os.Getenv("H_UNTIL"), 10, 64)
	dir := os.Getenv("H_DIR")
	logf, err := os.OpenFile(os.Getenv("H_LOG"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer logf.Close()
	ctx, cancel := context.WithDeadline(ctx, time.Unix(0, until))
	defer cancel()
	maxTime := mod.Config().MaxTime

	var mu sync.Mutex
	rep := workerReport{Errors: map[string]int{}}
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			id := fmt.Sprintf("%d.%d", os.Getpid(), g)
			for ctx.Err() == nil {
				name := "torture-" + strconv.Itoa(rand.N(names))
				l := mod.Get(name)
				err := l.Do(ctx, func(ctx context.Context) error {
					return section(ctx, mod, l, logf, dir, id, rand.Float64() < long, maxTime)
				})
				mu.Lock()
				switch {
				case err == nil:
					rep.Sections++
				case errors.Is(err, distlock.ErrLost):
					rep.Lost++
				case ctx.Err() != nil:
				default:
					var dbErr *distlock.DBError
					key := "other"
					if errors.As(err, &dbErr) {
						key = dbErr.Op + "/" + dialect.KindOf(err).String()
					}
					rep.Errors[key]++
					if rep.Errors[key] <= 3 {
						fmt.Fprintf(os.Stderr, "torture worker %s: %v\n", id, err)
					}
				}
				mu.Unlock()
				if err != nil && !errors.Is(err, distlock.ErrLost) {
					time.Sleep(20 * time.Millisecond) // the database may be down
				}
			}
		})
	}
	wg.Wait()
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// section is one critical section: log the entry with the acquisition's
// fence and start time (by the database's clock), update the counter,
// log the exit with the value written. A section whose lock is lost stops
// without writing and logs an abort.
func section(ctx context.Context, mod *distlock.Module, l *distlock.Lock, logf *os.File, dir, id string, long bool, maxTime time.Duration) error {
	name := l.Name()
	info, err := mod.Inspect(ctx, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "E %s %s %d %d %d\n", name, id, l.Fence(), info.AcquiredAt.UnixNano(), time.Now().UnixNano())
	abort := func() error {
		fmt.Fprintf(logf, "A %s %s %d\n", name, id, l.Fence())
		return context.Cause(ctx)
	}
	if long {
		for end := time.Now().Add(maxTime + maxTime/3); time.Now().Before(end); {
			if ctx.Err() != nil {
				return abort()
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	time.Sleep(time.Duration(rand.N(2000)) * time.Microsecond)
	if ctx.Err() != nil {
		return abort()
	}
	// Write a new file and rename it over the old one, so that a holder
	// killed half-way leaves the old value or the new one, never a torn one.
	tmp := fmt.Sprintf("%s.%s", path, id)
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n+1)), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	fmt.Fprintf(logf, "X %s %s %d %d %d\n", name, id, l.Fence(), n+1, time.Now().UnixNano())
	return nil
}
