# The test command of README.md: `make test`.
#
# The library's tests need nothing installed (SQLite is embedded). The
# integration module tests PostgreSQL and MySQL/MariaDB: it reads
# DISTLOCK_TEST_POSTGRES_URL and DISTLOCK_TEST_MYSQL_URL, else starts
# containers with Docker, else skips them (fails with DISTLOCK_REQUIRE_DB=1).
.PHONY: test vet fmt

GOTEST ?= go test -race -count=1

test: vet
	$(GOTEST) ./...
	cd integration && $(GOTEST) ./...

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	go vet ./...
	cd integration && go vet ./...

fmt:
	gofmt -w .
