package dsn

import (
	"fmt"
	"net/url"
	"strings"
)

// refusedVars are session variables that a DSN must not set, because
// the locks would no longer work (the reason completes the error).
var refusedVars = map[string]string{
	// SET timestamp freezes NOW() and UTC_TIMESTAMP() for the session: its
	// locks would expire at once for everyone else, or never. (time_zone
	// is allowed: distlock reads UTC_TIMESTAMP, which it does not move.)
	"timestamp": "would fix the session's clock, and distlock decides expiry by the server's clock",
	// SET password = … changes the account's password.
	"password": "would run SET password = …, changing the account's password: put the password in the user information, user:password@…",
	// Each lock statement must commit by itself.
	"autocommit": "would leave distlock's statements uncommitted in the session's transaction",
	// A Galera session with wsrep_on off replicates nothing: its locks
	// would exist on one node only.
	"wsrep_on": "would keep this session's locks from being replicated to the other Galera nodes",
}

// Messages of checkMySQLParam (fixed text, which an input may hold).
const (
	msgPlainName = "a mysql parameter name must be a plain variable name"
	msgOneValue  = "a mysql parameter that sets a session variable must hold one value (quote a list: sql_mode='A,B')"
)

func refusedMessage(name, why string) string { return "the mysql parameter " + name + " " + why }

// checkMySQLParam refuses a parameter that go-sql-driver would send as
// SET key = value (key as written, value as the driver unescaped it)
// that breaks the locks, or whose value would set more than one variable
// (the driver does not quote it: sql_mode=x,timestamp=1 would run SET
// sql_mode = x, timestamp = 1). Its errors name the variable as the list
// above spells it, and quote nothing else of the input.
func checkMySQLParam(key, value string) error {
	name := key
	if dec, err := url.QueryUnescape(key); err == nil {
		name = dec
	}
	name = strings.TrimPrefix(strings.ToLower(name), "@@")
	for _, scope := range []string{"session.", "local."} {
		name = strings.TrimPrefix(name, scope)
	}
	if why, ok := refusedVars[name]; ok {
		return fmt.Errorf("dsn: %s", refusedMessage(name, why))
	}
	if strings.Trim(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@") != "" {
		// SET takes it as written: "a=1,timestamp" would set two.
		return fmt.Errorf("dsn: %s", msgPlainName)
	}
	if !oneValue(value) {
		return fmt.Errorf("dsn: %s", msgOneValue)
	}
	return nil
}

// oneValue reports whether v has no ',' outside quotes and parentheses,
// so that SET name = v sets name only.
func oneValue(v string) bool {
	var quote byte
	depth := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth <= 0, c == ';':
			return false
		}
	}
	return quote == 0 && depth == 0
}
