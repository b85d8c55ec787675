package dsn

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
			host, user := orDefault(t, tc.host, tc.user)
			if d.Host != host || d.User != user || d.Database != tc.db {
				t.Errorf("host %q user %q db %q, want %q %q %q", d.Host, d.User, d.Database, host, user, tc.db)
			}
			if got := d.Redacted(); got != tc.redacted {
				t.Errorf("Redacted = %q, want %q", got, tc.redacted)
			}
		})
	}
}

// orDefault returns host and user, or where they are empty, pgx's
// defaults (from the environment, or the socket directory it finds and
// the OS user).
func orDefault(t *testing.T, host, user string) (string, string) {
	t.Helper()
	def, err := pgconn.ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if host == "" {
		host = joinHost(def.Host, strconv.Itoa(int(def.Port)))
	}
	if user == "" {
		user = def.User
	}
	return host, user
}

func TestParseKeywords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, host, user, db, redacted string
	}{
		{"host=db port=6432 user=u password=secret dbname=app sslmode=disable", "db:6432", "u", "app",
			"host=db port=6432 user=u password=xxxxx dbname=app sslmode=disable"},
		{"dbname = app  password = 'a b\\'c\\\\'  user=u", "", "u", "app", "dbname = app  password = 'xxxxx'  user=u"},
		{"host=h1,h2 port=5433,5434 password=p\\ w dbname='my db'", "h1:5433,h2:5434", "", "my db", "host=h1,h2 port=5433,5434 password=xxxxx dbname='my db'"},
		{"host=/var/run/postgresql dbname=app sslpassword=k3y", "/var/run/postgresql", "", "app", "host=/var/run/postgresql dbname=app sslpassword=xxxxx"},
		{"host=db password= user=u", "db:5432", "", "", "host=db password= xxxxx"}, // libpq: password is "user=u"
		{"host=db password='' user=u", "db:5432", "u", "", "host=db password='' user=u"},
		{"  host=::1\tdbname=app\n", "[::1]:5432", "", "app", "host=::1\tdbname=app"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if d.Dialect != "postgres" || d.DriverName != "pgx" || d.DriverDSN != strings.TrimSpace(tc.in) {
				t.Errorf("dialect %q, driver %q, driver DSN %q", d.Dialect, d.DriverName, d.DriverDSN)
			}
			host, user := orDefault(t, tc.host, tc.user)
			if d.Host != host || d.User != user || d.Database != tc.db {
				t.Errorf("host %q user %q db %q, want %q %q %q", d.Host, d.User, d.Database, host, user, tc.db)
			}
			if got := d.Redacted(); got != tc.redacted {
				t.Errorf("Redacted = %q, want %q", got, tc.redacted)
			}
		})
	}
}

func TestParseDriverDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, driverDSN, host, user, db, redacted string
	}{
		{"root@tcp(127.0.0.1:3306)/distlock_test", "root@tcp(127.0.0.1:3306)/distlock_test?parseTime=true&timeout=10s", "127.0.0.1:3306", "root", "distlock_test",
			"root@tcp(127.0.0.1:3306)/distlock_test"},
		{"u:s3cr:t/@(x)@tcp(db)/app?tls=skip-verify&timeout=2s", "u:s3cr:t/@(x)@tcp(db:3306)/app?parseTime=true&timeout=2s&tls=skip-verify", "db:3306", "u", "app",
			"u:xxxxx@tcp(db)/app?tls=skip-verify&timeout=2s"},
		{"u:pw@unix(/run/mysqld/mysqld.sock)/app?parseTime=false", "u:pw@unix(/run/mysqld/mysqld.sock)/app?timeout=10s", "/run/mysqld/mysqld.sock", "u", "app",
			"u:xxxxx@unix(/run/mysqld/mysqld.sock)/app?parseTime=false"},
		{"/app", "tcp(127.0.0.1:3306)/app?parseTime=true&timeout=10s", "127.0.0.1:3306", "", "app", "/app"},
		{"u@/", "u@tcp(127.0.0.1:3306)/?parseTime=true&timeout=10s", "127.0.0.1:3306", "u", "", "u@/"},
		{"postgres:pw@tcp([::1]:3307)/my%20db?sql_mode=%27ANSI%27", "postgres:pw@tcp([::1]:3307)/my%20db?parseTime=true&timeout=10s&sql_mode=%27ANSI%27", "[::1]:3307", "postgres", "my db",
			"postgres:xxxxx@tcp([::1]:3307)/my%20db?sql_mode=%27ANSI%27"},
		{"u:@(db:3307)/app", "u@tcp(db:3307)/app?parseTime=true&timeout=10s", "db:3307", "u", "app", "u:@(db:3307)/app"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if d.Dialect != "mysql" || d.DriverName != "mysql" || d.DriverDSN != tc.driverDSN {
				t.Errorf("dialect %q, driver %q, driver DSN %q, want %q", d.Dialect, d.DriverName, d.DriverDSN, tc.driverDSN)
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
		{"mysql://u@db/app?timeout=2s", "u@tcp(db:3306)/app?parseTime=true&timeout=2s", "db:3306", "mysql://u@db/app?timeout=2s"},
		{"mysql://u@db/app?parseTime=false&tls=skip-verify", "u@tcp(db:3306)/app?timeout=10s&tls=skip-verify", "db:3306",
			"mysql://u@db/app?parseTime=false&tls=skip-verify"},
		{"mysql://u@db/app?loc=Europe/Paris&charset=utf8mb4,utf8", "u@tcp(db:3306)/app?charset=utf8mb4,utf8&loc=Europe%2FParis&parseTime=true&timeout=10s", "db:3306",
			"mysql://u@db/app?loc=Europe/Paris&charset=utf8mb4,utf8"},
		{"mysql://root@/app?socket=/run/mysqld/mysqld.sock", "root@unix(/run/mysqld/mysqld.sock)/app?parseTime=true&timeout=10s", "/run/mysqld/mysqld.sock",
			"mysql://root@/app?socket=/run/mysqld/mysqld.sock"},
		{"mysql://u@db/my%20db%2Fx", "u@tcp(db:3306)/my%20db%2Fx?parseTime=true&timeout=10s", "db:3306", "mysql://u@db/my%20db%2Fx"},
		// Session variables the locks do not depend on pass through.
		{"mysql://u@db/app?sql_mode=%27ANSI_QUOTES,STRICT_ALL_TABLES%27&time_zone=%27%2B02:00%27&wsrep_sync_wait=7",
			"u@tcp(db:3306)/app?parseTime=true&timeout=10s&sql_mode=%27ANSI_QUOTES%2CSTRICT_ALL_TABLES%27&time_zone=%27%2B02%3A00%27&wsrep_sync_wait=7", "db:3306",
			"mysql://u@db/app?sql_mode=%27ANSI_QUOTES,STRICT_ALL_TABLES%27&time_zone=%27%2B02:00%27&wsrep_sync_wait=7"},
		{"mysql://u@db/app?sql_mode=CONCAT(@@sql_mode,%27,ANSI%27)", "u@tcp(db:3306)/app?parseTime=true&timeout=10s&sql_mode=CONCAT%28%40%40sql_mode%2C%27%2CANSI%27%29", "db:3306",
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
		{"/locks.db", "no scheme"},
		{"/var/lib/locks.db", "no scheme"},
		{"u:secret@host/db", `unknown scheme "u"`},
		{"redis://u:secret@host", `unknown scheme "redis"`},
		{"sqlite:", "without a file path"},
		{"sqlite://", "without a file path"},
		{"sqlite:locks.db?_pragma=foreign_keys(1)", "parameters"},
		{"sqlite::memory:", "in-memory"},
		{"postgres:db", "want postgres://"},
		{"postgres://u:sec/ret@host/db", "malformed postgres URL"},
		{"postgres://u:secret@host:99999/db", "invalid port"},
		{"postgres://u:secret@host/db?port=secret", "invalid port"},
		{"postgres://u:secret@ho st/db", "spaces"},
		{"postgres://u:sec ret@host/db", "spaces in the password"},
		{"postgres://u:secret@host/db?sslmode=bogus", "TLS"},
		{"postgres://u:secret@host/db?target_session_attrs=secret", "invalid target_session_attrs"},
		{"postgres://u:secret@h1,h2/db?port=1,2,3", "as many ports as hosts"},
		{"postgres://u:secret@host/db?statement_cache_capacity=secret", "statement_cache_capacity"},
		{"postgres://u:s@cret@host/db", "percent-encode '@'"},
		{"postgres://u:12/secret@host/db", "percent-encode '@'"},
		{"postgres://u:secret@[::1/db", "IPv6"},
		{"postgres://u:secret@[::1]x/db", "IPv6"},
		{"postgres://u:s%zzecret@host/db", "percent-encoding in the password"},
		{"postgres://u:secret%00@host/db", "percent-encoding in the password"},
		{"postgres://u:secret@host/d%zzb", "malformed percent-encoding"},
		{"postgres://u:secret@host/db?password=a%zz", "percent-encoding in the password"},
		{"host=db password='secret", "unterminated quoted value"},
		{"host=db password=sec ret", "not keyword=value pairs"},
		{"host=db password=sec ret port=1", `a keyword without "="`},
		{"host=db password=secret port=secret", "invalid port"},
		{"host=db password=secret sslmode=secret", "TLS"},
		{"host=db password=secret sslrootcert=/nonexistent/secret.pem", "TLS"},
		{"host=db password=secret\x00", "NUL"},
		{"host=db password=secret connect_timeout=secret", "connect_timeout"},
		{"u:secret@tcp(db)/app?password=x", "SET password"},
		{"u:secret@tcp(db)/app?timestamp=1", "timestamp would fix"},
		{"u:secret@tcp(db)/app?sql_mode=ANSI%2Ctimestamp%3D1", "one value"},
		{"u:secret@tcp(db)/app?strict=true", "strict was removed"},
		{"u:secret@tcp(db)/app?parseTime=secret", "boolean parameter"},
		{"u:secret@tcp(db)/app?timeout=secret", "invalid duration"},
		{"u:secret@tcp(db)/app?loc=Secret%2FZone", "unknown time zone"},
		{"u:secret@tcp(db)/app?tls=secret", "unknown tls config name"},
		{"u:secret@tcp(db)/app?maxAllowedPacket=secret", "invalid number"},
		{"u:secret@tcp(db)/a%zzpp", "percent-encoding in the database name"},
		{"u:secret@tcp(db)/app?sql_mode=%zz", "percent-encoding in a parameter"},
		{"u:secret@bogus()/app", "network without an address"},
		{"u:secret@tcp(db)/app?interpolateParams=true&collation=gbk_chinese_ci", "unsafe collation"},
		{":secret@tcp(db)/app", "password needs a user name"},
		{"user=secret@tcp(db)/app", "ambiguous"},
		{"file:secret@tcp(db)/app", "ambiguous"},
		{"password=secret@tcp(db)/app", "ambiguous"},
		{"mysql://:secret@db/app", "password needs a user name"},
		{"mysql://u:sec#ret@host/db", "'#'"},
		{"mysql://u:s@cret@host/db", "percent-encode '@'"},
		{"mysql://u:12/secret@host/db", "percent-encode '@'"},
		{"mysql:host/db", "want mysql://"},
		{"mysql://u:secret@h1,h2/db", "one host"},
		{"mysql://u%3Ax:secret@h/db", "cannot hold ':'"},
		{"mysql://u:secret@h:0/db", "invalid port"},
		{"mysql://u:secret@h/db?socket=", "socket"},
		{"mysql://u:secret@h/db?%zz=1", "plain variable name"},
		{"mysql://u:secret@h/db?loc=Europe/Secret", "unknown time zone"},
		{"mysql://u:secret@h/db?strict=1", "strict was removed"},
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
		"host=db user=u password=s3cr3t-pw dbname=app",
		"host=db password = 's3cr3t-pw' dbname=app",
		"host=db sslpassword=s3cr3t-pw password=s3cr3t\\-pw",
		"u:s3cr3t-pw@tcp(db:3306)/app",
		"u:s3cr3t-pw@unix(/run/mysqld/mysqld.sock)/app?tls=true",
		"u:s3cr3t-pw@/app",
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
				for _, secret := range []string{"s3cr3t-pw", "s3cr3t%2Dpw", "s3cr3t%2dpw", "s3cr3t\\-pw"} {
					if strings.Contains(s, secret) {
						t.Errorf("%q holds the password", s)
					}
				}
			}
		})
	}
}

// TestDriverErrorsHidePassword checks that Parse's errors hold nothing of
// the password where the drivers' own errors do: pgx redacts the
// connection string in its messages on a best-effort basis only, and
// go-sql-driver quotes the values it cannot read.
func TestDriverErrorsHidePassword(t *testing.T) {
	t.Parallel()
	const pw = "s3cr3t"
	for _, tc := range []struct {
		in    string
		leaks bool // the driver's own error holds the password
	}{
		{"host=db password = '" + pw, true},
		{"host=db password = " + pw + " port=x", true},
		{"host=db password=" + pw + " pw port=1", false}, // quotes "pw", part of the password meant
		{"postgres://u:" + pw + " pw@h/db", false},
		{"postgres://u:" + pw + "@h/db?target_session_attrs=" + pw, true},
		{"postgres://u:pw@h/db?sslmode=" + pw, true},
	} {
		_, perr := pgx.ParseConfig(tc.in)
		if perr == nil {
			t.Fatalf("pgx.ParseConfig(%q) accepts it", tc.in)
		}
		if tc.leaks && !strings.Contains(perr.Error(), pw) {
			t.Errorf("pgx's error %q no longer holds the password: adjust this test", perr)
		}
		_, err := Parse(tc.in)
		if err == nil || strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), " pw") || !strings.HasPrefix(err.Error(), "dsn: pgx refuses") {
			t.Errorf("Parse(%q) = %v, want pgx's refusal without the password", tc.in, err)
		}
	}
	for _, in := range []string{"u:" + pw + "@tcp(db)/app?parseTime=" + pw, "u:x@tcp(db)/app?timeout=" + pw, "u:x@tcp(db)/app?loc=" + pw} {
		_, merr := mysql.ParseDSN(in)
		if merr == nil || !strings.Contains(merr.Error(), pw) {
			t.Errorf("mysql.ParseDSN(%q) = %v, want an error quoting the value: adjust this test", in, merr)
		}
		if _, err := Parse(in); err == nil || strings.Contains(err.Error(), pw) {
			t.Errorf("Parse(%q) = %v, want go-sql-driver's refusal without the value", in, err)
		}
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
		"sqlite:/a/b.db":                             "sqlite file /a/b.db",
		"postgres://u:secret@db:6432/app":            "postgres at db:6432",
		"host=db,::1 port=6432,5433 password=secret": "postgres at db:6432,[::1]:5433",
		"u:secret@tcp([::1]:3306)/app":               "mysql at [::1]:3306",
		"mysql://u:secret@[::1]/app":                 "mysql at [::1]:3306",
		"mysql://u@/app?socket=/tmp/mysql.sock":      "mysql at /tmp/mysql.sock",
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
