package mysql

import "time"

// mantissaLimit bounds the decimal significand a stored lease keeps, so
// that the reply of an extend or a re-entry can carry the lease beside
// the fence in one LAST_INSERT_ID (see leaseCode). Leases people choose
// (1m, 90s, 1.5s, 10m, 2h) keep every digit; any other is shortened by
// less than 1/1638 (at most 37ms of a minute).
const mantissaLimit = 1 << 14

// quantize returns d in microseconds, rounded down to a decimal
// significand below mantissaLimit: the lease the row stores, and the one
// its holder counts with. It is never below 1µs.
func quantize(d time.Duration) int64 {
	us, scale := max(d.Microseconds(), 1), int64(1)
	for us >= mantissaLimit {
		us, scale = us/10, scale*10
	}
	return us * scale
}

// renewed reads the reply of an extend or a re-entry (fence << 19 |
// leaseCode) into the fence and the lease the row was renewed with: the
// caller's ttl (µs) unless it kept the row's lease and the row had one.
func renewed(id, ttl int64, keep bool) (fence int64, lease time.Duration) {
	fence, code := id>>19, id&(1<<19-1)
	if !keep || code == 0 {
		return fence, time.Duration(ttl) * time.Microsecond
	}
	us := code >> 5
	for range code & 31 {
		us *= 10
	}
	return fence, time.Duration(us) * time.Microsecond
}
