// The root filesystems the Docker tests import are assembled from this machine's own files
// (scripts/ops/docker/runtime/rootfs.ts): nothing of the assembly may land outside the root. A copied tree keeps
// its relative symlinks as they are (Debian's /usr/share/squid/errors -> ../squid-langpack), so an
// extra file written through one stays in the root, and the link means in the image what it means
// on the host. Judged by the filesystem, in temporary directories; no Docker needed.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assembleRootfs } from "../scripts/ops/docker/runtime/rootfs";

describe("root filesystem assembly (scripts/ops/docker/runtime/rootfs.ts)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-rootfs-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keeps a tree's relative symlinks relative, so a file written through one stays inside the root", () => {
    // A host tree laid out like Debian's Squid: share/squid/errors -> ../squid-langpack.
    const host = path.join(dir, "host");
    fs.mkdirSync(path.join(host, "share", "squid-langpack", "templates"), { recursive: true });
    fs.mkdirSync(path.join(host, "share", "squid"), { recursive: true });
    fs.symlinkSync("../squid-langpack", path.join(host, "share", "squid", "errors"));
    const root = path.join(dir, "root");
    fs.mkdirSync(root);

    assembleRootfs(root, {
      trees: [{ from: path.join(host, "share", "squid") }, { from: path.join(host, "share", "squid-langpack") }],
      files: { [path.join(host, "share", "squid", "errors", "templates", "PAGE")]: "page" },
    });

    expect(fs.readdirSync(path.join(host, "share", "squid-langpack", "templates")), "the host tree").to.deep.equal([]);
    expect(fs.readlinkSync(path.join(root, host, "share", "squid", "errors"))).to.equal("../squid-langpack");
    expect(fs.readFileSync(path.join(root, host, "share", "squid-langpack", "templates", "PAGE"), "utf8")).to.equal("page");
  });

  it("refuses to write an extra file or link through a symlink that leads out of the root", () => {
    const outside = path.join(dir, "outside");
    fs.mkdirSync(outside);
    const root = path.join(dir, "root");
    fs.mkdirSync(path.join(root, "usr"), { recursive: true });
    fs.symlinkSync(outside, path.join(root, "usr", "escape"));
    expect(() => assembleRootfs(root, { files: { "/usr/escape/f": "x" } })).to.throw(/\/usr\/escape\/f.*outside the root/);
    expect(() => assembleRootfs(root, { links: [["/usr/escape/deeper/l", "x"]] })).to.throw(/\/usr\/escape\/deeper\/l.*outside the root/);
    expect(fs.readdirSync(outside)).to.deep.equal([]);
  });

  it("replaces a copied symlink an extra file stands in for, rather than writing through it", () => {
    const outside = path.join(dir, "outside");
    fs.writeFileSync(outside, "host");
    const root = path.join(dir, "root");
    fs.mkdirSync(path.join(root, "etc"), { recursive: true });
    fs.symlinkSync(outside, path.join(root, "etc", "passwd-link"));
    assembleRootfs(root, { files: { "/etc/passwd-link": "image" } });
    expect(fs.readFileSync(outside, "utf8")).to.equal("host");
    expect(fs.readFileSync(path.join(root, "etc", "passwd-link"), "utf8")).to.equal("image");
  });
});
