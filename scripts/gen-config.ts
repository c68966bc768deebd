// Writes Pulumi.yaml and the README's config table from config.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { renderProjectFile, withConfigTable } from "../config/docs";

const root = path.resolve(__dirname, "..");
fs.writeFileSync(path.join(root, "Pulumi.yaml"), renderProjectFile());
const readmePath = path.join(root, "README.md");
fs.writeFileSync(readmePath, withConfigTable(fs.readFileSync(readmePath, "utf8")));
console.log("wrote Pulumi.yaml and the README config table");
