// Writes host/files/seccomp-ptrace-allowed.json and seccomp-ptrace-denied.json from
// host/seccomp.ts (today's Docker default plus the project's rules, one file per ptrace choice);
// a test fails when a committed file drifts from what the module renders.
import * as fs from "node:fs";
import * as path from "node:path";
import { HOST_FILES_DIR } from "../host/render";
import { PTRACE_CHOICES, seccompProfileFile, seccompProfileText } from "../host/seccomp";

for (const ptrace of PTRACE_CHOICES) {
  const file = path.join(HOST_FILES_DIR, seccompProfileFile(ptrace));
  fs.writeFileSync(file, seccompProfileText(ptrace));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
