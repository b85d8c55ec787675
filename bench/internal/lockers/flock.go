package lockers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Flock takes flock(2) locks on files named after the lock in dir (so
// names must be usable as file names): what a program on one machine would
// use instead of an SQLite table. It is
// neither durable nor expiring, and a waiter blocks in the kernel (ctx is
// only checked before it does). Each Lock opens the file and each unlock
// closes it.
func Flock(dir string) Locker { return flockLocker{dir} }

type flockLocker struct{ dir string }

func (f flockLocker) Lock(ctx context.Context, name string) (Unlock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := filepath.Join(f.dir, name+".lock")
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("flock: %w", err)
	}
	if err := syscall.Flock(int(file.Fd()), syscall.LOCK_EX); err != nil {
		file.Close()
		return nil, fmt.Errorf("flock %q: %w", name, err)
	}
	return func(context.Context) error {
		err := syscall.Flock(int(file.Fd()), syscall.LOCK_UN)
		if err != nil {
			err = fmt.Errorf("flock unlock %q: %w", name, err)
		}
		return errors.Join(err, file.Close())
	}, nil
}

func (flockLocker) Close() error { return nil }
