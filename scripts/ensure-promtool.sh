#!/usr/bin/env bash
# Makes sure the deploy checks' tools are on the machine: promtool (Debian's `prometheus`),
# amtool and alertmanager (`prometheus-alertmanager`) and kubectl for `kubectl kustomize`
# (Debian's `kubernetes-client` when no kubectl is installed). tests/deploy runs them.
# Only installs; starts no service.
set -euo pipefail
missing=()
command -v promtool >/dev/null || missing+=(prometheus)
{ command -v amtool >/dev/null && command -v prometheus-alertmanager >/dev/null; } \
  || missing+=(prometheus-alertmanager)
command -v kubectl >/dev/null || missing+=(kubernetes-client)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "ensure-promtool: installing ${missing[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for tool in promtool amtool prometheus-alertmanager kubectl; do
  command -v "$tool" >/dev/null || { echo "ensure-promtool: $tool still missing" >&2; exit 1; }
done
