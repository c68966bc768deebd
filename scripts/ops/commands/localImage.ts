// `ops local image`: build the local workspace images on the Docker engine (loaded when it runs).
import { LOCAL_IMAGES } from "../../../lib/names";
import type { LocalContext } from "../docker/context";
import type { OpsCommand } from "./options";

export const localImageCommand: OpsCommand = {
  command: "image",
  describe: "build the local workspace images from a root filesystem assembled on this machine (no registry)",
  builder: (i) => i
    .option("tag", { type: "string", default: LOCAL_IMAGES.agent, describe: "tag of the workspace agent image" })
    .option("credential-proxy-tag", { type: "string", default: LOCAL_IMAGES.credentialProxy, describe: "tag of the credential proxy image" }),
  handler: (a, { select }) => select("local image", async (ctx) => (await import("../docker/image")).localImage(ctx as LocalContext, { tag: a.tag as string, credentialProxyTag: a.credentialProxyTag as string }), true),
};
