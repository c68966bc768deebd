// The other projects' source lines this project's code cites (lib/awsServices.ts: which AWS names
// the ECS and SSM agents resolve; lib/taskLimits.ts: how the ECS agent applies
// ECS_TASK_PIDS_LIMIT; scripts/ops/verify/agentAttributes.ts: which setting shows which attribute),
// held against the record of them in test/fixtures/upstream/citations.json. On every run: each
// citation is on record with exactly its lines, at a commit the citing file names, and each
// recorded range is cited. The record holds the fragments each range must say, their hashes and
// each file's blob id, not the lines themselves (the fixture's README says why); the judge of the
// record is the repositories themselves, read here whenever a clone is given (ECS_AGENT_GIT_DIR,
// SSM_AGENT_GIT_DIR, ECS_AMI_GIT_DIR). Without one that part skips loudly, in CI too: CI cannot
// reach GitHub, and the record pins each file by blob id, so it cannot drift unnoticed.
import { expect } from "chai";
import type { Context } from "mocha";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  blobAt,
  CITING_FILES,
  citationProblems,
  citationRecordText,
  citationsIn,
  judgeRange,
  readCitationRecord,
  ROOT,
  sha256,
  showAt,
  sourceOfCitation,
  splitLines,
  CITATIONS_FILE,
} from "./helpers/upstreamCitations";

const record = readCitationRecord();
const citing = new Map(CITING_FILES.map((f) => [f, fs.readFileSync(path.join(ROOT, f), "utf8")]));

describe("the upstream lines the code cites (test/fixtures/upstream)", () => {
  it("is written as scripts/record-citations.ts writes it: a blob id and line count per file, fragments and a hash per range", () => {
    expect(fs.readFileSync(CITATIONS_FILE, "utf8")).to.equal(citationRecordText(record));
    expect(record.sources.map((s) => s.repo)).to.deep.equal(["aws/amazon-ecs-agent", "aws/amazon-ssm-agent", "aws/amazon-ecs-ami"]);
    for (const s of record.sources) {
      expect(s.commit, s.repo).to.match(/^[0-9a-f]{40}$/);
      for (const f of s.files) {
        expect(f.blob, f.path).to.match(/^[0-9a-f]{40}$/);
        expect(f.cited, f.path).to.have.length.greaterThan(0);
        for (const r of f.cited) {
          const where = `${s.repo} ${f.path}:${r.lines.join("-")}`;
          expect(r.lines[0] >= 1 && r.lines[0] <= r.lines[1] && r.lines[1] <= f.lineCount, `${where} within ${f.lineCount} lines`).to.equal(true);
          expect(r.says, where).to.have.length.greaterThan(0);
          for (const s2 of r.says) expect(s2.trim(), where).to.not.equal("");
          expect(r.sha256, where).to.match(/^[0-9a-f]{64}$/);
        }
      }
    }
  });

  it("finds the citations as the code writes them: path:line, ranges, lists, and :line after a path", () => {
    const found = citationsIn("// a/b.go:12 says x, and :40-44 y (:7); c/d.go:1,3-4; e/f.go names no line", "x.ts");
    expect(found.map((c) => `${c.path}:${c.from}-${c.to} ${c.at}`)).to.deep.equal([
      "a/b.go:12-12 x.ts:1", "a/b.go:40-44 x.ts:1", "a/b.go:7-7 x.ts:1", "c/d.go:1-1 x.ts:1", "c/d.go:3-4 x.ts:1",
    ]);
    for (const f of CITING_FILES) expect(citationsIn(citing.get(f)!, f), f).to.have.length.greaterThan(0);
  });

  it("has every cited line on record, at a commit the citing file names, and records nothing uncited", () => {
    expect(citationProblems(citing, record)).to.deep.equal([]);
  });

  it("gives a path several repositories have (CHANGELOG.md) to the one whose commit the text names last before it", () => {
    const text = citing.get("lib/taskLimits.ts")!;
    const changelogs = citationsIn(text, "lib/taskLimits.ts").filter((c) => c.path === "CHANGELOG.md");
    const having = record.sources.filter((s) => s.files.some((f) => f.path === "CHANGELOG.md"));
    expect(having.map((s) => s.repo)).to.deep.equal(["aws/amazon-ecs-agent", "aws/amazon-ecs-ami"]);
    expect(changelogs.map((c) => `${sourceOfCitation(having, text, c)?.repo} ${c.from}-${c.to}`)).to.deep.equal([
      "aws/amazon-ecs-agent 481-482", "aws/amazon-ecs-ami 1257-1258", "aws/amazon-ecs-ami 1270-1271",
    ]);
  });

  it("notices a citation moved off its recorded lines, a commit not named, a range no longer cited", () => {
    const moved = new Map(citing);
    moved.set("lib/taskLimits.ts", citing.get("lib/taskLimits.ts")!.replaceAll("parse_linux.go:131-152", "parse_linux.go:131-153"));
    expect(citationProblems(moved, record)).to.include.members([
      "lib/taskLimits.ts:17 cites agent/config/parse_linux.go:131-153, which is not on record (scripts/record-citations.ts)",
      "aws/amazon-ecs-agent agent/config/parse_linux.go:131-152 is on record but nothing cites it",
    ]);
    const noCommit = new Map(citing);
    noCommit.set("scripts/ops/verify/agentAttributes.ts", citing.get("scripts/ops/verify/agentAttributes.ts")!.replaceAll("8dfceca6cf38", "(a commit)"));
    expect(citationProblems(noCommit, record).join("\n")).to.match(/agentAttributes\.ts:\d+ cites aws\/amazon-ecs-agent agent\/app\/agent_capability\.go without naming the commit/);
  });

  for (const source of record.sources) {
    it(`is byte for byte what ${source.repo} has at ${source.commit.slice(0, 12)} (${source.env})`, function (this: Context) {
      const gitDir = process.env[source.env];
      if (!gitDir) {
        console.warn(`\n    !!! SKIPPED (${source.repo} is the judge of its record): set ${source.env} to a clone of github.com/${source.repo} (its git directory)\n`);
        this.skip();
      }
      for (const f of source.files) {
        const { content, error } = showAt(gitDir, source.commit, f.path);
        expect(error, `${source.repo} ${f.path} at ${source.commit}`).to.equal(undefined);
        expect(blobAt(gitDir, source.commit, f.path), `${f.path}: the whole file`).to.equal(f.blob);
        expect(splitLines(content!).length, `${f.path}: lines`).to.equal(f.lineCount);
        for (const r of f.cited) {
          const { text, problems } = judgeRange(content!, r);
          expect(problems, `${f.path}:${r.lines.join("-")}`).to.deep.equal([]);
          expect(sha256(text), `${f.path}:${r.lines.join("-")}`).to.equal(r.sha256);
        }
      }
    });
  }
});
