package distlock_test

import (
	"testing"

	"go.uber.org/goleak"
)

// No goroutine may outlive the tests: every Module is closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
