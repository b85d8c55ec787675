// Package pace holds the timing of a distlock waiter in a lock's line,
// shared by the library (distlock/line.go, which explains each) and the
// benchmark report that describes it.
package pace

import "time"

const (
	// Reserve is how long a place in line lasts unless renewed.
	Reserve = 750 * time.Millisecond
	// RenewEvery is how often a waiter renews its place.
	RenewEvery = Reserve / 3
	// PollMin is the pause between the reads of a polling waiter for
	// PollHot after it last saw the line move; past that the pause grows
	// by 1/PollShare of the time since, up to PollMax. Each is multiplied
	// by the places ahead + 1.
	PollMin   = 500 * time.Microsecond
	PollHot   = time.Second
	PollShare = 32
	PollMax   = 50 * time.Millisecond
	// PickUpAfter is how long after a grant from the line its holder
	// extends it to make the lease its own (sooner when the grant would
	// expire first).
	PickUpAfter = 50 * time.Millisecond
)
