// Secret config. Values come from `pulumi config set --secret`; the offline engine cannot
// decrypt `secure:` values and sees a masked stand-in, which is enough to plan.
import { optional, secretString } from "./schema";

export const secretKeys = {
  credentialProxySecret: optional(
    secretString({
      description:
        "The credential the credential-proxy sidecar injects (secret). Unset: the Secrets Manager secret is created empty and its value is put out of band.",
      expected: "a non-empty secret string",
      check: (v) => (v.length > 0 ? undefined : "is empty"),
    }),
  ),
};
