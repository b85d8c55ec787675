package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	o, err := parseOptions([]string{"-only", "vacuum, latency", "-db", "sqlite", "-rounds", "2"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Sections, []string{secLatency, secVacuum}) || !slices.Equal(o.DBs, []string{"sqlite"}) || o.Rounds != 2 {
		t.Errorf("got sections %v, databases %v, rounds %d", o.Sections, o.DBs, o.Rounds)
	}
	o, err = parseOptions([]string{"-only", "hot,handoff", "-hot-duration", "1s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Sections, []string{secHandoff, secHot}) || o.HotDuration != time.Second {
		t.Errorf("got sections %v, hot duration %v", o.Sections, o.HotDuration)
	}
	for _, bad := range [][]string{{"-only", "nope"}, {"-db", ""}, {"-rounds", "0"}, {"-vacuum-rows", "-1"}, {"-hot-duration", "0s"}, {"extra"}} {
		if _, err := parseOptions(bad, io.Discard); err == nil {
			t.Errorf("parseOptions(%q) succeeded", bad)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"-rounds": "-rounds", "a b": "'a b'", "it's": `'it'\''s'`, "": "''"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFlagList(t *testing.T) {
	got := flagList()
	for _, want := range []string{"- `-rounds` (`5`): ", "- `-out` (`../BENCHMARKS.md`): ", "- `-pglock-handoff` (`true`): ", "- `-hot-duration` (`2s`): "} {
		if !strings.Contains(got, want) {
			t.Errorf("flagList() lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "-helper") {
		t.Errorf("flagList() lists an internal flag:\n%s", got)
	}
}
