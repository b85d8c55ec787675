// Package clitest builds a command once per test binary so that its
// tests can run it as a real process.
package clitest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/distlock/distlock/internal/skips"
)

// Main builds the command in the current directory (with the race
// detector when the tests run with it) into a temporary directory, stores
// its path in *bin, runs the tests, removes the directory and exits.
// Call it from TestMain.
func Main(m *testing.M, name string, bin *string) {
	os.Exit(run(m, name, bin))
}

func run(m *testing.M, name string, bin *string) int {
	dir, err := os.MkdirTemp("", name+"-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	*bin = filepath.Join(dir, name)
	args := []string{"build", "-o", *bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	skips.Report()
	return code
}

// HangUp starts a TCP server on loopback that accepts each connection and
// closes it at once (a server that hangs up on the handshake), stopped
// with t, and returns its address.
func HangUp(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}
