# The two commands of README.md, plus their parts. Every target works on a fresh machine: the
# control-plane binaries are built on first use into a per-user cache (tools/testbin/build.sh).
.PHONY: test lint testbin

# Builds what is missing, then runs every check and every test.
test: lint
	SDS_TESTBIN_DIR="$$(bash tools/testbin/build.sh)" cargo test --workspace --locked

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

# Builds (or finds in the cache) kube-apiserver, kubectl, etcd and helm; prints their directory.
testbin:
	@bash tools/testbin/build.sh
