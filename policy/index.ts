// `pulumi preview --policy-pack policy` (from the project directory) runs this pack: every
// policy mandatory, so a violation fails the preview or update.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies, POLICY_PACK_NAME } from "./policies";

new PolicyPack(POLICY_PACK_NAME, {
  description: "Security invariants of Remote Claude on ECS on EC2 (see the project README).",
  enforcementLevel: "mandatory",
  policies: [...allPolicies],
});
