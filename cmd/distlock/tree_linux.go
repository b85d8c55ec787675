package main

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// On Linux the supervisor is a child subreaper: every process CMD starts
// stays its descendant, whatever it does (double fork, setsid), since an
// orphan is reparented to its nearest subreaper ancestor. So the tree is
// the supervisor's descendants, found by walking /proc, and it is gone
// when the supervisor has no child left.

func becomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// restGone: the supervisor has no child left (wait4 said ECHILD), so no
// descendant either.
func (t *tree) restGone() bool { return true }

// signalRest sends sig to every living descendant of the supervisor,
// except the members of CMD's process group when groupSent (they have it
// already). A process forked while the walk runs may be missed: callers
// that must end the tree repeat it until wait4 says ECHILD.
func (t *tree) signalRest(sig syscall.Signal, groupSent bool) {
	for _, p := range descendants(os.Getpid()) {
		if groupSent && p.pgrp == t.pid {
			continue
		}
		p.signal(sig)
	}
}

// procStat is what /proc/PID/stat tells of a process.
type procStat struct {
	pid, ppid, pgrp int
	state           byte
	start           uint64 // clock ticks after boot: with pid, names one process
}

// readStat reads /proc/PID/stat.
func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// "PID (COMM) STATE PPID PGRP … STARTTIME (22nd field) …"; COMM may
	// hold spaces and parentheses, so fields count from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, false
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgrp, err2 := strconv.Atoi(string(f[2]))
	start, err3 := strconv.ParseUint(string(f[19]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, false
	}
	return procStat{pid: pid, ppid: ppid, pgrp: pgrp, state: f[0][0], start: start}, true
}

// descendants returns the living (not zombie) descendants of root.
func descendants(root int) []procStat {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok && st.state != 'Z' && st.state != 'X' {
			children[st.ppid] = append(children[st.ppid], st)
		}
	}
	var out []procStat
	seen := map[int]bool{root: true} // the walk is no snapshot: no loops
	for todo := children[root]; len(todo) > 0; {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if !seen[p.pid] {
			seen[p.pid] = true
			out = append(out, p)
			todo = append(todo, children[p.pid]...)
		}
	}
	return out
}

// signal sends sig to the process p names, and to no other: not to a
// process that got its pid after it exited. A pidfd pins the process;
// its start time proves it is the one that was listed.
func (p procStat) signal(sig syscall.Signal) {
	same := func() bool {
		st, ok := readStat(p.pid)
		return ok && st.start == p.start
	}
	fd, err := unix.PidfdOpen(p.pid, 0)
	if errors.Is(err, unix.ENOSYS) { // Linux before 5.3: a race of microseconds
		if same() {
			_ = syscall.Kill(p.pid, sig)
		}
		return
	}
	if err != nil {
		return // gone
	}
	defer unix.Close(fd)
	if same() {
		_ = unix.PidfdSendSignal(fd, sig, nil, 0)
	}
}
