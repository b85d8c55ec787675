package main

import (
	"runtime/debug"
	"strings"
)

// version describes this build: the module version (a release when built
// by "go install …@vX.Y.Z", "(devel)" from a clone), and the commit and Go
// version when the build recorded them.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "distlock (no build information)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	parts := []string{"distlock " + v}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if modified == "true" {
			rev += "+modified"
		}
		parts = append(parts, "commit "+rev)
	}
	parts = append(parts, info.GoVersion)
	return strings.Join(parts, ", ")
}
