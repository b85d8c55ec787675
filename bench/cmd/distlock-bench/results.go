package main

import (
	"time"

	"github.com/distlock/distlock/bench/internal/handoff"
	"github.com/distlock/distlock/bench/internal/heldmem"
	"github.com/distlock/distlock/bench/internal/hot"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/bench/internal/vacuum"
	"github.com/distlock/distlock/bench/internal/workload"
)

// Roles of the latency subjects.
const (
	roleContext  = "context"  // two SELECT 1; two UPDATE … RETURNING
	roleFloor    = "floor"    // two durable single-row writes
	roleDistlock = "distlock" // the subject
	rolePeer     = "peer"     // what a user would pick instead
)

// results is everything one run measured.
type results struct {
	Opts              options
	Machine           machine
	Started, Finished time.Time
	DBs               []*dbResult
}

// dbResult is what was measured on one database.
type dbResult struct {
	Name     string
	Label    string // "PostgreSQL"
	URL      string // redacted
	Skipped  string // why it did not run
	Settings target.Settings

	Latency    []*latencySeries
	Throughput []*throughputSeries
	Handoff    []*handoffSeries
	Hot        []*hotSeries
	Stall      []stallSample
	Vacuum     *vacuumResult
	Held       *heldmem.Result

	Errors []string // measurements that failed
}

// latencySeries is one subject's acquire+release latency, once per round.
type latencySeries struct {
	Key, Label, Role string
	Rounds           []workload.Latency
	LostReleases     int // pglock's failed releases
}

// throughputSeries is one subject at one concurrency, once per round.
type throughputSeries struct {
	Key, Label string
	Workers    int
	Rounds     []float64 // operations per second
}

// handoffSeries is one subject's cross-process hand-offs.
type handoffSeries struct {
	Key, Label string
	Note       string
	Samples    []handoff.Sample
	// Fresh is the first hand-off to the waiter process, just started
	// (connecting, preparing, listening), apart from Samples.
	Fresh []handoff.Sample
}

// hotSeries is one subject's hot-name runs, once per round.
type hotSeries struct {
	Key, Label string
	Rounds     []hot.Result
}

// vacuumResult is the vacuum of many expired rows under live load.
type vacuumResult struct {
	Seeded  int
	SeedFor time.Duration
	Batch   int // Config.VacuumBatch
	vacuum.Result
}

func (r *results) failures() int {
	n := 0
	for _, db := range r.DBs {
		n += len(db.Errors)
	}
	return n
}

func (db *dbResult) latency(key string) *latencySeries {
	for _, s := range db.Latency {
		if s.Key == key {
			return s
		}
	}
	return nil
}

func (db *dbResult) handoff(key string) *handoffSeries {
	for _, s := range db.Handoff {
		if s.Key == key {
			return s
		}
	}
	return nil
}

func (db *dbResult) hot(key string) *hotSeries {
	for _, s := range db.Hot {
		if s.Key == key {
			return s
		}
	}
	return nil
}

var dbLabels = map[string]string{target.Postgres: "PostgreSQL", target.MySQL: "MariaDB/MySQL", target.SQLite: "SQLite"}
