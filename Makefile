# The two commands of README.md, plus their parts. Every target works on a fresh machine: the
# control-plane binaries are built on first use into a per-user cache (tools/testbin/build.sh).
.PHONY: test lint testbin demo

# Builds what is missing, then runs every check and every test.
test: lint
	SDS_TESTBIN_DIR="$$(bash tools/testbin/build.sh)" cargo test --workspace --locked

# Starts a local control plane, the Graph emulator and the real sds-operator, shows examples/
# going Ready and being reset, prints what to try next and runs until Ctrl-C (SDS_DEMO_EXIT=1: exits
# once shown).
demo:
	cargo build --locked --bin sds-operator
	SDS_TESTBIN_DIR="$$(bash tools/testbin/build.sh)" cargo run --locked --quiet -p sds-demo -- \
		--operator "$(or $(CARGO_TARGET_DIR),target)/debug/sds-operator"

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

# Builds (or finds in the cache) kube-apiserver, kubectl, etcd and helm; prints their directory.
testbin:
	@bash tools/testbin/build.sh
