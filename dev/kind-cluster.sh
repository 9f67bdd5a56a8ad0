#!/usr/bin/env bash
# The developer's kind cluster with a local registry, in one idempotent command (run it again: it converges).
#   dev/kind-cluster.sh            then   tilt up
# Creates, if missing: the registry container `kind-registry` (registry:3 on 127.0.0.1:5001), the kind cluster
# `content-factory` from kind-config.yaml (node image pinned there), containerd's hosts.toml routing localhost:5001
# to the registry on kind's network, and the kube-public/local-registry-hosting ConfigMap Tilt reads (KEP-1755).
# Uses docker, or podman when KIND_EXPERIMENTAL_PROVIDER=podman. The pins match test/support/versions.ts `kind`.
set -euo pipefail

KIND_VERSION=v0.33.0
CLUSTER=content-factory
CONTEXT=kind-$CLUSTER
REGISTRY_NAME=kind-registry
REGISTRY_PORT=5001
REGISTRY_IMAGE=docker.io/library/registry:3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE=docker
if [ "${KIND_EXPERIMENTAL_PROVIDER:-}" = podman ]; then ENGINE=podman; fi

for tool in "$ENGINE" kind kubectl; do
  command -v "$tool" >/dev/null || { echo "$tool is not on PATH (README: Run it on kind)" >&2; exit 1; }
done
found=$(kind version | awk '{print $2}')
if [ "$found" != "$KIND_VERSION" ]; then
  echo "kind $found found; this cluster is validated with kind $KIND_VERSION:" >&2
  echo "  go install sigs.k8s.io/kind@$KIND_VERSION" >&2
  exit 1
fi

if [ "$($ENGINE inspect -f '{{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true)" != true ]; then
  $ENGINE rm -f "$REGISTRY_NAME" >/dev/null 2>&1 || true
  $ENGINE run -d --restart=always -p "127.0.0.1:$REGISTRY_PORT:5000" --name "$REGISTRY_NAME" "$REGISTRY_IMAGE"
fi

if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --config "$ROOT/kind-config.yaml" --wait 120s
fi

# kind's network exists once a cluster does; connecting twice is refused, so only when not yet connected.
if ! $ENGINE inspect -f '{{json .NetworkSettings.Networks}}' "$REGISTRY_NAME" | grep -q '"kind"'; then
  $ENGINE network connect kind "$REGISTRY_NAME"
fi

for node in $(kind get nodes --name "$CLUSTER"); do
  $ENGINE exec "$node" mkdir -p "/etc/containerd/certs.d/localhost:$REGISTRY_PORT"
  printf '[host."http://%s:5000"]\n' "$REGISTRY_NAME" |
    $ENGINE exec -i "$node" cp /dev/stdin "/etc/containerd/certs.d/localhost:$REGISTRY_PORT/hosts.toml"
done

kubectl --context "$CONTEXT" apply --server-side -f - <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:$REGISTRY_PORT"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
YAML
echo "cluster $CONTEXT with registry localhost:$REGISTRY_PORT is ready: run \`tilt up\`"
