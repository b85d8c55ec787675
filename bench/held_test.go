package bench_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/distlock"
)

// BenchmarkHeld acquires b.N locks and keeps their handles, and reports the
// Go heap they take (after a GC) per held lock. distlock-bench measures it
// for 100,000 locks in a process of its own.
func BenchmarkHeld(b *testing.B) {
	for _, db := range []string{target.SQLite, target.Postgres} {
		b.Run(db, func(b *testing.B) {
			t := openTarget(b, db)
			m := module(b, t, "bench_held")
			if _, err := t.DB.ExecContext(b.Context(), "DELETE FROM bench_held"); err != nil {
				b.Fatal(err)
			}
			prefix := fmt.Sprintf("held-%d-", time.Now().UnixNano())
			held := make([]*distlock.Lock, 0, b.N)
			before := heap()
			b.ResetTimer()
			for i := range b.N {
				l := m.Get(prefix + fmt.Sprint(i))
				if err := l.Acquire(b.Context()); err != nil {
					b.Fatal(err)
				}
				held = append(held, l)
			}
			b.StopTimer()
			after := heap()
			b.ReportMetric(float64(after-before)/float64(b.N), "heap-B/lock")
			runtime.KeepAlive(held)
			if _, err := t.DB.ExecContext(b.Context(), "DELETE FROM bench_held"); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// heap returns the live heap after a full collection.
func heap() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
