#!/bin/bash
# Applies the IMDS blocking rules idempotently: (re)loads the REMOTE-CLAUDE-IMDS chain from the
# rules files in DIR and makes FORWARD jump to it first. Run at boot by
# remote-claude-imds-block.service (before Docker), so the rules survive reboots.
# Usage: remote-claude-imds-block [DIR]   (DIR defaults to /etc/remote-claude)
set -euo pipefail

dir="${1:-/etc/remote-claude}"
chain="REMOTE-CLAUDE-IMDS"

apply() {
  local tool="$1" rules="$2"
  # Declaring the chain in the rules file flushes and refills it, even with --noflush.
  "${tool}-restore" --noflush < "$rules"
  if ! "$tool" -C FORWARD -j "$chain" 2>/dev/null; then
    "$tool" -I FORWARD 1 -j "$chain"
  fi
}

apply iptables "$dir/imds-block.rules"
if command -v ip6tables >/dev/null 2>&1 && [ -f "$dir/imds-block6.rules" ]; then
  apply ip6tables "$dir/imds-block6.rules"
fi
