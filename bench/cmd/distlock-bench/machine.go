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
		return string(out), err
	}
	rev, err := git("rev-parse", "--short=12", "HEAD")
	if err != nil {
		return "unknown (not a git checkout?)"
	}
	rev = strings.TrimSpace(rev)
	// Not trimmed: a line's first column is a status, often a space.
	changed, err := git("status", "--porcelain", "-z", "--", "distlock", "dialect", "migrations")
	files := porcelainFiles(changed)
	switch {
	case err != nil:
		return rev
	case len(files) == 0:
		return rev + ", no local changes to distlock/, dialect/, migrations/"
	}
	return rev + " with local changes to " + strings.Join(files, ", ")
}

// porcelainFiles returns the paths that "git status --porcelain -z"
// lists: entries "XY path", each ended by a NUL, where X and Y are the
// index's and the work tree's status (either may be a space); a rename or
// copy entry is followed by its source path, which is skipped.
func porcelainFiles(out string) []string {
	var files []string
	entries := strings.Split(out, "\x00")
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if len(e) < 4 || e[2] != ' ' {
			continue
		}
		files = append(files, e[3:])
		if strings.ContainsAny(e[:2], "RC") {
			i++ // the source path
		}
	}
	return files
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
