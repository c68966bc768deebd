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

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_install() {
  echo "installing Debian packages: $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  apt_install "${missing[@]}"
fi

# moto's server (a real AWS wire protocol on loopback) for the ops tool's tests (test/ops/moto/).
# moto brings botocore, whose API models and endpoint rules judge the DNS Firewall, blue/green,
# endpoint and reachability tests (test/helpers/botocore.ts looks in the same Pythons).
# Any Python that already has it will do: the first python3 on PATH, then pyenv's shims and
# versions, as test/helpers/moto.ts looks. Where none has it, pip installs it into a virtualenv
# the helper also looks in.
MOTO_REQUIREMENT='moto[server]>=5.2,<6'
MOTO_VENV="$HOME/.cache/remote-claude/moto-venv"
has_moto() {
  "$1" -c 'import sys, moto, moto.server; sys.exit(0 if tuple(int(p) for p in moto.__version__.split(".")[:2]) >= (5, 2) else 1)' >/dev/null 2>&1
}
moto_python=""
for py in "$(command -v python3 || true)" "$HOME/.pyenv/shims/python3" "$HOME"/.pyenv/versions/*/bin/python3 "$MOTO_VENV/bin/python3"; do
  if [ -n "$py" ] && [ -x "$py" ] && has_moto "$py"; then
    moto_python="$py"
    break
  fi
done
if [ -z "$moto_python" ]; then
  echo "installing $MOTO_REQUIREMENT into $MOTO_VENV"
  if ! python3 -m venv "$MOTO_VENV" >/dev/null 2>&1; then
    # Debian's python3 makes virtualenvs (with pip) only with python3-venv.
    apt_install python3-venv
    rm -rf "$MOTO_VENV"
    python3 -m venv "$MOTO_VENV"
  fi
  "$MOTO_VENV/bin/pip" install --quiet "$MOTO_REQUIREMENT"
  has_moto "$MOTO_VENV/bin/python3"
fi

npm ci --no-audit --no-fund
npm test
