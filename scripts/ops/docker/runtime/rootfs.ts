// Root filesystems assembled from the host's own files, to import as images without a registry:
// busybox-static for a shell, and any dynamically linked program (python3, node) with the shared
// libraries ldd names.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface RootfsSpec {
  /** Programs copied with every shared library they load (ldd), at their real paths. */
  readonly programs?: readonly string[];
  /** Directories or files copied as they are (e.g. a language's standard library). */
  readonly trees?: readonly { readonly from: string; readonly to?: string; readonly exclude?: readonly string[]; readonly preserveTimestamps?: boolean }[];
  /** A static busybox at /bin/busybox with its applets linked into /bin. */
  readonly busybox?: boolean;
  /** Shared objects (e.g. a language's extension modules) whose libraries are copied too. */
  readonly libraryDeps?: readonly string[];
  /** Extra symlinks: [link, target]. */
  readonly links?: readonly (readonly [string, string])[];
  /** Extra files: path → content. */
  readonly files?: Readonly<Record<string, string>>;
}

/** The unprivileged account the images carry (a workspace never runs as root). */
const WORKSPACE_UID = 1000;

function sharedLibraries(program: string): string[] {
  const out = spawnSync("ldd", [program], { encoding: "utf8" });
  if (out.status !== 0) {
    if (/not a dynamic executable/.test(out.stdout + out.stderr)) return [];
    throw new Error(`ldd ${program} failed: ${out.stderr}`);
  }
  const libs = new Set<string>();
  for (const line of out.stdout.split("\n")) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.add(m[1]);
  }
  return [...libs];
}

function copyFile(from: string, root: string, to = from): void {
  const dest = path.join(root, to);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(fs.realpathSync(from), dest);
  fs.chmodSync(dest, fs.statSync(fs.realpathSync(from)).mode & 0o777);
}

export function findBusybox(): string | undefined {
  return ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p) && sharedLibraries(p).length === 0);
}

/** Writes the root filesystem into `root` (which must exist and be empty). */
export function assembleRootfs(root: string, spec: RootfsSpec): void {
  for (const dir of ["bin", "etc", "tmp", "proc", "sys", "dev", "workspace"]) fs.mkdirSync(path.join(root, dir), { recursive: true });
  fs.chmodSync(path.join(root, "tmp"), 0o1777);
  fs.writeFileSync(path.join(root, "etc/passwd"), `root:x:0:0:root:/root:/bin/sh\nworkspace:x:${WORKSPACE_UID}:${WORKSPACE_UID}:workspace:/workspace:/bin/sh\n`);
  fs.writeFileSync(path.join(root, "etc/group"), `root:x:0:\nworkspace:x:${WORKSPACE_UID}:\n`);
  fs.chownSync(path.join(root, "workspace"), WORKSPACE_UID, WORKSPACE_UID);

  if (spec.busybox) {
    const busybox = findBusybox();
    if (!busybox) throw new Error("no static busybox found (Debian package busybox-static)");
    copyFile(busybox, root, "/bin/busybox");
    const applets = spawnSync(busybox, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const applet of applets) {
      const link = path.join(root, "bin", applet);
      if (!fs.existsSync(link)) fs.symlinkSync("busybox", link);
    }
  }
  for (const program of spec.programs ?? []) {
    const real = fs.realpathSync(program);
    copyFile(real, root);
    if (real !== program) {
      fs.mkdirSync(path.dirname(path.join(root, program)), { recursive: true });
      if (!fs.existsSync(path.join(root, program))) fs.symlinkSync(real, path.join(root, program));
    }
  }
  for (const binary of [...(spec.programs ?? []), ...(spec.libraryDeps ?? [])]) {
    for (const lib of sharedLibraries(fs.realpathSync(binary))) {
      copyFile(lib, root, lib);
      // The loader and libraries are often found under their symlinked paths (/lib64, /lib).
      const realLib = fs.realpathSync(lib);
      if (realLib !== lib && !fs.existsSync(path.join(root, realLib))) copyFile(lib, root, realLib);
    }
  }
  for (const tree of spec.trees ?? []) {
    const exclude = new Set(tree.exclude ?? []);
    fs.cpSync(tree.from, path.join(root, tree.to ?? tree.from), {
      recursive: true,
      dereference: false,
      // As they are: otherwise Node rewrites a relative link to the host's absolute path, and a
      // file written through it below lands on the host.
      verbatimSymlinks: true,
      // Compiled Python (__pycache__) is only valid next to sources with their original times.
      preserveTimestamps: tree.preserveTimestamps ?? false,
      filter: (src) => !exclude.has(path.basename(src)),
    });
  }
  for (const [link, target] of spec.links ?? []) {
    const at = insideRoot(root, link);
    if (!fs.existsSync(at)) fs.symlinkSync(target, at);
  }
  for (const [file, content] of Object.entries(spec.files ?? {})) {
    const at = insideRoot(root, file);
    // A copied symlink in its place is replaced, not written through.
    if (fs.lstatSync(at, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(at);
    fs.writeFileSync(at, content);
  }
}

/** `file`'s place in the root, its directory made, refused if a symlink on the way leads out of the root. */
function insideRoot(root: string, file: string): string {
  const dir = path.dirname(path.join(root, file));
  // Judged on the deepest directory that exists, before anything is made under it.
  let existing = dir;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  const real = fs.realpathSync(existing);
  const realRoot = fs.realpathSync(root);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw new Error(`${file}: its directory resolves to ${real}, outside the root ${realRoot}`);
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, path.basename(file));
}

/** Debian's python3 (not a pyenv or venv one): the interpreter and its standard library. */
export function debianPython(): { program: string; stdlib: string } | undefined {
  const program = ["/usr/bin/python3"].find((p) => fs.existsSync(p));
  if (!program) return undefined;
  const real = fs.realpathSync(program);
  const version = /python(3\.\d+)$/.exec(real)?.[1];
  const stdlib = version ? `/usr/lib/python${version}` : undefined;
  if (!stdlib || !fs.existsSync(path.join(stdlib, "ctypes"))) return undefined;
  return { program, stdlib };
}

/** Specs of the images the hardening tests and local drill targets use. */
export const IMAGE_SPECS = {
  busybox: (): RootfsSpec => ({ busybox: true }),
  python: (): RootfsSpec => {
    const py = debianPython();
    if (!py) throw new Error("Debian's python3 with its standard library (ctypes) is not installed (Debian package python3)");
    return {
      busybox: true,
      programs: [py.program],
      libraryDeps: fs.readdirSync(path.join(py.stdlib, "lib-dynload")).filter((f) => f.endsWith(".so")).map((f) => path.join(py.stdlib, "lib-dynload", f)),
      trees: [{ from: py.stdlib, exclude: ["test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data", "dist-packages", "site-packages", "__pycache__"] }],
    };
  },
  /** python plus strace: the ptrace tests trace with a real debugging tool. */
  tracer: (): RootfsSpec => {
    const strace = ["/usr/bin/strace"].find((p) => fs.existsSync(p));
    if (!strace) throw new Error("strace is not installed (Debian package strace)");
    const python = IMAGE_SPECS.python();
    return { ...python, programs: [...(python.programs ?? []), strace] };
  },
  node: (): RootfsSpec => {
    const node = ["/usr/bin/node", "/usr/local/bin/node"].find((p) => fs.existsSync(p)) ?? process.execPath;
    return { busybox: true, programs: [node], links: [["/usr/bin/node", fs.realpathSync(node)]] };
  },
} as const;

export type ImageName = keyof typeof IMAGE_SPECS;

/** Assembles a root filesystem in a scratch directory and imports it into `engine` as `tag`. */
export async function importRootfs(engine: { importDirectory(dir: string, tag: string): Promise<void> }, spec: RootfsSpec, tag: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-rootfs-"));
  try {
    assembleRootfs(dir, spec);
    await engine.importDirectory(dir, tag);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
