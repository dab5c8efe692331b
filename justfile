# Zen Ops tasks. `just` lists them.

set positional-arguments

default:
    @just --list

# Serve on http://127.0.0.1:8080 (SQLite under ./data, demo firm on first start)
run:
    cargo run

# The whole suite on SQLite
test:
    cargo test --workspace

# The whole suite on PostgreSQL (override TEST_DATABASE_URL to point elsewhere)
test-pg:
    TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" cargo test --workspace

# Formatting check and clippy with warnings as errors
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the workspace
fmt:
    cargo fmt --all

# What CI runs: fmt, clippy, the SQLite suite, the PostgreSQL suite, the API fuzzer
ci:
    bash .ci/run

# Fuzz the debug server on fresh SQLite and PostgreSQL databases: hand-written hostile
# requests, then schemathesis as a field valuer and as the admin
# (e.g. `FUZZ_DATABASES=sqlite just fuzz`; settings at the top of .ci/fuzz)
fuzz:
    bash .ci/fuzz

# The assignment benchmark on SQLite and PostgreSQL (builds the release server first);
# arguments go to zenops-bench, e.g. `just bench --databases sqlite --seconds 5`
bench *ARGS:
    cargo build --release -p zenops-api
    cargo run --release -p zenops-bench -- {{ARGS}}

# Apply pending migrations and exit
migrate:
    cargo run -- migrate

# Seed the demo firm into an empty database and exit
seed:
    cargo run -- seed-demo
