package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/dsn"
)

// env is what every section needs.
type env struct {
	opts  options
	log   io.Writer
	tmp   string // a directory of this run's own
	runID string // makes this run's lock names unique
	exe   string // this program, re-executed for helper processes
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// section is one measurement on one database.
type section func(ctx context.Context, e *env, db *dbResult, t *target.Target) error

// runAll opens the databases and runs the sections, each on every
// database in turn. A section that fails is recorded in the report and the
// run goes on.
func runAll(ctx context.Context, o options, log io.Writer) (*results, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program for its helpers: %w", err)
	}
	tmp, err := os.MkdirTemp("", "distlock-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	e := &env{opts: o, log: log, tmp: tmp, exe: exe, runID: fmt.Sprint(time.Now().UnixNano())}
	res := &results{Opts: o, Machine: describeMachine(), Started: time.Now()}

	targets := map[string]*target.Target{}
	defer func() {
		for _, t := range targets {
			t.Close()
		}
	}()
	for _, name := range o.DBs {
		db := &dbResult{Name: name, Label: dbLabels[name]}
		res.DBs = append(res.DBs, db)
		t, err := e.open(ctx, db)
		if err != nil {
			db.Errors = append(db.Errors, err.Error())
			continue
		}
		if t != nil {
			targets[name] = t
		}
	}

	sections := []struct {
		name string
		run  section
	}{
		{secLatency, runLatency},
		{secThroughput, runThroughput},
		{secHandoff, runHandoff},
		{secHot, runHot},
		{secStall, runStall},
		{secVacuum, runVacuum},
		{secMemory, runHeld},
	}
	for _, s := range sections {
		if !o.runs(s.name) {
			continue
		}
		for _, db := range res.DBs {
			t := targets[db.Name]
			if t == nil {
				continue
			}
			e.logf("%s: %s", s.name, db.Name)
			if err := s.run(ctx, e, db, t); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				e.logf("%s: %s: FAILED: %v", s.name, db.Name, err)
				db.Errors = append(db.Errors, fmt.Sprintf("%s: %v", s.name, err))
			}
		}
	}
	res.Finished = time.Now()
	res.Machine.LoadEnd = loadavg()
	return res, nil
}

// open opens db's database, checks that it answers and that commits are
// durable, and reads its settings. It returns nil and no error when the
// database's URL is not set (db.Skipped says so).
func (e *env) open(ctx context.Context, db *dbResult) (*target.Target, error) {
	var t *target.Target
	var err error
	if db.Name == target.SQLite {
		dir := filepath.Join(e.tmp, "sqlite")
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
		t, err = target.NewSQLite(dir)
		db.URL = "sqlite: a new file in " + os.TempDir() + " (sqlite.Open: WAL, busy_timeout 10 s)"
	} else {
		var url string
		url, err = target.URLFromEnv(db.Name, os.Getenv)
		if errors.Is(err, target.ErrNoURL) {
			db.Skipped = err.Error()
			return nil, nil
		}
		if err == nil {
			if d, perr := dsn.Parse(url); perr == nil {
				db.URL = d.Redacted()
			}
			t, err = target.Open(db.Name, url)
		}
	}
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := t.Ping(pctx); err != nil {
		t.Close()
		return nil, err
	}
	if db.Settings, err = t.Settings(pctx); err != nil {
		t.Close()
		return nil, err
	}
	if !db.Settings.Durable {
		t.Close()
		return nil, fmt.Errorf("refusing to measure %s: commits are not durable (%s)", db.Name, db.Settings)
	}
	e.logf("%s: %s", db.Name, db.Settings)
	return t, nil
}
