package dsn

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/distlock/distlock/dialect/sqlite"
)

func TestParseSQLite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, path string }{
		{"sqlite:locks.db", "locks.db"},
		{"sqlite:./var/locks.db", "./var/locks.db"},
		{"sqlite:/var/lib/locks.db", "/var/lib/locks.db"},
		{"sqlite:///var/lib/locks.db", "/var/lib/locks.db"},
		{"sqlite://locks.db", "locks.db"},
		{"SQLite:locks.db", "locks.db"},
		{"sqlite3://rel/dir/locks.db", "rel/dir/locks.db"},
		{"file:locks.db", "locks.db"},
		{"file:///tmp/x y/locks.db", "/tmp/x y/locks.db"},
		{"sqlite:/tmp/100%25.db", "/tmp/100%25.db"}, // literal, not decoded
		{"  sqlite:locks.db\n", "locks.db"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := DSN{Dialect: "sqlite", DriverName: "sqlite", DriverDSN: sqlite.DSN(tc.path), Path: tc.path}
			if d.Dialect != want.Dialect || d.DriverName != want.DriverName || d.DriverDSN != want.DriverDSN || d.Path != want.Path || d.Host != "" {
				t.Errorf("Parse = %#v (driver %q %q, path %q, host %q), want path %q", d, d.DriverName, d.DriverDSN, d.Path, d.Host, tc.path)
			}
			if got := d.Redacted(); got != "sqlite:"+tc.path {
				t.Errorf("Redacted = %q", got)
			}
			if got := d.Target(); got != "sqlite file "+tc.path {
				t.Errorf("Target = %q", got)
			}
		})
	}
}

func TestParsePostgres(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, host, user, db, redacted string
	}{
		{"postgres://u:secret@db.example.com:6432/app?sslmode=disable", "db.example.com:6432", "u", "app",
			"postgres://u:xxxxx@db.example.com:6432/app?sslmode=disable"},
		{"postgresql://u@db/app", "db:5432", "u", "app", "postgresql://u@db/app"},
		{"POSTGRES://db", "db:5432", "", "", "postgres://db"},
		{"postgres://u:p%40ss%3Aw%2Fd@[::1]:5433/app", "[::1]:5433", "u", "app", "postgres://u:xxxxx@[::1]:5433/app"},
		{"postgres://u:pw@[::1]/app", "[::1]:5432", "u", "app", "postgres://u:xxxxx@[::1]/app"},
		{"postgres://u:pw@h1,h2:5433,[fe80::1]/app", "h1:5432,h2:5433,[fe80::1]:5432", "u", "app", "postgres://u:xxxxx@h1,h2:5433,[fe80::1]/app"},
		{"postgres:///app?host=/var/run/postgresql", "/var/run/postgresql", "", "app", "postgres:///app?host=/var/run/postgresql"},
		{"postgres:///app", "", "", "app", "postgres:///app"},
		{"postgres://db/app?host=other&port=7000", "other:7000", "", "app", "postgres://db/app?host=other&port=7000"},
		{"postgres://u@db/app?password=secret&sslmode=require", "db:5432", "u", "app", "postgres://u@db/app?password=xxxxx&sslmode=require"},
		{"postgres://u@db/app?sslpassword=secret", "db:5432", "u", "app", "postgres://u@db/app?sslpassword=xxxxx"},
		{"postgres://u:@db/app", "db:5432", "u", "app", "postgres://u:@db/app"},
		// pgx reads URLs as libpq does, not as net/url: only a '/' ends the
		// user information, so '?' and '#' may stand in a password.
		{"postgres://u:p?s#s@db/app?sslmode=disable", "db:5432", "u", "app", "postgres://u:xxxxx@db/app?sslmode=disable"},
		{"postgres://h1,[::1]:5433,h3/app?port=7000", "h1:7000,[::1]:7000,h3:7000", "", "app", "postgres://h1,[::1]:5433,h3/app?port=7000"},
		{"postgres://u:pw@h/app?port=1&host=a,b", "a:1,b:1", "u", "app", "postgres://u:xxxxx@h/app?port=1&host=a,b"},
		{"postgres://u:pw@h1:1,h2:2/app?host=a,b", "a:1,b:2", "u", "app", "postgres://u:xxxxx@h1:1,h2:2/app?host=a,b"},
		{"postgres://%75ser:pw@d%62/my%20db", "db:5432", "user", "my db", "postgres://%75ser:xxxxx@d%62/my%20db"},
		{"postgres://u:pw@db:5432", "db:5432", "u", "", "postgres://u:xxxxx@db:5432"},
		{"postgres://u:pw@db?sslmode=disable", "db:5432", "u", "", "postgres://u:xxxxx@db?sslmode=disable"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			scheme, rest, _ := strings.Cut(tc.in, ":")
			if d.Dialect != "postgres" || d.DriverName != "pgx" || d.DriverDSN != strings.ToLower(scheme)+":"+rest {
				t.Errorf("dialect %q, driver %q, driver DSN %q", d.Dialect, d.DriverName, d.DriverDSN)
			}
			if d.Host != tc.host || d.User != tc.user || d.Database != tc.db {
				t.Errorf("host %q user %q db %q, want %q %q %q", d.Host, d.User, d.Database, tc.host, tc.user, tc.db)
			}
			if got := d.Redacted(); got != tc.redacted {
				t.Errorf("Redacted = %q, want %q", got, tc.redacted)
			}
		})
	}
}

func TestParseMySQL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, driverDSN, host, redacted string
	}{
		{"mysql://root@127.0.0.1:3306/distlock_test", "root@tcp(127.0.0.1:3306)/distlock_test?parseTime=true&timeout=10s", "127.0.0.1:3306",
			"mysql://root@127.0.0.1:3306/distlock_test"},
		{"mysql://u:secret@db/app", "u:secret@tcp(db:3306)/app?parseTime=true&timeout=10s", "db:3306", "mysql://u:xxxxx@db/app"},
		{"mariadb://u:secret@db:3307/app", "u:secret@tcp(db:3307)/app?parseTime=true&timeout=10s", "db:3307", "mariadb://u:xxxxx@db:3307/app"},
		{"mysql://u:p%40s%3As%2Fw%3Fd%28%29@db/app", "u:p@s:s/w?d()@tcp(db:3306)/app?parseTime=true&timeout=10s", "db:3306", "mysql://u:xxxxx@db/app"},
		{"mysql://u:pw@[::1]:3307/app", "u:pw@tcp([::1]:3307)/app?parseTime=true&timeout=10s", "[::1]:3307", "mysql://u:xxxxx@[::1]:3307/app"},
		{"mysql://u:pw@[fe80::1]/app", "u:pw@tcp([fe80::1]:3306)/app?parseTime=true&timeout=10s", "[fe80::1]:3306", "mysql://u:xxxxx@[fe80::1]/app"},
		{"mysql:///app", "tcp(127.0.0.1:3306)/app?parseTime=true&timeout=10s", "127.0.0.1:3306", "mysql:///app"},
		{"mysql://u@db", "u@tcp(db:3306)/?parseTime=true&timeout=10s", "db:3306", "mysql://u@db"},
		{"mysql://u@db/app?timeout=2s", "u@tcp(db:3306)/app?timeout=2s&parseTime=true", "db:3306", "mysql://u@db/app?timeout=2s"},
		{"mysql://u@db/app?parseTime=false&tls=skip-verify", "u@tcp(db:3306)/app?parseTime=false&tls=skip-verify&timeout=10s", "db:3306",
			"mysql://u@db/app?parseTime=false&tls=skip-verify"},
		{"mysql://u@db/app?loc=Europe/Paris&charset=utf8mb4,utf8", "u@tcp(db:3306)/app?loc=Europe%2FParis&charset=utf8mb4,utf8&parseTime=true&timeout=10s", "db:3306",
			"mysql://u@db/app?loc=Europe/Paris&charset=utf8mb4,utf8"},
		{"mysql://root@/app?socket=/run/mysqld/mysqld.sock", "root@unix(/run/mysqld/mysqld.sock)/app?parseTime=true&timeout=10s", "/run/mysqld/mysqld.sock",
			"mysql://root@/app?socket=/run/mysqld/mysqld.sock"},
		{"mysql://u@db/my%20db%2Fx", "u@tcp(db:3306)/my%20db%2Fx?parseTime=true&timeout=10s", "db:3306", "mysql://u@db/my%20db%2Fx"},
		// Session variables the locks do not depend on pass through.
		{"mysql://u@db/app?sql_mode=%27ANSI_QUOTES,STRICT_ALL_TABLES%27&time_zone=%27%2B02:00%27&wsrep_sync_wait=7",
			"u@tcp(db:3306)/app?sql_mode=%27ANSI_QUOTES,STRICT_ALL_TABLES%27&time_zone=%27%2B02:00%27&wsrep_sync_wait=7&parseTime=true&timeout=10s", "db:3306",
			"mysql://u@db/app?sql_mode=%27ANSI_QUOTES,STRICT_ALL_TABLES%27&time_zone=%27%2B02:00%27&wsrep_sync_wait=7"},
		{"mysql://u@db/app?sql_mode=CONCAT(@@sql_mode,%27,ANSI%27)", "u@tcp(db:3306)/app?sql_mode=CONCAT(@@sql_mode,%27,ANSI%27)&parseTime=true&timeout=10s", "db:3306",
			"mysql://u@db/app?sql_mode=CONCAT(@@sql_mode,%27,ANSI%27)"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if d.Dialect != "mysql" || d.DriverName != "mysql" {
				t.Errorf("dialect %q, driver %q", d.Dialect, d.DriverName)
			}
			if d.DriverDSN != tc.driverDSN {
				t.Errorf("DriverDSN = %q, want %q", d.DriverDSN, tc.driverDSN)
			}
			if d.Host != tc.host {
				t.Errorf("Host = %q, want %q", d.Host, tc.host)
			}
			if got := d.Redacted(); got != tc.redacted {
				t.Errorf("Redacted = %q, want %q", got, tc.redacted)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", "empty DSN"},
		{"   ", "empty DSN"},
		{"locks.db", "no scheme"},
		{"/var/lib/locks.db", "no scheme"},
		{"u:secret@host/db", `unknown scheme "u"`},
		{"redis://u:secret@host", `unknown scheme "redis"`},
		{"host=db user=u password=secret", "no scheme"},
		{"sqlite:", "without a file path"},
		{"sqlite://", "without a file path"},
		{"sqlite:locks.db?_pragma=foreign_keys(1)", "parameters"},
		{"sqlite::memory:", "in-memory"},
		{"postgres:db", "want postgres://"},
		{"postgres://u:sec/ret@host/db", "malformed postgres URL"},
		{"postgres://u:secret@host:99999/db", "invalid port"},
		{"postgres://u:secret@host/db?port=secret", "invalid port"},
		{"postgres://u:secret@ho st/db", "malformed host"},
		{"postgres://u:s@cret@host/db", "percent-encode '@'"},
		{"postgres://u:12/secret@host/db", "percent-encode '@'"},
		{"postgres://u:secret@[::1/db", "IPv6"},
		{"postgres://u:secret@[::1]x/db", "IPv6"},
		{"postgres://u:s%zzecret@host/db", "percent-encoding in the password"},
		{"postgres://u:secret%00@host/db", "percent-encoding in the password"},
		{"postgres://u:secret@host/d%zzb", "percent-encoding in the database"},
		{"mysql://u:sec#ret@host/db", "'#'"},
		{"mysql://u:s@cret@host/db", "percent-encode '@'"},
		{"mysql://u:12/secret@host/db", "percent-encode '@'"},
		{"mysql:host/db", "want mysql://"},
		{"mysql://u:secret@h1,h2/db", "one host"},
		{"mysql://u%3Ax:secret@h/db", "cannot hold ':'"},
		{"mysql://u:secret@h:0/db", "invalid port"},
		{"mysql://u:secret@h/db?socket=", "socket"},
		{"mysql://u:secret@h/db?%zz=1", "malformed parameter"},
		// go-sql-driver sends unknown parameters as SET name = value.
		{"mysql://u@db/app?timestamp=1000000000", "timestamp would fix the session's clock"},
		{"mysql://u@db/app?TimeStamp=1", "timestamp would fix the session's clock"},
		{"mysql://u@db/app?@@session.timestamp=1", "timestamp would fix the session's clock"},
		{"mysql://u@db/app?local.timestamp=1", "timestamp would fix the session's clock"},
		{"mysql://u@db/app?time%73tamp=1", "timestamp would fix the session's clock"},
		{"mysql://u@db/app?password=secret", "SET password"},
		{"mariadb://u:secret@db:3307/app?parseTime=false&password=x", "SET password"},
		{"mysql://u@db/app?autocommit=0", "uncommitted"},
		{"mysql://u@db/app?wsrep_on=OFF", "replicated"},
		{"mysql://u@db/app?sql_mode=ANSI,timestamp=1", "one value"},
		{"mysql://u@db/app?sql_mode=ANSI%2Ctimestamp%3D1", "one value"},
		{"mysql://u@db/app?sql_mode=%27ANSI%27,timestamp=1", "one value"},
		{"mysql://u@db/app?sql_mode=%27ANSI", "one value"},
		{"mysql://u@db/app?time_zone=%27%2B00:00%27,timestamp=1", "one value"},
		{"mysql://u@db/app?time_zone%3D%27%2B00:00%27,timestamp=1", "plain variable name"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.in)
			if err == nil {
				t.Fatal("Parse: no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "dsn: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want it to start with %q and contain %q", msg, "dsn: ", tc.want)
			}
			if strings.Contains(msg, "secret") || strings.Contains(msg, "sec") && !strings.Contains(tc.in, "sec") {
				t.Errorf("error %q leaks the password", msg)
			}
		})
	}
}

// TestPasswordNeverPrinted checks every way of printing a DSN.
func TestPasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"postgres://u:s3cr3t-pw@db:5432/app",
		"postgres://u@db/app?password=s3cr3t-pw",
		"postgres://u:s3cr3t%2Dpw@db/app",
		"mysql://u:s3cr3t-pw@db/app",
		"mysql://u:s3cr3t%2dpw@[::1]/app",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			if !d.HasPassword() {
				t.Error("HasPassword = false")
			}
			var logged strings.Builder
			slog.New(slog.NewTextHandler(&logged, nil)).Info("open", "dsn", d)
			for _, s := range []string{
				d.String(), d.Redacted(), d.Target(), d.Host, d.User, d.Database,
				fmt.Sprint(d), fmt.Sprintf("%v %+v %#v %s", d, d, d, d), logged.String(),
			} {
				for _, secret := range []string{"s3cr3t-pw", "s3cr3t%2Dpw", "s3cr3t%2dpw"} {
					if strings.Contains(s, secret) {
						t.Errorf("%q holds the password", s)
					}
				}
			}
		})
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	d, err := Parse("postgres://u:p%40ss-w0rd@db/app?sslpassword=k3y-pass")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"auth failed for p@ss-w0rd", "auth failed for xxxxx"},
		{"bad url postgres://u:p%40ss-w0rd@db", "bad url postgres://u:xxxxx@db"},
		{"p%40ss-w0rd p@ss-w0rd k3y-pass", "xxxxx xxxxx xxxxx"},
		{"nothing secret", "nothing secret"},
	} {
		if got := d.Scrub(tc.in); got != tc.want {
			t.Errorf("Scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	short, _ := Parse("postgres://u:ab@db/app")
	if got := short.Scrub("table abc"); got != "table abc" {
		t.Errorf("Scrub with a 2-byte password = %q, want the message unchanged", got)
	}
	nopw, _ := Parse("sqlite:x.db")
	if got := nopw.Scrub("x"); got != "x" {
		t.Errorf("Scrub without a password = %q", got)
	}
}

func TestTarget(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"sqlite:/a/b.db":                        "sqlite file /a/b.db",
		"postgres://u:secret@db:6432/app":       "postgres at db:6432",
		"postgres:///app":                       "postgres at the default host",
		"mysql://u:secret@[::1]/app":            "mysql at [::1]:3306",
		"mysql://u@/app?socket=/tmp/mysql.sock": "mysql at /tmp/mysql.sock",
	} {
		d, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Target(); got != want {
			t.Errorf("Target(%q) = %q, want %q", in, got, want)
		}
	}
}
