# vtoc-mcp: the vTOC REST API as MCP tools, over streamable HTTP.
#
#   docker build -t vtoc-mcp .
#   docker run --rm -p 127.0.0.1:8765:8765 --env-file .env vtoc-mcp
#
# Stage 1 builds the dependencies alone (cached until Cargo.toml or Cargo.lock change),
# stage 2 the project, stage 3 is a small runtime image running as a non-root user.

ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-bookworm AS deps
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# A stand-in crate with the same manifest: building it compiles every dependency.
RUN mkdir src \
    && echo 'fn main() {}' > build.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > src/main.rs \
    && cargo build --release --locked \
    && rm -rf src build.rs target/release/.fingerprint/vtoc-mcp-* target/release/build/vtoc-mcp-* \
              target/release/deps/vtoc_mcp-* target/release/deps/libvtoc_mcp* target/release/vtoc-mcp*

FROM deps AS build
COPY build.rs .env.example ./
# The functions a server runs, laid out together by the release link (build.rs).
COPY scripts/symbol-order.txt ./scripts/
COPY openapi ./openapi
COPY src ./src
COPY console ./console
RUN cargo build --release --locked --bin vtoc-mcp \
    && strip target/release/vtoc-mcp \
    && ./target/release/vtoc-mcp tools > /dev/null

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="vtoc-mcp" \
      org.opencontainers.image.description="MCP server for the vTOC REST API, generated from its OpenAPI contract" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/PR-CYBR/vtoc" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /src/target/release/vtoc-mcp /usr/local/bin/vtoc-mcp
# 65532 is distroless's `nonroot` user.
USER 65532:65532
ENV MCP_TRANSPORT=http \
    MCP_BIND=0.0.0.0:8765 \
    MCP_HEALTHCHECK_URL=http://127.0.0.1:8765/healthz \
    VTOC_MCP_LOG_FORMAT=json
EXPOSE 8765
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/vtoc-mcp", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/vtoc-mcp"]
CMD ["serve", "--transport", "http", "--bind", "0.0.0.0:8765"]
