package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// machine describes where the run happened.
type machine struct {
	GoVersion, OS, Arch string
	CPU, Kernel, Memory string
	Cores               int
	LoadStart, LoadEnd  string // /proc/loadavg
	// Library is the git revision of the library measured, with the
	// library files changed since (distlock/, dialect/, migrations/).
	Library string
}

func describeMachine() machine {
	return machine{
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		Cores:     runtime.NumCPU(),
		CPU:       procField("/proc/cpuinfo", "model name"),
		Memory:    procField("/proc/meminfo", "MemTotal"),
		Kernel:    readTrim("/proc/sys/kernel/osrelease"),
		LoadStart: loadavg(),
		Library:   libraryRevision(),
	}
}

// libraryRevision describes the library's source as git sees it (run from
// bench/, the library is the parent module). It only reads.
func libraryRevision() string {
	git := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", ".."}, args...)...).Output()
		return strings.TrimSpace(string(out)), err
	}
	rev, err := git("rev-parse", "--short=12", "HEAD")
	if err != nil {
		return "unknown (not a git checkout?)"
	}
	changed, err := git("status", "--porcelain", "--", "distlock", "dialect", "migrations")
	switch {
	case err != nil:
		return rev
	case changed == "":
		return rev + ", no local changes to distlock/, dialect/, migrations/"
	}
	var files []string
	for line := range strings.SplitSeq(changed, "\n") {
		if len(line) > 3 {
			files = append(files, line[3:])
		}
	}
	return rev + " with local changes to " + strings.Join(files, ", ")
}

// procField returns the value of the first "key: value" line of a /proc
// file, or "unknown".
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "unknown"
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// loadavg returns the 1, 5 and 15 minute load averages.
func loadavg() string {
	f := strings.Fields(readTrim("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
