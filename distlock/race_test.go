//go:build race

package distlock

const raceEnabled = true
