package mysql

import "github.com/distlock/distlock/dialect"

// TiDBStatements is the dialect with TiDB's statements, whatever server
// it finds: the conformance suite runs them on MariaDB.
func TiDBStatements() dialect.Dialect { return mysqlDialect{forceKind: serverTiDB} }
