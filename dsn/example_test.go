package dsn_test

import (
	"fmt"

	"github.com/distlock/distlock/dsn"
)

func ExampleParse() {
	d, err := dsn.Parse("mysql://app:s3cret@db.internal/locks")
	if err != nil {
		panic(err)
	}
	fmt.Println(d.DriverName, d.DriverDSN)
	fmt.Println(d)          // never the password
	fmt.Println(d.Target()) // for error messages
	// Output:
	// mysql app:s3cret@tcp(db.internal:3306)/locks?parseTime=true&timeout=10s
	// mysql://app:xxxxx@db.internal/locks
	// mysql at db.internal:3306
}
