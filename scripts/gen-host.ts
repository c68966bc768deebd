// Writes host/files/seccomp.json from host/seccomp.ts (Docker's default plus the project's
// denials); a test fails when the committed file drifts from what the module renders.
import * as fs from "node:fs";
import * as path from "node:path";
import { seccompProfileText } from "../host/seccomp";

const file = path.resolve(__dirname, "..", "host", "files", "seccomp.json");
fs.writeFileSync(file, seccompProfileText());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
