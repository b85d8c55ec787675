package postgres

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestUsePooler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err              error
		pgx              bool
		resend, switches bool
	}{
		// Refused at Parse or Bind: did not run, sent again in the exec mode.
		{&pgconn.PgError{Code: "42P05", Severity: "ERROR"}, true, true, true},
		{fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "26000", Severity: "ERROR"}), true, true, true},
		// Another client's unnamed statement: switch, but do not resend.
		{&pgconn.PgError{Code: "08P01", Severity: "ERROR"}, true, false, true},
		// PgBouncer lost the server connection: no pooler trouble.
		{&pgconn.PgError{Code: "08P01", Severity: "FATAL"}, true, false, false},
		{&pgconn.PgError{Code: "23505", Severity: "ERROR"}, true, false, false},
		{errors.New("conn closed"), true, false, false},
		// Another driver cannot take pgx's exec mode as an argument.
		{&pgconn.PgError{Code: "42P05", Severity: "ERROR"}, false, false, false},
	}
	for _, tt := range tests {
		s := &store{pgx: tt.pgx}
		if got := s.usePooler(tt.err); got != tt.resend {
			t.Errorf("usePooler(%v) with pgx %v resends %v, want %v", tt.err, tt.pgx, got, tt.resend)
		}
		if got := s.pooled.Load(); got != tt.switches {
			t.Errorf("usePooler(%v) with pgx %v switched %v, want %v", tt.err, tt.pgx, got, tt.switches)
		}
	}
}

func TestArgs(t *testing.T) {
	t.Parallel()
	if got := args(false, "a", 1); !slices.Equal(got, []any{"a", 1}) {
		t.Errorf("args(false) = %v", got)
	}
	if got := args(true, "a", 1); !slices.Equal(got, []any{pgx.QueryExecModeExec, "a", 1}) {
		t.Errorf("args(true) = %v", got)
	}
	if got := args(true); !slices.Equal(got, []any{pgx.QueryExecModeExec}) {
		t.Errorf("args(true) with none = %v", got)
	}
}
