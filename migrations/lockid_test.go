package migrations

import "testing"

// The ids golang-migrate v4.20.1's database.GenerateAdvisoryLockId
// returns for the same arguments (computed with it; the integration
// module checks against it directly).
func TestAdvisoryLockID(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		db   string
		more []string
		want uint32
	}{
		{"distlock_test:distlock_schema_migrations", nil, 2045020806},
		{"app:jobs_lock_schema_migrations", nil, 673152968},
		{"/distlock_test", []string{"public", "distlock_schema_migrations"}, 3079497048},
		{"distlock_test", []string{"public", "distlock_schema_migrations"}, 1672806929},
		{"app", []string{"s1", "jobs_lock_schema_migrations"}, 4169713893},
		{"", nil, 0},
	} {
		if got := AdvisoryLockID(tt.db, tt.more...); got != tt.want {
			t.Errorf("AdvisoryLockID(%q, %q) = %d, want %d", tt.db, tt.more, got, tt.want)
		}
	}
}
