// Debian's headless Chromium for rendering tests: a fresh profile per run, no network features,
// pages loaded from file:// only. scripts/ci.sh installs the package.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--hide-scrollbars",
];

/** Runs Chromium on a local file with extra flags; throws when it fails. */
export function runChromium(file: string, extra: string[]): string {
  if (!CHROMIUM) throw new Error("chromium is not installed");
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-profile-"));
  try {
    const result = spawnSync(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...extra, `file://${path.resolve(file)}`], {
      encoding: "utf8",
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`chromium exited ${result.status}: ${result.stderr}`);
    return result.stdout;
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
