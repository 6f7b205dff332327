# syntax=docker/dockerfile:1
# The sds-operator image: a release build of the operator on a distroless base, running as a
# non-root user with nothing else in the image (no shell, no package manager).

FROM docker.io/library/rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the crates and build artefacts between builds; the binary is copied out of the
# cached target directory because cache mounts do not reach the next stage.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin sds-operator \
    && cp target/release/sds-operator /usr/local/bin/sds-operator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/sds-operator /usr/local/bin/sds-operator
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/sds-operator"]
CMD ["run"]
