package mysql

import (
	"strings"
	"testing"
)

func TestServerKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars map[string]string
		want int32
	}{
		{"TiDB", map[string]string{"version": "8.0.11-TiDB-v8.5.6", "sql_mode": "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION"}, serverTiDB},
		{"MariaDB Galera node", map[string]string{"version": "10.11.19-MariaDB-0+deb12u1", "wsrep_on": "ON", "wsrep_provider": "/usr/lib/galera/libgalera_smm.so"}, serverGalera},
		{"MariaDB, wsrep off", map[string]string{"version": "10.11.19-MariaDB", "wsrep_on": "OFF", "wsrep_provider": "none"}, serverPlain},
		{"MariaDB, wsrep on without a provider", map[string]string{"version": "10.11.19-MariaDB", "wsrep_on": "ON", "wsrep_provider": "none"}, serverPlain},
		{"MariaDB built without wsrep", map[string]string{"version": "11.4.2-MariaDB"}, serverPlain},
		{"MySQL 8", map[string]string{"version": "8.0.36"}, serverPlain},
		{"Percona XtraDB Cluster (no SET STATEMENT)", map[string]string{"version": "8.0.35-27.1", "wsrep_on": "ON", "wsrep_provider": "/usr/lib/galera4/libgalera_smm.so"}, serverPlain},
	}
	for _, tt := range tests {
		if got := serverKind(tt.vars); got != tt.want {
			t.Errorf("%s: serverKind = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// On Galera exactly the statements that must see the cluster's latest
// commits ask for a causal read, and ask for it as a prefix that keeps
// them one statement; the plain statements are left as they are.
func TestGaleraStatements(t *testing.T) {
	t.Parallel()
	plain := newStatements("locks", false)
	g := galeraStatements(plain)
	for name, q := range map[string][2]string{
		"acquire": {plain.acquire, g.acquire}, "extend": {plain.extend, g.extend},
		"release": {plain.release, g.release}, "inspect": {plain.inspect, g.inspect}, "list": {plain.list, g.list},
	} {
		if strings.Contains(q[0], "wsrep") {
			t.Errorf("plain %s mentions wsrep: %s", name, q[0])
		}
		if q[1] != "SET STATEMENT wsrep_sync_wait = 7 FOR "+q[0] {
			t.Errorf("galera %s = %q", name, q[1])
		}
	}
	for name, q := range map[string][2]string{
		"vacuumScan": {plain.vacuumScan, g.vacuumScan}, "vacuumLock": {plain.vacuumLock, g.vacuumLock},
		"vacuumDelete": {plain.vacuumDelete, g.vacuumDelete}, "vacuumFloor": {plain.vacuumFloor, g.vacuumFloor},
	} {
		if q[0] != q[1] {
			t.Errorf("galera %s changed: %q", name, q[1])
		}
	}
}

func TestAssignsSimultaneously(t *testing.T) {
	for mode, want := range map[string]bool{
		"": false,
		"STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION": false,
		"STRICT_TRANS_TABLES,SIMULTANEOUS_ASSIGNMENT":                                               true,
		"simultaneous_assignment": true,
	} {
		if got := assignsSimultaneously(map[string]string{"sql_mode": mode}); got != want {
			t.Errorf("assignsSimultaneously(%q) = %v, want %v", mode, got, want)
		}
	}
}
