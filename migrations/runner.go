package migrations

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/distlock/distlock/dialect"
)

// NilVersion is the version of a database to which no migration has
// been applied: golang-migrate's (a version table with no row).
const NilVersion int64 = -1

// A Migration is one up file of a dialect, rendered for a table.
type Migration struct {
	Version int64  // the NNNN of its name
	Name    string // its file name, NNNN_title.up.sql
	SQL     string // its statements
}

// Ups returns the up migrations of dialectName ("sqlite", "postgres",
// "mysql") rendered for table, in version order.
func Ups(dialectName, table string) ([]Migration, error) {
	if err := dialect.ValidTable(table); err != nil {
		return nil, err
	}
	if !dialects[dialectName] {
		return nil, fmt.Errorf("migrations: no migrations for dialect %q", dialectName)
	}
	entries, err := fs.ReadDir(files, dialectName)
	if err != nil {
		return nil, err
	}
	var ups []Migration
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".up.sql") {
			continue
		}
		v, err := fileVersion(e.Name())
		if err != nil {
			return nil, err
		}
		data, err := render(dialectName, table, e.Name())
		if err != nil {
			return nil, err
		}
		ups = append(ups, Migration{Version: v, Name: e.Name(), SQL: string(data)})
	}
	slices.SortFunc(ups, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	for i := 1; i < len(ups); i++ {
		if ups[i].Version == ups[i-1].Version {
			return nil, fmt.Errorf("migrations: %s and %s have one version", ups[i-1].Name, ups[i].Name)
		}
	}
	return ups, nil
}

// fileVersion reads the version of a file named as golang-migrate names
// them: digits, an underscore, a title.
func fileVersion(name string) (int64, error) {
	digits, _, ok := strings.Cut(name, "_")
	v, err := strconv.ParseInt(digits, 10, 64)
	if !ok || err != nil || v < 0 {
		return 0, fmt.Errorf("migrations: %q is not named NNNN_title.up.sql", name)
	}
	return v, nil
}

// A Target is what Up needs of a database: the part of migrating that
// differs per dialect. Each dialect package implements it.
type Target interface {
	// Lock waits, as long as ctx allows, until no other Migrate of the
	// same table runs (in this process or another, the migrate CLI
	// included), makes sure the version table exists, and returns the
	// session that now has the turn.
	Lock(ctx context.Context) (Session, error)
}

// A Session holds the turn that Target.Lock waited for.
type Session interface {
	// Version returns the version recorded in the version table and
	// whether it is dirty (its migration may not have finished);
	// NilVersion if none is recorded.
	Version(ctx context.Context) (version int64, dirty bool, err error)
	// Apply runs m's statements and records m.Version, not dirty.
	Apply(ctx context.Context, m Migration) error
	// Unlock ends the turn: a session that runs in one transaction
	// commits it if ok (every step succeeded), and rolls it back if not.
	// It is called once, whatever happened before, and must not wait
	// for long once ctx has ended.
	Unlock(ctx context.Context, ok bool) error
}

// Up applies the pending up migrations of dialectName, rendered for
// table, to t: those above the recorded version, and the recorded one
// itself if it is dirty (every migration is idempotent, so a version
// that a crash, or a Migrate running at the same time elsewhere, left
// dirty is simply run again). A database already up to date is left as
// it is; so is one whose version is above every file's, which a newer
// distlock migrated (its migrations keep the older tables working).
// When ctx ends, Up stops before the next migration and returns an
// error that matches ctx.Err().
func Up(ctx context.Context, t Target, dialectName, table string) error {
	ups, err := Ups(dialectName, table)
	if err != nil {
		return err
	}
	if err := up(ctx, t, ups); err != nil {
		// A driver may report a cancelled wait its own way (lib/pq:
		// "canceling statement due to user request"); say why.
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w: %w", ctxErr, err)
		}
		return err
	}
	return nil
}

func up(ctx context.Context, t Target, ups []Migration) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	s, err := t.Lock(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if uerr := s.Unlock(ctx, err == nil); err == nil && uerr != nil {
			err = fmt.Errorf("ending the migration: %w", uerr)
		}
	}()
	version, dirty, err := s.Version(ctx)
	if err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	for _, m := range Pending(ups, version, dirty) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.Apply(ctx, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// Pending returns the migrations of ups (in version order) that a
// database at version, dirty or not, lacks.
func Pending(ups []Migration, version int64, dirty bool) []Migration {
	i, _ := slices.BinarySearchFunc(ups, version, func(m Migration, v int64) int { return cmp.Compare(m.Version, v) })
	// ups[i] is the first at or above version.
	if i < len(ups) && ups[i].Version == version && !dirty {
		i++
	}
	return ups[i:]
}
