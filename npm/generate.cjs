// Writes the npm packages into a folder, ready for `npm pack` or `npm publish`:
//   OUT/npm-logdoc/          the launcher (bin/npm-logdoc.js, platforms.json), whose
//                            optionalDependencies name every platform package
//   OUT/<platform package>/  package.json and the binary, one per TARGET=BINARY given
// Every version is the crate's (Cargo.toml's [package] version).
//
//   node npm/generate.cjs --out OUT [--repository OWNER/REPO] TARGET=BINARY...
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const here = __dirname;
const root = path.resolve(here, "..");
const PLATFORMS = require("./platforms.json");

function die(message) {
  console.error(`generate: ${message}`);
  process.exit(2);
}

// `version` and `description` of Cargo.toml's [package] table.
function crate() {
  const text = fs.readFileSync(path.join(root, "Cargo.toml"), "utf8");
  const table = text.split(/^\[/m).find((t) => t.startsWith("package]"));
  if (!table) die("Cargo.toml has no [package] table");
  const field = (name) => {
    const m = table.match(new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, "m"));
    if (!m) die(`Cargo.toml's [package] has no ${name}`);
    return m[1];
  };
  return { version: field("version"), description: field("description"), license: field("license") };
}

function parseArgs(argv) {
  const args = { out: undefined, repository: undefined, binaries: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") args.out = argv[++i];
    else if (a === "--repository") args.repository = argv[++i];
    else if (a.includes("=") && !a.startsWith("-")) {
      const [target, binary] = [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)];
      if (!PLATFORMS.some((p) => p.target === target)) {
        die(`no package for target ${target} (npm/platforms.json has ${PLATFORMS.map((p) => p.target).join(", ")})`);
      }
      args.binaries.set(target, binary);
    } else die(`unexpected argument ${a}`);
  }
  if (!args.out) die("--out OUT is required");
  return args;
}

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function json(value) {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const { version, description, license } = crate();
  const common = { version, license };
  if (args.repository) {
    // npm checks a provenance statement against repository.url, so it must be this repository.
    common.repository = { type: "git", url: `git+https://github.com/${args.repository}.git` };
    common.homepage = `https://github.com/${args.repository}#readme`;
  } else {
    console.error("generate: warning: no --repository, so no repository.url: npm refuses to publish with provenance without it");
  }

  const launcher = path.join(args.out, "npm-logdoc");
  write(
    path.join(launcher, "package.json"),
    json({
      name: "npm-logdoc",
      ...common,
      description,
      keywords: ["npm", "publish", "ci", "github-actions", "oidc", "trusted-publishing", "logs"],
      bin: { "npm-logdoc": "bin/npm-logdoc.js" },
      files: ["bin/npm-logdoc.js", "platforms.json"],
      engines: { node: ">=18" },
      optionalDependencies: Object.fromEntries(PLATFORMS.map((p) => [p.package, version])),
    }),
  );
  fs.cpSync(path.join(here, "npm-logdoc", "bin", "npm-logdoc.js"), path.join(launcher, "bin", "npm-logdoc.js"));
  fs.chmodSync(path.join(launcher, "bin", "npm-logdoc.js"), 0o755);
  fs.cpSync(path.join(here, "npm-logdoc", "README.md"), path.join(launcher, "README.md"));
  write(path.join(launcher, "platforms.json"), json(PLATFORMS));

  for (const p of PLATFORMS) {
    const binary = args.binaries.get(p.target);
    if (!binary) continue;
    if (!fs.statSync(binary, { throwIfNoEntry: false })?.isFile()) die(`${p.target}: ${binary} is not a file`);
    const dir = path.join(args.out, p.package);
    const libc = p.libc ? ` (${p.libc})` : "";
    write(
      path.join(dir, "package.json"),
      json({
        name: p.package,
        ...common,
        description: `The npm-logdoc binary for ${p.os} ${p.cpu}${libc}; install npm-logdoc, which picks it`,
        os: [p.os],
        cpu: [p.cpu],
        ...(p.libc ? { libc: [p.libc] } : {}),
        files: [p.binary],
        // Yarn's Plug'n'Play must leave the binary on disk to be executed.
        preferUnplugged: true,
      }),
    );
    fs.copyFileSync(binary, path.join(dir, p.binary));
    fs.chmodSync(path.join(dir, p.binary), 0o755);
    console.log(dir);
  }
  console.log(launcher);
}

main();
