// The DNS Firewall's catch-all rule in ALERT is the first deploy's staged rollout (names off the
// allow list resolve and are only logged while `ops egress report` corrects the list), not a broken
// firewall: `ops security` and `ops verify` report it as a known gap, named, with the config line
// that ends it. The action they judge is the deployed rule's (read through the SDK), never config.
import { isProdStack } from "../../../config";

/** The probe check that a catch-all in ALERT leaves open by design. */
const ALERT_OPEN_CHECK = "dns-blocked-domain";

/** The config line that ends the ALERT window (production also drops its written acknowledgement, which config refuses beside BLOCK). */
export function blockCatchAllCommand(stack: string): string {
  const set = `pulumi config set dnsFirewallCatchAllAction BLOCK --stack ${stack}`;
  return isProdStack(stack) ? `${set} && pulumi config rm dnsFirewallAlertAcknowledged --stack ${stack}` : set;
}

/** Why a check is open while the deployed catch-all rule is in ALERT, and what ends it. */
export function alertGapText(stack: string): string {
  return `known gap of the staged rollout: the deployed catch-all rule is in ALERT (names off the allow list resolve and are logged); ends with \`${blockCatchAllCommand(stack)}\` once \`ops egress report\` is clean`;
}

/** The probe checks a deployed catch-all action leaves open on purpose (none unless ALERT). */
export function catchAllKnownGaps(stack: string, action: string | undefined): Record<string, string> {
  return action === "ALERT" ? { [ALERT_OPEN_CHECK]: alertGapText(stack) } : {};
}
