#!/usr/bin/env bash
# The test command (`npm run test:ci`): installs what the tests need on a fresh machine, then runs
# lint, the type check and the whole test suite. `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use, installed only where missing.
# Host hardening suite: a private dockerd (docker.io), images assembled from busybox-static,
# Debian's python3 and node, and strace (the ptrace tests trace with it); network namespaces and
# the IMDS rules (iproute2, iptables); the user data linted (shellcheck). Docker's reference seccomp
# profile is vendored (host/seccomp/moby-default.json), so no package is needed for it.
# The egress proxy test runs the real Squid in front of a TLS server (squid, openssl).
# The HTML plan is rendered in headless Chromium (chromium).
DEBIAN_PACKAGES=(docker.io busybox-static iproute2 iptables shellcheck python3 strace squid openssl chromium)

# AWS's API models and endpoint rules (botocore) judge the DNS Firewall, blue/green, endpoint and
# reachability tests (test/helpers/botocore.ts): pyenv's Python has botocore on these machines; elsewhere
# Debian's python3-botocore.
if ! python3 -c "import botocore" 2>/dev/null && ! "$HOME/.pyenv/shims/python3" -c "import botocore" 2>/dev/null; then
  DEBIAN_PACKAGES+=(python3-botocore)
fi

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
npm test
