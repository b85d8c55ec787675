# The test command of README.md. Set DISTLOCK_TEST_POSTGRES_URL and
# DISTLOCK_TEST_MYSQL_URL to test against your own servers (see README).
.PHONY: test vet fmt

test: vet
	go test -race -count=1 ./...

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	go vet ./...

fmt:
	gofmt -w .
