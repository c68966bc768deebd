// `npm run plan:same -- [GIT-REF] [OTHER-REF]`: proves a refactor
// changes nothing the program builds. Renders both stacks' offline plan (json and text) at GIT-REF
// (default HEAD) in a throwaway git worktree and in this working tree (or at OTHER-REF), and compares
// them byte for byte; exits 1 and names the first differing line when they differ. A ref's renders
// are kept under .tmp/plan-same/ by commit, since they cannot change.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const STACKS = ["staging", "prod"] as const;
const FORMATS = ["json", "text"] as const;
/** Two renders at a time: each is one single-threaded node process, and CI machines have two cores. */
const PARALLEL_RENDERS = 2;

interface Render { readonly stack: string; readonly format: string; readonly file: string }

function git(args: string[], cwd = ROOT): string {
  return execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
}

/** Runs one plan of `tree` (its own scripts/plan.ts and node_modules) into `file`. */
function render(tree: string, stack: string, format: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath,
      [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "scripts/plan.ts", "--stack", stack, "--format", format, "--out", file],
      { cwd: tree, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`plan --stack ${stack} --format ${format} in ${tree} failed (${code}):\n${stderr}`))));
  });
}

function renderFiles(dir: string): Render[] {
  return STACKS.flatMap((stack) => FORMATS.map((format) => ({ stack, format, file: path.join(dir, `${stack}.${format}`) })));
}

async function renderAll(tree: string, outDir: string): Promise<Render[]> {
  fs.mkdirSync(outDir, { recursive: true });
  const renders = renderFiles(outDir);
  const queue = [...renders];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await render(tree, next.stack, next.format, next.file);
  };
  await Promise.all(Array.from({ length: PARALLEL_RENDERS }, worker));
  return renders;
}

/** The ref's renders, from the cache or from a detached worktree that borrows this tree's node_modules. */
async function renderRef(sha: string): Promise<string> {
  const cached = path.join(ROOT, ".tmp", "plan-same", sha);
  if (fs.existsSync(path.join(cached, "done"))) return cached;
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "plan-same-"));
  git(["worktree", "add", "--detach", "--quiet", tree, sha]);
  try {
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(tree, "node_modules"), "dir");
    await renderAll(tree, cached);
    fs.writeFileSync(path.join(cached, "done"), `${sha}\n`);
    return cached;
  } finally {
    git(["worktree", "remove", "--force", tree]);
  }
}

function firstDifference(a: string, b: string): string {
  const left = a.split("\n");
  const right = b.split("\n");
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if (left[i] !== right[i]) return `line ${i + 1}:\n  ref:  ${left[i] ?? "(end)"}\n  tree: ${right[i] ?? "(end)"}`;
  }
  return "(same lines, different bytes)";
}

async function main(): Promise<number> {
  const ref = process.argv[2] ?? "HEAD";
  const sha = git(["rev-parse", "--verify", `${ref}^{commit}`]);
  const refDir = await renderRef(sha);
  const other = process.argv[3];
  const otherSha = other === undefined ? undefined : git(["rev-parse", "--verify", `${other}^{commit}`]);
  const treeDir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-same-tree-"));
  try {
    const renders = otherSha === undefined ? await renderAll(ROOT, treeDir) : renderFiles(await renderRef(otherSha));
    let same = true;
    for (const { stack, format, file } of renders) {
      const before = fs.readFileSync(path.join(refDir, path.basename(file)));
      const after = fs.readFileSync(file);
      if (before.equals(after)) {
        console.log(`same       ${stack} ${format} (${after.length} bytes)`);
      } else {
        same = false;
        console.log(`DIFFERENT  ${stack} ${format}: ${firstDifference(before.toString(), after.toString())}`);
      }
    }
    const subject = other === undefined ? "the working tree" : `${other} (${otherSha?.slice(0, 12)})`;
    console.log(same ? `${subject} plans exactly as ${ref} (${sha.slice(0, 12)})` : `${subject} plans differently from ${ref}`);
    return same ? 0 : 1;
  } finally {
    fs.rmSync(treeDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
