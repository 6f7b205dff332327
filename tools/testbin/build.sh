#!/usr/bin/env bash
# Builds the control-plane binaries the tests and the demo run against (kube-apiserver, kubectl,
# etcd, helm) from their official Go modules, into a per-user cache outside the checkout, so a
# fresh clone (CI) reuses what an earlier run built. A binary that already reports the pinned
# version is not rebuilt. Prints the directory holding the binaries as its last line.
#
# Environment:
#   SDS_TESTBIN_DIR     where binaries go (default: ${XDG_CACHE_HOME:-$HOME/.cache}/sds-operator/testbin/<versions>)
#   KUBEBUILDER_ASSETS  if set, kube-apiserver, etcd and kubectl are taken from there (as envtest does);
#                       only helm is built.
set -euo pipefail

K8S_VERSION=1.35.4
ETCD_VERSION=3.6.16
HELM_VERSION=4.3.2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/sds-operator/testbin
bin=${SDS_TESTBIN_DIR:-$cache_root/k8s-v$K8S_VERSION-etcd-v$ETCD_VERSION-helm-v$HELM_VERSION}
mkdir -p "$bin"

export CGO_ENABLED=0

log() { printf '[testbin] %s\n' "$*" >&2; }

# reports_version BINARY PATTERN VERSION-ARGS...: does BINARY print PATTERN for its version?
reports_version() {
  local binary=$1 pattern=$2 output; shift 2
  [ -x "$binary" ] || return 1
  # Captured first: with pipefail, grep -q closing the pipe early would fail the check.
  output=$("$binary" "$@" 2>/dev/null) || return 1
  grep -q -- "$pattern" <<<"$output"
}

# build NAME MODULE-DIR PACKAGE LDFLAGS [TAGS]: go build PACKAGE inside its tools module.
build() {
  local name=$1 dir=$2 package=$3 ldflags=$4 tags=${5:-}
  local started=$SECONDS
  log "building $name from $package (this takes minutes on a cold cache)"
  (cd "$here/$dir" && go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$bin/$name.tmp" "$package")
  mv "$bin/$name.tmp" "$bin/$name"
  log "built $name in $((SECONDS - started))s"
}

k8s_minor=$(echo "$K8S_VERSION" | cut -d. -f2)
# The same version stamps the Kubernetes release build sets: without them /version says v0.0.0 and
# Helm's kubeVersion checks break.
kube_ldflags="-s -w \
 -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION \
 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$k8s_minor \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION \
 -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$k8s_minor"

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS: using its kube-apiserver, etcd and kubectl"
  for tool in kube-apiserver etcd kubectl; do
    [ -x "$KUBEBUILDER_ASSETS/$tool" ] || { log "missing $KUBEBUILDER_ASSETS/$tool"; exit 1; }
    ln -sf "$KUBEBUILDER_ASSETS/$tool" "$bin/$tool"
  done
else
  if reports_version "$bin/kube-apiserver" "v$K8S_VERSION" --version; then
    log "kube-apiserver v$K8S_VERSION already built"
  else
    build kube-apiserver kube k8s.io/kubernetes/cmd/kube-apiserver "$kube_ldflags" selinux,notest
  fi
  if reports_version "$bin/kubectl" "v$K8S_VERSION" version --client; then
    log "kubectl v$K8S_VERSION already built"
  else
    build kubectl kube k8s.io/kubernetes/cmd/kubectl "$kube_ldflags"
  fi
  if reports_version "$bin/etcd" "etcd Version: $ETCD_VERSION" --version; then
    log "etcd v$ETCD_VERSION already built"
  else
    build etcd etcd go.etcd.io/etcd/server/v3 "-s -w"
  fi
fi

if reports_version "$bin/helm" "v$HELM_VERSION" version --short; then
  log "helm v$HELM_VERSION already built"
else
  build helm helm helm.sh/helm/v4/cmd/helm "-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION"
fi

log "binaries ready in $bin"
echo "$bin"
