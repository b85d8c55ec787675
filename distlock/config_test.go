package distlock

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := Config{}.withDefaults()
	if err != nil {
		t.Fatalf("Config{}.withDefaults() = %v", err)
	}
	if c.MaxTime != DefaultMaxTime || DefaultMaxTime != time.Minute {
		t.Errorf("MaxTime = %v, want %v (one minute)", c.MaxTime, DefaultMaxTime)
	}
	if c.Table != "distlock" {
		t.Errorf("Table = %q, want distlock", c.Table)
	}
	if c.RetryInterval != DefaultRetryInterval {
		t.Errorf("RetryInterval = %v, want %v", c.RetryInterval, DefaultRetryInterval)
	}
	if c.MaxRetryInterval != 16*DefaultRetryInterval {
		t.Errorf("MaxRetryInterval = %v, want %v", c.MaxRetryInterval, 16*DefaultRetryInterval)
	}
	if c.VacuumBatch != DefaultVacuumBatch {
		t.Errorf("VacuumBatch = %d, want %d", c.VacuumBatch, DefaultVacuumBatch)
	}
	host, pid, ok := strings.Cut(c.Owner, ":")
	if !ok || host == "" || pid != strconv.Itoa(os.Getpid()) {
		t.Errorf("Owner = %q, want host:%d", c.Owner, os.Getpid())
	}
	if h, err := os.Hostname(); err == nil && h != "" && host != h {
		t.Errorf("Owner = %q, want host %q", c.Owner, h)
	}
	if c.Logger == nil {
		t.Fatal("Logger is nil")
	}
	if c.Logger.Enabled(context.Background(), slog.LevelError) {
		t.Error("the default Logger is enabled; it should discard")
	}
}

func TestConfigKeepsSetValues(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	in := Config{
		MaxTime: 5 * time.Second, Table: "jobs_lock", RetryInterval: 10 * time.Millisecond,
		VacuumBatch: 7, Owner: "worker-3", Logger: log,
	}
	c, err := in.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults() = %v", err)
	}
	in.MaxRetryInterval = 160 * time.Millisecond // 16 × RetryInterval
	if c != in {
		t.Errorf("withDefaults() = %+v, want %+v", c, in)
	}

	for _, in := range []Config{
		{MaxTime: time.Millisecond},
		{RetryInterval: time.Second, MaxRetryInterval: time.Second},
		{Owner: strings.Repeat("o", MaxNameLen)},
		{Table: strings.Repeat("t", dialect.MaxTableLen)},
	} {
		c, err := in.withDefaults()
		if err != nil {
			t.Errorf("%+v.withDefaults() = %v", in, err)
			continue
		}
		if in.MaxTime != 0 && c.MaxTime != in.MaxTime || in.Owner != "" && c.Owner != in.Owner ||
			in.Table != "" && c.Table != in.Table || in.MaxRetryInterval != 0 && c.MaxRetryInterval != in.MaxRetryInterval {
			t.Errorf("%+v.withDefaults() = %+v changed a set field", in, c)
		}
	}
}

func TestConfigInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   Config
		table bool // the error must also match dialect.ErrInvalidTable
	}{
		{"negative MaxTime", Config{MaxTime: -time.Second}, false},
		{"MaxTime -1ns", Config{MaxTime: -1}, false},
		{"MaxTime 1ns", Config{MaxTime: 1}, false},
		{"MaxTime below 1ms", Config{MaxTime: time.Millisecond - 1}, false},
		{"negative RetryInterval", Config{RetryInterval: -time.Millisecond}, false},
		{"negative MaxRetryInterval", Config{MaxRetryInterval: -1}, false},
		{"MaxRetryInterval below default RetryInterval", Config{MaxRetryInterval: 50 * time.Millisecond}, false},
		{"MaxRetryInterval below RetryInterval", Config{RetryInterval: time.Second, MaxRetryInterval: time.Second - 1}, false},
		{"negative VacuumBatch", Config{VacuumBatch: -1}, false},
		// Near math.MaxInt64 the arithmetic of waiting and expiry overflows.
		{"MaxTime MaxInt64", Config{MaxTime: math.MaxInt64}, false},
		{"MaxTime over 100 years", Config{MaxTime: MaxDuration + 1}, false},
		{"RetryInterval MaxInt64", Config{RetryInterval: math.MaxInt64}, false},
		{"MaxRetryInterval MaxInt64", Config{MaxRetryInterval: math.MaxInt64}, false},
		{"Owner too long", Config{Owner: strings.Repeat("o", MaxNameLen+1)}, false},
		{"Owner with NUL", Config{Owner: "a\x00b"}, false},
		{"Owner not UTF-8", Config{Owner: "a\xffb"}, false},
		{"Table ending in _meta", Config{Table: "locks_meta"}, true},
		{"Table ending in _schema_migrations", Config{Table: "x_schema_migrations"}, true},
		{"Table upper case", Config{Table: "Locks"}, true},
		{"Table leading digit", Config{Table: "1abc"}, true},
		{"Table dash", Config{Table: "a-b"}, true},
		{"Table with a dot", Config{Table: "public.locks"}, true},
		{"Table injection", Config{Table: "x; drop table y"}, true},
		{"Table 41 chars", Config{Table: strings.Repeat("a", 41)}, true},
		{"Table quoted", Config{Table: `"distlock"`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.cfg.withDefaults()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("withDefaults(%+v) = %v, want ErrInvalidConfig", tt.cfg, err)
			}
			if tt.table && !errors.Is(err, dialect.ErrInvalidTable) {
				t.Fatalf("withDefaults(%+v) = %v, want it to match dialect.ErrInvalidTable too", tt.cfg, err)
			}
		})
	}
}
