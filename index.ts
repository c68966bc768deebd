// Pulumi entry point: `pulumi up -s staging` runs this. Config is validated before anything is
// created; the returned object becomes the stack outputs.
import { readStackConfig } from "./config";
import { buildPlatform } from "./platform";

export = async () => buildPlatform(readStackConfig());
