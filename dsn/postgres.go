package dsn

import (
	"fmt"
	"strings"

	"github.com/distlock/distlock/dialect/postgres"
)

// parsePostgres parses a postgres:// or postgresql:// URL the way pgx (and
// libpq) read it, not as net/url would: the user information ends at the
// first '@' before any '/', several hosts may be listed ("h1,[::1]:5433"),
// and "host" and "port" parameters override the URL's. pgx parses the URL
// again itself, so DriverDSN is s, with the scheme lower-cased as pgx
// requires; only Host, User, Database and the redaction come from here.
func parsePostgres(s string) (DSN, error) {
	scheme, rest, _ := cutScheme(s)
	p, ok := strings.CutPrefix(rest, "//")
	if !ok {
		return DSN{}, fmt.Errorf("dsn: want postgres://[user[:password]@]host[:port][,…]/database")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return DSN{}, fmt.Errorf("dsn: NUL byte in postgres URL")
	}
	d := DSN{Dialect: Postgres, DriverName: postgres.DriverName, DriverDSN: scheme + "://" + p}
	var red strings.Builder // the URL as written, secrets replaced
	red.WriteString(scheme + "://")

	if i := strings.IndexAny(p, "@/"); i >= 0 && p[i] == '@' {
		rawUser, rawPw, hasPw := strings.Cut(p[:i], ":")
		user, ok := uriDecode(rawUser)
		if !ok {
			return DSN{}, fmt.Errorf("dsn: malformed percent-encoding in the user name of a postgres URL")
		}
		pw, ok := uriDecode(rawPw)
		if !ok {
			return DSN{}, fmt.Errorf("dsn: malformed percent-encoding in the password of a postgres URL")
		}
		d.User = user
		red.WriteString(rawUser)
		if hasPw {
			red.WriteString(":")
		}
		if pw != "" {
			d.addSecret(rawPw, pw)
			red.WriteString(redactedMark)
		}
		red.WriteString("@")
		p = p[i+1:]
	}

	end := strings.IndexAny(p, "/?")
	if end < 0 {
		end = len(p)
	}
	netloc, p := p[:end], p[end:]
	red.WriteString(netloc)
	if err := checkNoAt(netloc, p, Postgres); err != nil {
		return DSN{}, err
	}
	hosts, ports, err := splitNetloc(netloc)
	if err != nil {
		return DSN{}, err
	}

	if rest, ok := strings.CutPrefix(p, "/"); ok {
		db, query, hasQuery := strings.Cut(rest, "?")
		if d.Database, ok = uriDecode(db); !ok {
			return DSN{}, fmt.Errorf("dsn: malformed percent-encoding in the database of a postgres URL")
		}
		red.WriteString("/" + db)
		p = ""
		if hasQuery {
			p = "?" + query
		}
	}
	var paramHosts, paramPorts *string // the last "host" and "port" parameters win
	if query, ok := strings.CutPrefix(p, "?"); ok {
		pairs := strings.Split(query, "&")
		for i, pair := range pairs {
			rawKey, rawVal, _ := strings.Cut(pair, "=")
			key, _ := uriDecode(rawKey) // pgx rejects what fails here
			val, _ := uriDecode(rawVal)
			switch {
			case secretParam(key) && val != "":
				d.addSecret(rawVal, val)
				pairs[i] = rawKey + "=" + redactedMark
			case key == "host":
				paramHosts = &val
			case key == "port":
				paramPorts = &val
			}
		}
		red.WriteString("?" + strings.Join(pairs, "&"))
	}
	if paramHosts != nil {
		hosts = strings.Split(*paramHosts, ",")
		ports = alignPorts(ports, len(hosts))
	}
	if paramPorts != nil {
		ports = alignPorts(strings.Split(*paramPorts, ","), len(hosts))
	}
	d.redacted = red.String()

	var list []string
	for i, h := range hosts {
		port := strings.TrimSpace(ports[i])
		if !validPort(port) {
			return DSN{}, fmt.Errorf("dsn: invalid port in postgres URL")
		}
		if h != "" {
			list = append(list, joinHost(h, port, postgresPort))
		}
	}
	d.Host = strings.Join(list, ",")
	return d, nil
}

// splitNetloc splits a libpq host list, "h1,h2:5433,[::1]:5434", into
// positionally aligned hosts and ports ("" for a default port).
func splitNetloc(netloc string) (hosts, ports []string, err error) {
	if netloc == "" {
		return nil, nil, nil
	}
	for item := range strings.SplitSeq(netloc, ",") {
		var host, port string
		if rest, ok := strings.CutPrefix(item, "["); ok {
			end := strings.IndexByte(rest, ']')
			if end <= 0 {
				return nil, nil, fmt.Errorf("dsn: malformed IPv6 address in postgres URL")
			}
			host, rest = rest[:end], rest[end+1:]
			if rest != "" {
				var ok bool
				if port, ok = strings.CutPrefix(rest, ":"); !ok {
					return nil, nil, fmt.Errorf("dsn: malformed IPv6 address in postgres URL")
				}
			}
		} else {
			host, port, _ = strings.Cut(item, ":")
		}
		h, ok1 := uriDecode(host)
		p, ok2 := uriDecode(port)
		if !ok1 || !ok2 {
			return nil, nil, fmt.Errorf("dsn: malformed host in postgres URL")
		}
		hosts, ports = append(hosts, h), append(ports, p)
	}
	return hosts, ports, nil
}

// alignPorts returns ports for n hosts, as pgx pairs them: one port for
// all, or one per host; otherwise (a count pgx rejects) defaults.
func alignPorts(ports []string, n int) []string {
	out := make([]string, n)
	switch len(ports) {
	case n:
		copy(out, ports)
	case 1:
		for i := range out {
			out[i] = ports[0]
		}
	}
	return out
}

// uriDecode percent-decodes a component of a URL as libpq does: %XX
// escapes (not %00), surrounding spaces dropped, no spaces inside.
func uriDecode(raw string) (string, bool) {
	raw = strings.Trim(raw, " ")
	if strings.IndexByte(raw, ' ') >= 0 {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] != '%' {
			b.WriteByte(raw[i])
			continue
		}
		if i+2 >= len(raw) {
			return "", false
		}
		hi, ok1 := unhex(raw[i+1])
		lo, ok2 := unhex(raw[i+2])
		if !ok1 || !ok2 || hi == 0 && lo == 0 {
			return "", false
		}
		b.WriteByte(hi<<4 | lo)
		i += 2
	}
	return b.String(), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
