// Command distlock takes distlock's named, expiring locks from the shell
// and from cron: "distlock run NAME -- CMD" runs CMD while holding the
// lock NAME, like flock(1) but across every machine that shares the
// database; acquire, extend and release hand the lock's token between
// commands; ls shows who holds what; vacuum and migrate maintain the table.
//
// With no --dsn, $DISTLOCK_DSN or $DATABASE_URL it keeps its locks in an
// SQLite file, $XDG_STATE_HOME/distlock/locks.db or
// ~/.local/state/distlock/locks.db, so it works with no server at all.
//
// Run "distlock --help" for the commands and exit codes, and
// "distlock COMMAND --help" for each command.
package main

import (
	"context"
	"os"

	gomysql "github.com/go-sql-driver/mysql"
)

// supervisorArg, as the first argument, makes distlock the supervisor
// of a "distlock run" (see supervise.go).
const supervisorArg = "__supervise"

func main() {
	if len(os.Args) > 1 && os.Args[1] == supervisorArg {
		os.Exit(supervise(os.Args[2:]))
	}
	gomysql.SetLogger(mysqlLogger{}) // see driverLog
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}
