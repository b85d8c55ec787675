package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/distlock/distlock/bench/internal/heldmem"
	"github.com/distlock/distlock/bench/internal/target"
)

// runHeld measures, in a process of its own, the Go heap of holding many
// locks and the table's size on disk (SQLite and PostgreSQL).
func runHeld(ctx context.Context, e *env, db *dbResult, t *target.Target) error {
	if e.opts.HeldLocks == 0 || t.Name == target.MySQL {
		return nil
	}
	url := t.URL
	if t.Name == target.SQLite {
		// A file of its own, so that its size is the held table's.
		dir := filepath.Join(e.tmp, "held")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		url = "sqlite:" + filepath.Join(dir, "held.db")
	}
	cmd := exec.CommandContext(ctx, e.exe, "-helper", "held", "-helper-db", t.Name,
		"-held-locks", strconv.Itoa(e.opts.HeldLocks))
	cmd.Env = append(os.Environ(), envHelperURL+"="+url)
	cmd.Stderr = e.log
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("held-locks helper: %w", err)
	}
	var res heldmem.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return fmt.Errorf("held-locks helper: %w", err)
	}
	e.logf("memory %s: %d locks, %d heap bytes, %d table bytes, in %v", db.Name, res.Locks, res.HeapBytes, res.TableBytes, res.Elapsed)
	db.Held = &res
	return nil
}
