# The test command of README.md: `make test`.
#
# The library's tests need nothing installed (SQLite is embedded). The
# integration module tests PostgreSQL and MySQL/MariaDB: it reads
# DISTLOCK_TEST_POSTGRES_URL and DISTLOCK_TEST_MYSQL_URL, else starts
# containers with Docker, else skips them (fails with DISTLOCK_REQUIRE_DB=1).
# The torture test runs last, alone (it may restart the servers), and
# prints its summary.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.PHONY: test vet fmt torture bench-smoke

GOTEST ?= go test -race -count=1

# Tests skipped for want of a database are listed at the end (go test
# shows nothing of a package that passed); DISTLOCK_REQUIRE_DB=1 makes
# them failures instead.
SKIPS := $(CURDIR)/.skipped-tests
export DISTLOCK_SKIP_REPORT := $(SKIPS)

test: vet
	@rm -f $(SKIPS)
	$(GOTEST) ./...
	go test -count=1 -run 'Allocations$$' ./distlock/  # allocation counts: without the race detector
	cd otel && $(GOTEST) ./...
	cd integration && $(GOTEST) -skip '^TestTorture' ./...
	$(MAKE) --no-print-directory torture
	$(MAKE) --no-print-directory bench-smoke
	@if [ -s $(SKIPS) ]; then \
		echo; echo "SKIPPED for want of a database ($$(sort -u $(SKIPS) | wc -l); set the URLs of README's Running the tests):"; \
		sort -u $(SKIPS) | sed 's/^/  /'; rm -f $(SKIPS); fi

# The benchmarks compile and run (a few iterations; the figures of
# BENCHMARKS.md come from `cd bench && go run ./cmd/distlock-bench`). They
# read DISTLOCK_BENCH_POSTGRES_URL / DISTLOCK_BENCH_MYSQL_URL, falling back
# to the test databases.
bench-smoke:
	cd bench && go vet ./... && \
	DISTLOCK_BENCH_POSTGRES_URL="$${DISTLOCK_BENCH_POSTGRES_URL:-$$DISTLOCK_TEST_POSTGRES_URL}" \
	DISTLOCK_BENCH_MYSQL_URL="$${DISTLOCK_BENCH_MYSQL_URL:-$$DISTLOCK_TEST_MYSQL_URL}" \
	go test -run='^$$' -bench=. -benchtime=20x ./...

# TORTURE_FLAGS=-torture.duration=5m for a long run (-torturetx.duration=5m
# -torturetx.pauses=60 for the DoTx torture: holders stopped past their lease).
torture:
	cd integration && $(GOTEST) -run '^TestTorture' -v ./... $(TORTURE_FLAGS) | grep -v '^=== '

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	go vet ./...
	cd otel && go vet ./...
	cd integration && go vet ./...

fmt:
	gofmt -w .
