#!/bin/bash
# Installs the host hardening bundle idempotently, or checks that it is in force.
#   install.sh BUNDLE_DIR   install the files of BUNDLE_DIR (the AMI component at build time, the
#                           user data at boot: a no-op on an AMI that already has them)
#   install.sh --verify     exit 1 unless the seccomp profile, daemon.json, the IMDS rules and the
#                           link-local-only time source are installed and in force (the AMI's
#                           validate/test phases, the user data)
set -euo pipefail

LIB=/usr/local/lib/remote-claude
PROFILE=/etc/docker/seccomp/remote-claude.json
DAEMON_JSON=/etc/docker/daemon.json
RULES_DIR=/etc/remote-claude
UNIT=remote-claude-imds-block.service
CHAIN=REMOTE-CLAUDE-IMDS
# AL2023 takes time from the Amazon Time Sync Service at 169.254.169.123 (no DNS) and also lists a
# public NTP pool here: chrony would resolve its names through the DNS Firewall (noise in the query
# log, refused in BLOCK) for servers no host can reach (no UDP 123 out). The bundle drops it.
NTP_POOL_SOURCES=/etc/chrony.d/ntp-pool.sources
TIME_SYNC=169.254.169.123

log() { echo "remote-claude-host: $*"; }

# Copies SRC to DEST with MODE; returns 0 when DEST changed.
place() {
  local src="$1" dest="$2" mode="$3"
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    return 1
  fi
  install -D -m "$mode" "$src" "$dest"
  log "installed $dest"
  return 0
}

install_bundle() {
  local src="$1" docker_changed=0 rules_changed=0
  for f in seccomp.json daemon.json imds-block.sh imds-block.rules imds-block6.rules "$UNIT" install.sh; do
    [ -f "$src/$f" ] || { log "bundle file $f missing in $src"; return 1; }
  done
  place "$src/seccomp.json" "$PROFILE" 0644 && docker_changed=1
  place "$src/daemon.json" "$DAEMON_JSON" 0644 && docker_changed=1
  place "$src/imds-block.sh" /usr/local/sbin/remote-claude-imds-block 0755 && rules_changed=1
  place "$src/imds-block.rules" "$RULES_DIR/imds-block.rules" 0644 && rules_changed=1
  place "$src/imds-block6.rules" "$RULES_DIR/imds-block6.rules" 0644 && rules_changed=1
  place "$src/$UNIT" "/etc/systemd/system/$UNIT" 0644 && rules_changed=1
  # Keep the bundle itself, so --verify can compare what is installed with what was shipped.
  for f in seccomp.json daemon.json imds-block.sh imds-block.rules imds-block6.rules "$UNIT" install.sh; do
    place "$src/$f" "$LIB/bundle/$f" 0644 || true
  done
  place "$src/install.sh" "$LIB/install.sh" 0755 || true

  # The ECS AMI sets --default-ulimit in /etc/sysconfig/docker; with default-ulimits also in
  # daemon.json dockerd refuses to start, so the flag goes and daemon.json decides.
  if [ -f /etc/sysconfig/docker ] && grep -q -- '--default-ulimit' /etc/sysconfig/docker; then
    sed -i -E 's/[[:space:]]*--default-ulimit[= ][^[:space:]"]+//g' /etc/sysconfig/docker
    log "removed --default-ulimit from /etc/sysconfig/docker"
    docker_changed=1
  fi

  if [ -e "$NTP_POOL_SOURCES" ]; then
    rm -f "$NTP_POOL_SOURCES"
    chronyc reload sources >/dev/null 2>&1 || true
    log "removed $NTP_POOL_SOURCES: time from $TIME_SYNC only"
  fi

  systemctl daemon-reload
  systemctl enable "$UNIT"
  if [ "$rules_changed" -eq 1 ]; then
    systemctl restart "$UNIT"
  else
    systemctl start "$UNIT"
  fi
  if [ "$docker_changed" -eq 1 ] && systemctl is-active --quiet docker; then
    log "restarting docker for the new daemon configuration"
    systemctl restart docker
  fi
}

verify() {
  local failed=0
  fail() { log "NOT IN FORCE: $*"; failed=1; }
  for pair in "seccomp.json:$PROFILE" "daemon.json:$DAEMON_JSON" "imds-block.rules:$RULES_DIR/imds-block.rules" "$UNIT:/etc/systemd/system/$UNIT"; do
    cmp -s "$LIB/bundle/${pair%%:*}" "${pair#*:}" || fail "${pair#*:} differs from the shipped ${pair%%:*}"
  done
  grep -Eq "\"seccomp-profile\": *\"$PROFILE\"" "$DAEMON_JSON" || fail "daemon.json does not name $PROFILE"
  systemctl is-enabled --quiet "$UNIT" || fail "$UNIT is not enabled"
  [ ! -e "$NTP_POOL_SOURCES" ] || fail "$NTP_POOL_SOURCES lists a public NTP pool (resolved through the DNS Firewall)"
  grep -rqs "^server $TIME_SYNC" /etc/chrony.conf /etc/chrony.d || fail "chrony has no $TIME_SYNC source (Amazon Time Sync Service)"
  iptables -C FORWARD -j "$CHAIN" 2>/dev/null || fail "FORWARD does not jump to $CHAIN"
  iptables -S "$CHAIN" 2>/dev/null | grep -q -- '-d 169.254.169.254/32 .*REJECT' || fail "$CHAIN does not reject 169.254.169.254"
  systemctl is-active --quiet docker || systemctl start docker || fail "docker does not start"
  docker info --format '{{json .SecurityOptions}}' 2>/dev/null | grep -q "profile=$PROFILE" ||
    fail "the running dockerd does not use $PROFILE as its default seccomp profile"
  if [ "$failed" -eq 0 ]; then
    log "hardening in force"
  fi
  return "$failed"
}

case "${1:-}" in
  --verify) verify ;;
  "") echo "usage: $0 BUNDLE_DIR | --verify" >&2; exit 2 ;;
  *) install_bundle "$1" ;;
esac
