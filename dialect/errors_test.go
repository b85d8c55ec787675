package dialect_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/distlock/distlock/dialect"
)

// An error that carries a classification already (from a wrapping driver,
// or classified twice) keeps it: the dialect's guess from the text below
// does not override it.
func TestClassifyKeepsAClassification(t *testing.T) {
	t.Parallel()
	base := errors.New("deadlock")
	for _, tc := range []struct {
		name string
		err  error
		kind dialect.Kind
	}{
		{"plain", base, dialect.KindOther},
		{"classified", dialect.Classify(dialect.KindRetry, base), dialect.KindRetry},
		{"wrapped", fmt.Errorf("driver: %w", dialect.Classify(dialect.KindConn, base)), dialect.KindConn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := dialect.Classify(dialect.KindOther, tc.err)
			if got := dialect.KindOf(err); got != tc.kind {
				t.Fatalf("KindOf(Classify(KindOther, %v)) = %v, want %v", tc.err, got, tc.kind)
			}
			if !errors.Is(err, base) {
				t.Fatal("the driver's error is lost")
			}
		})
	}
}
