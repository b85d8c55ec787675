package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/distlock/distlock/dialect"
)

func TestClassifyContext(t *testing.T) {
	t.Parallel()
	if got := dialect.KindOf(classify(context.DeadlineExceeded)); got != dialect.KindTimeout {
		t.Errorf("deadline: %v", got)
	}
	if got := dialect.KindOf(classify(errors.New("x"))); got != dialect.KindOther {
		t.Errorf("other: %v", got)
	}
}
