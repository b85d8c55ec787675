package main

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
)

// driverLog is where go-sql-driver's own log lines go: -v's log, or
// nowhere. The driver prints them to stderr ("[mysql] … packets.go:58
// unexpected EOF") beside the error it returns anyway, which distlock
// reports on its one line; a cron job would mail both.
var driverLog atomic.Pointer[slog.Logger]

// mysqlLogger is go-sql-driver's logger, set once by main (the driver's
// logger is global; tests running commands in-process leave it alone).
type mysqlLogger struct{}

func (mysqlLogger) Print(v ...any) {
	if l := driverLog.Load(); l != nil {
		l.Debug("mysql driver: " + strings.TrimSpace(fmt.Sprint(v...)))
	}
}
