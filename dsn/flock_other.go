//go:build !unix

package dsn

import "context"

// lockDir does nothing where flock(2) is missing.
func lockDir(context.Context, string) (func(), error) { return func() {}, nil }
