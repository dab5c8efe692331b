# syntax=docker/dockerfile:1

# --- build -------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
# The cache mounts keep the registry and target/ between builds; the binary is copied out
# of the mounted target/ so that it ends up in the image layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release -p zenops-api \
    && cp target/release/zenops /usr/local/bin/zenops

# --- runtime -----------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin zenops \
    && mkdir -p /data \
    && chown zenops:zenops /data
COPY --from=builder /usr/local/bin/zenops /usr/local/bin/zenops

# Without DATABASE_URL the server uses an SQLite file in DATA_DIR.
ENV DATA_DIR=/data \
    BIND_ADDR=0.0.0.0:8080
VOLUME ["/data"]
WORKDIR /data
USER zenops
EXPOSE 8080
ENTRYPOINT ["zenops"]
CMD ["serve"]
