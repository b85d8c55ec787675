// Command distlock-vacuum deletes the rows of expired and released
// distlock locks, never a held one, in short batches, and prints one line:
//
//	removed 12 free locks in 3.4ms
//
// It is meant for cron:
//
//	15 3 * * * DISTLOCK_DSN='postgres://locks@db/app' distlock-vacuum --quiet
//
// The database comes from --dsn, else $DISTLOCK_DSN, else $DATABASE_URL,
// else the SQLite file the distlock command uses by default. Errors are
// one line on stderr that names the database's host, never its password.
// Exit codes: 0 success, 1 error, 2 usage error.
package main

import (
	"context"
	"io"
	"log"
	"os"

	gomysql "github.com/go-sql-driver/mysql"
)

func main() {
	// go-sql-driver prints its own lines ("[mysql] … packets.go:58
	// unexpected EOF") beside the error it returns, which distlock-vacuum
	// reports on its one line (or JSON object): a cron job would mail both.
	gomysql.SetLogger(log.New(io.Discard, "", 0))
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
