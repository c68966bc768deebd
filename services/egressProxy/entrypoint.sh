#!/bin/sh
# Egress proxy entrypoint: write the configuration the task definition carries (SQUID_CONFIG) to a
# file, check it, and run Squid in the foreground (-N: one process, logs to stdout/stderr).
set -eu
conf="${SQUID_CONFIG_FILE:-/tmp/squid.conf}"
if [ -z "${SQUID_CONFIG:-}" ]; then
  echo "egress-proxy: SQUID_CONFIG is empty: the task definition must carry the generated configuration" >&2
  exit 64
fi
printf '%s\n' "$SQUID_CONFIG" > "$conf"
squid -k parse -f "$conf"
exec squid -N -f "$conf"
