// The lines of other projects' source that this project's code cites (path:line at a pinned
// commit) and the record of them in test/fixtures/upstream/citations.json: for each cited range,
// the fragments the citing code relies on and a SHA-256 of the lines, and for each file its git
// blob id (README beside the record says how it is taken and why it holds no upstream lines).
// The citations test reads the code's citations against the record on every run, and the record
// against clones of the repositories when they are given (ECS_AGENT_GIT_DIR, ...);
// scripts/record-citations.ts writes it from those clones.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const CITATIONS_FILE = path.join(ROOT, "test", "fixtures", "upstream", "citations.json");

/** The files whose comments cite upstream lines; a citation anywhere in them must be on record. */
export const CITING_FILES = ["lib/awsServices.ts", "lib/taskLimits.ts", "lib/workspaceContainers.ts", "scripts/ops/verify/agentAttributes.ts"] as const;

export interface CitedRange {
  /** First and last line, 1-based, inclusive: exactly as the code cites them. */
  readonly lines: readonly [number, number];
  /** Fragments of those lines the citing code relies on (an identifier, a string, a value), verbatim. */
  readonly says: readonly string[];
  /** SHA-256 of the lines from..to joined with "\n" (no trailing newline). */
  readonly sha256: string;
}

export interface CitedFile {
  readonly path: string;
  /** git's blob id of the whole file at the commit (`git rev-parse <commit>:<path>`). */
  readonly blob: string;
  readonly lineCount: number;
  readonly cited: readonly CitedRange[];
}

export interface UpstreamSource {
  readonly repo: string;
  readonly commit: string;
  /** The environment variable that may name a clone (a git directory) of the repository. */
  readonly env: string;
  readonly files: readonly CitedFile[];
}

interface CitationRecord {
  readonly sources: readonly UpstreamSource[];
}

export function readCitationRecord(file = CITATIONS_FILE): CitationRecord {
  return JSON.parse(fs.readFileSync(file, "utf8")) as CitationRecord;
}

/** The record as committed: two-space JSON with each range's line pair on one line. */
export function citationRecordText(record: CitationRecord): string {
  return JSON.stringify(record, null, 2).replace(/"lines": \[\s+(\d+),\s+(\d+)\s+\]/g, '"lines": [$1, $2]') + "\n";
}

/** One citation as the code writes it: `path:12`, `path:12-19`, `path:12,40`, or `:40` after a path. */
export interface CodeCitation {
  readonly path: string;
  readonly from: number;
  readonly to: number;
  /** The citing file, and the line of it where the citation stands. */
  readonly at: string;
  /** Where in the citing file's text it stands. */
  readonly index: number;
}

// An upstream path is a relative path with one of the extensions the cited repositories' files
// have; a line list may follow after a colon, and a bare ":N" (after a space or a parenthesis)
// continues the path named last, as in "session.go:265 discovers ... and :278 dials ...".
const UPSTREAM_PATH = String.raw`(?:[\w.-]+\/)*[\w.-]+\.(?:go|spec|sh|md|amzn2)`;
const LINE_LIST = String.raw`\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*`;
const CITATION = new RegExp(String.raw`(${UPSTREAM_PATH})(?:\s*:(${LINE_LIST}))?|(?<=[\s(]):(${LINE_LIST})\b`, "g");

/** Every line citation in `text` (a citing file's content), in order. */
export function citationsIn(text: string, file: string): CodeCitation[] {
  const out: CodeCitation[] = [];
  let last: string | undefined;
  for (const m of text.matchAll(CITATION)) {
    const list = m[1] ? m[2] : m[3];
    if (m[1]) last = m[1];
    if (!list) continue;
    const at = `${file}:${text.slice(0, m.index).split("\n").length}`;
    if (!last) throw new Error(`${at}: a line citation (${m[0]}) before any upstream path`);
    for (const item of list.split(",")) {
      const [from, to] = item.split("-").map(Number);
      out.push({ path: last, from, to: to ?? from, at, index: m.index });
    }
  }
  return out;
}

/** The lines (file, line) that `text`, the citing file `file`'s content, does not cite within a range of their file. */
export function uncitedLines(text: string, file: string, lines: readonly { readonly file: string; readonly line: number }[]): string[] {
  const cited = citationsIn(text, file);
  return lines.filter((l) => !cited.some((c) => c.path === l.file && c.from <= l.line && l.line <= c.to)).map((l) => `${l.file}:${l.line}`);
}

/** The lines from..to (1-based, inclusive) of `content`, joined with "\n". */
function rangeText(content: string, [from, to]: readonly [number, number]): string {
  return splitLines(content).slice(from - 1, to).join("\n");
}

export function splitLines(content: string): string[] {
  const lines = content.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

export const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

function git(gitDir: string, args: readonly string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: r.stdout, err: r.stderr.trim() };
}

/** The file's content at the commit in the clone, or undefined with git's reason. */
export function showAt(gitDir: string, commit: string, file: string): { content?: string; error?: string } {
  const r = git(gitDir, ["show", `${commit}:${file}`]);
  return r.ok ? { content: r.out } : { error: r.err };
}

/** For each cited line that does not say its fragment at the commit, or whose file git cannot show: why. */
export function lineProblems(gitDir: string, commit: string, citations: readonly { readonly file: string; readonly line: number; readonly says: string }[]): string[] {
  return citations.flatMap((c) => {
    const { content, error } = showAt(gitDir, commit, c.file);
    if (content === undefined) return [`${c.file} at ${commit}: ${error}`];
    const line = content.split("\n")[c.line - 1] ?? "";
    return line.includes(c.says) ? [] : [`${c.file}:${c.line} does not say ${JSON.stringify(c.says)}: ${JSON.stringify(line)}`];
  });
}

export function blobAt(gitDir: string, commit: string, file: string): string | undefined {
  const r = git(gitDir, ["rev-parse", `${commit}:${file}`]);
  return r.ok ? r.out.trim() : undefined;
}

/** A range's lines out of its file, with every problem the record would have against them. */
export function judgeRange(content: string, range: CitedRange): { text: string; problems: string[] } {
  const lineCount = splitLines(content).length;
  const [from, to] = range.lines;
  const problems: string[] = [];
  if (!(from >= 1 && from <= to && to <= lineCount)) problems.push(`lines ${from}-${to} are not within the file's ${lineCount} lines`);
  const text = rangeText(content, range.lines);
  for (const s of range.says) if (!text.includes(s)) problems.push(`lines ${from}-${to} do not say ${JSON.stringify(s)}`);
  return { text, problems };
}

/**
 * What is wrong between the citing files (name → content) and the record: a citation with no
 * recorded range of exactly its lines, a source the citing file does not name by commit, a
 * recorded range nothing cites, a path recorded under two sources.
 */
export function citationProblems(citing: ReadonlyMap<string, string>, record: CitationRecord): string[] {
  const problems: string[] = [];
  const used = new Set<string>();
  for (const [file, text] of citing) {
    for (const c of citationsIn(text, file)) {
      const s = sourceOfCitation(record.sources.filter((x) => x.files.some((f) => f.path === c.path)), text, c);
      const range = s?.files.find((f) => f.path === c.path)?.cited.find((r) => r.lines[0] === c.from && r.lines[1] === c.to);
      if (!s || !range) {
        problems.push(`${c.at} cites ${c.path}:${c.from === c.to ? c.from : `${c.from}-${c.to}`}, which is not on record (scripts/record-citations.ts)`);
        continue;
      }
      if (!text.includes(s.commit.slice(0, 12))) problems.push(`${c.at} cites ${s.repo} ${c.path} without naming the commit it is read at (${s.commit.slice(0, 12)})`);
      used.add(`${s.repo} ${c.path}:${c.from}-${c.to}`);
    }
  }
  for (const s of record.sources) {
    for (const f of s.files) for (const r of f.cited) if (!used.has(`${s.repo} ${f.path}:${r.lines[0]}-${r.lines[1]}`)) problems.push(`${s.repo} ${f.path}:${r.lines.join("-")} is on record but nothing cites it`);
  }
  return problems;
}

/**
 * Which of the sources that have the cited path a citation means: the only one, or (a path such as
 * CHANGELOG.md that several have) the one whose commit the citing text names last before it.
 */
export function sourceOfCitation<S extends { readonly commit: string }>(candidates: readonly S[], text: string, c: CodeCitation): S | undefined {
  if (candidates.length <= 1) return candidates[0];
  const before = text.slice(0, c.index);
  const named = candidates.map((s) => ({ s, at: before.lastIndexOf(s.commit.slice(0, 12)) })).filter((x) => x.at >= 0).sort((a, b) => b.at - a.at);
  return named[0]?.s;
}
