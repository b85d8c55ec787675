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

func ExampleParse_driverForms() {
	for _, s := range []string{
		"host=db.internal user=app password='s3 cret' dbname=locks", // libpq
		"app:s3cret@tcp(db.internal:3306)/locks?tls=true",           // go-sql-driver
	} {
		d, err := dsn.Parse(s)
		if err != nil {
			panic(err)
		}
		fmt.Println(d.Dialect, d.Target())
		fmt.Println(d)
	}
	// Output:
	// postgres postgres at db.internal:5432
	// host=db.internal user=app password='xxxxx' dbname=locks
	// mysql mysql at db.internal:3306
	// app:xxxxx@tcp(db.internal:3306)/locks?tls=true
}
