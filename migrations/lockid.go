package migrations

import (
	"hash/crc32"
	"strings"
)

// lockIDSalt is the multiplier golang-migrate's advisory lock ids use.
const lockIDSalt = 1486364155

// AdvisoryLockID returns the advisory lock id that golang-migrate's
// drivers compute (database.GenerateAdvisoryLockId in v4), so that a
// Migrate and the migrate CLI lock each other out: the CRC-32 (IEEE) of
// more and then databaseName, joined with NUL bytes, times a fixed salt,
// modulo 2³².
//
// Its MySQL driver locks GET_LOCK(AdvisoryLockID("DB:VERSION_TABLE"), …);
// its PostgreSQL drivers pg_advisory_lock(AdvisoryLockID(DB, SCHEMA,
// VERSION_TABLE)), DB being the URL's path ("/db") when opened by URL.
func AdvisoryLockID(databaseName string, more ...string) uint32 {
	name := databaseName
	if len(more) > 0 {
		name = strings.Join(append(append([]string(nil), more...), databaseName), "\x00")
	}
	return crc32.ChecksumIEEE([]byte(name)) * lockIDSalt
}
