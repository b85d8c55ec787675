package cli

import (
	"testing"
	"time"
)

func TestRemoved(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "removed 0 free locks in 1.5ms"},
		{1, "removed 1 free lock in 1.5ms"},
		{12, "removed 12 free locks in 1.5ms"},
	} {
		if got := Removed(tc.n, 1500*time.Microsecond); got != tc.want {
			t.Errorf("Removed(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
