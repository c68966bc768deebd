// Writes test/fixtures/upstream/citations.json from clones of the cited repositories: every range
// the code cites (test/helpers/upstreamCitations.ts, CITING_FILES) with its SHA-256 and the
// fragments it must say, and each file's blob id. Run it after changing a citation or a pinned
// commit, with each repository's clone named by its variable:
//   ECS_AGENT_GIT_DIR=… SSM_AGENT_GIT_DIR=… ECS_AMI_GIT_DIR=… npx ts-node --transpile-only scripts/record-citations.ts
// A range new to the record gets no fragments: write into its "says" what the citing code relies
// on, and run it again. It fails, writing nothing, while a fragment is missing from its lines.
import * as fs from "node:fs";
import * as path from "node:path";
import {
  blobAt,
  CITATIONS_FILE,
  CITING_FILES,
  type CitedFile,
  type CitedRange,
  type CodeCitation,
  citationRecordText,
  citationsIn,
  judgeRange,
  readCitationRecord,
  ROOT,
  sha256,
  showAt,
  sourceOfCitation,
  splitLines,
  type UpstreamSource,
} from "../test/helpers/upstreamCitations";

const record = readCitationRecord();
const texts = new Map<string, string>(CITING_FILES.map((f) => [f, fs.readFileSync(path.join(ROOT, f), "utf8")]));
const cited = [...texts].flatMap(([f, text]) => citationsIn(text, f));
const problems: string[] = [];

const clones = new Map<UpstreamSource, string>();
for (const s of record.sources) {
  const dir = process.env[s.env];
  if (!dir) problems.push(`${s.env} is not set: point it at a clone of github.com/${s.repo} (its git directory)`);
  else clones.set(s, dir);
}
if (problems.length) fail();

/** The source a citation belongs to, among the clones that have its path at their commits. */
function sourceOf(c: CodeCitation): UpstreamSource | undefined {
  const having = record.sources.filter((s) => blobAt(clones.get(s)!, s.commit, c.path));
  const s = sourceOfCitation(having, texts.get(c.at.slice(0, c.at.lastIndexOf(":")))!, c);
  if (!s) problems.push(`${c.at}: ${c.path} is ${having.length ? `in ${having.map((x) => x.repo).join(" and ")}, and the text names none of their commits before it` : "in none of the clones at the pinned commits"}`);
  return s;
}

const wanted = new Map<UpstreamSource, Map<string, Set<string>>>();
for (const c of cited) {
  const s = sourceOf(c);
  if (!s) continue;
  const files = wanted.get(s) ?? wanted.set(s, new Map()).get(s)!;
  (files.get(c.path) ?? files.set(c.path, new Set()).get(c.path)!).add(`${c.from}-${c.to}`);
}

const sources: UpstreamSource[] = record.sources.map((s) => {
  const files: CitedFile[] = [...(wanted.get(s) ?? new Map<string, Set<string>>())].sort(([a], [b]) => a.localeCompare(b)).map(([file, ranges]) => {
    const { content, error } = showAt(clones.get(s)!, s.commit, file);
    if (content === undefined) {
      problems.push(`${s.repo} ${file} at ${s.commit}: ${error}`);
      return { path: file, blob: "", lineCount: 0, cited: [] };
    }
    const before = s.files.find((f) => f.path === file);
    const cited: CitedRange[] = [...ranges].map((r) => r.split("-").map(Number) as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((lines) => {
      const says = before?.cited.find((r) => r.lines[0] === lines[0] && r.lines[1] === lines[1])?.says ?? [];
      const range = { lines, says, sha256: "" };
      const judged = judgeRange(content, range);
      problems.push(...judged.problems.map((p) => `${s.repo} ${file}: ${p}`));
      if (says.length === 0) problems.push(`${s.repo} ${file}:${lines[0]}-${lines[1]}: new to the record; write what the citing code relies on into its "says"`);
      return { ...range, sha256: sha256(judged.text) };
    });
    return { path: file, blob: blobAt(clones.get(s)!, s.commit, file)!, lineCount: splitLines(content).length, cited };
  });
  return { ...s, files };
});

const next = { sources };
if (problems.some((p) => !p.includes("new to the record"))) fail();
fs.writeFileSync(CITATIONS_FILE, citationRecordText(next));
console.log(`wrote ${path.relative(process.cwd(), CITATIONS_FILE)}: ${sources.map((s) => `${s.repo} ${s.files.reduce((n, f) => n + f.cited.length, 0)} ranges`).join(", ")}`);
if (problems.length) fail();

function fail(): never {
  for (const p of problems) console.error(p);
  process.exit(1);
}
