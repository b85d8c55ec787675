package mysql

import (
	"testing"
	"time"
)

func TestQuantize(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want int64 // µs
	}{
		{time.Minute, 60_000_000}, // round leases keep every digit
		{90 * time.Second, 90_000_000},
		{1500 * time.Millisecond, 1_500_000},
		{2 * time.Hour, 7_200_000_000},
		{time.Millisecond, 1000},
		{16383 * time.Microsecond, 16383},
		{16384 * time.Microsecond, 16380},                   // five digits: the last goes
		{59_998_208 * time.Microsecond, 59_990_000},         // rounded down, never up
		{100 * 365 * 24 * time.Hour, 3_153_000_000_000_000}, // MaxDuration
		{0, 1},
	} {
		if got := quantize(tc.in); got != tc.want {
			t.Errorf("quantize(%v) = %d µs, want %d", tc.in, got, tc.want)
		}
	}
	for us := int64(1); us < 1<<50; us = us*7 + 3 {
		q := quantize(time.Duration(us) * time.Microsecond)
		if q > us || float64(us-q) >= float64(us)/1638 {
			t.Fatalf("quantize(%dµs) = %d: more than 1/1638 lost, or rounded up", us, q)
		}
	}
}

// renewed reads what leaseCode (in SQL) makes of a quantized lease; the
// code is built here as the SQL builds it: trailing decimal zeros as the
// exponent, the rest as the mantissa.
func TestRenewed(t *testing.T) {
	code := func(us int64) int64 {
		e := int64(0)
		for us%10 == 0 {
			us, e = us/10, e+1
		}
		return us<<5 | e
	}
	const fence = int64(1)<<42 - 1 // the largest fence the reply carries
	for _, d := range []time.Duration{time.Millisecond, 1500 * time.Millisecond, time.Minute, 16384 * time.Microsecond, 100 * 365 * 24 * time.Hour} {
		us := quantize(d)
		id := fence<<19 | code(us)
		if id < 0 || 4*id+1 < 0 {
			t.Fatalf("reply for %v overflows", d)
		}
		f, lease := renewed(id, 5, true)
		if f != fence || lease != time.Duration(us)*time.Microsecond {
			t.Errorf("renewed(%v) = fence %d, lease %v; want %d, %v", d, f, lease, fence, time.Duration(us)*time.Microsecond)
		}
		if _, lease := renewed(id, 5, false); lease != 5*time.Microsecond {
			t.Errorf("renewed without keep = %v, want the caller's 5µs", lease)
		}
	}
	if _, lease := renewed(7<<19, 5, true); lease != 5*time.Microsecond { // the row had no lease
		t.Errorf("renewed of a row without a lease = %v, want the caller's 5µs", lease)
	}
}
