// Package heldmem measures what holding many locks costs: the Go heap of
// a process holding them (run it in a process of its own, so that nothing
// else is on the heap) and the size of the lock table on disk.
package heldmem

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/distlock"
)

// Table is the lock table the measurement fills.
const Table = "bench_held"

// Result is one measurement.
type Result struct {
	Locks int
	// HeapBytes is the growth of the live Go heap (after a full GC) from
	// before the first acquisition to when every lock is held.
	HeapBytes int64
	// TableBytes is the size of the lock table on disk with every lock
	// held (PostgreSQL: pg_total_relation_size; SQLite: the database file
	// after a WAL checkpoint, less the same file with the table empty).
	TableBytes int64
	Elapsed    time.Duration
}

// Measure empties Table on t, acquires n locks with workers goroutines,
// keeping every handle, and measures the heap and the table. It empties
// the table again before returning.
func Measure(ctx context.Context, t *target.Target, n, workers int) (Result, error) {
	m, err := t.Module(ctx, Table, distlock.Config{MaxTime: time.Hour})
	if err != nil {
		return Result{}, err
	}
	defer m.Close()
	if err := empty(ctx, t); err != nil {
		return Result{}, err
	}
	defer empty(context.WithoutCancel(ctx), t)
	emptySize, err := tableSize(ctx, t)
	if err != nil {
		return Result{}, err
	}
	before := liveHeap()
	start := time.Now()
	held := make([][]*distlock.Lock, workers)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				l := m.Get(fmt.Sprintf("held-%07d", i))
				if err := l.Acquire(ctx); err != nil {
					errs <- err
					return
				}
				held[w] = append(held[w], l)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return Result{}, fmt.Errorf("held %s: %w", t.Name, err)
	}
	res := Result{Locks: n, Elapsed: time.Since(start), HeapBytes: liveHeap() - before}
	runtime.KeepAlive(held)
	size, err := tableSize(ctx, t)
	if err != nil {
		return Result{}, err
	}
	res.TableBytes = size - emptySize
	return res, nil
}

// liveHeap returns the live heap after a full collection.
func liveHeap() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

func empty(ctx context.Context, t *target.Target) error {
	stmt := "TRUNCATE " + Table
	if t.Name == target.SQLite {
		stmt = "DELETE FROM " + Table
	}
	if _, err := t.DB.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("held %s: empty the table: %w", t.Name, err)
	}
	return nil
}

// tableSize returns the on-disk size of Table (PostgreSQL) or of the whole
// database file (SQLite).
func tableSize(ctx context.Context, t *target.Target) (int64, error) {
	switch t.Name {
	case target.Postgres:
		var size int64
		err := t.DB.QueryRowContext(ctx, "SELECT pg_total_relation_size($1::regclass)", Table).Scan(&size)
		if err != nil {
			return 0, fmt.Errorf("held: table size: %w", err)
		}
		return size, nil
	case target.SQLite:
		if _, err := t.DB.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return 0, fmt.Errorf("held: checkpoint: %w", err)
		}
		fi, err := os.Stat(t.Path)
		if err != nil {
			return 0, fmt.Errorf("held: %w", err)
		}
		return fi.Size(), nil
	}
	return 0, fmt.Errorf("held: no table size for %s", t.Name)
}
