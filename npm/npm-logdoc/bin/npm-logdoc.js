#!/usr/bin/env node
// The `npm-logdoc` command of the npm package: finds the native binary in this
// platform's package (an optional dependency, which npm installs only on the
// platform its `os`, `cpu` and `libc` fields name) and runs it with the same
// arguments, standard streams, exit code and signal. Nothing is downloaded, and
// no install script runs.
"use strict";

const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const PLATFORMS = require("../platforms.json");
const { version: VERSION } = require("../package.json");

// What `npm-logdoc` exits with when it has no binary to run (a shell's
// "command not found").
const NO_BINARY = 127;

function fail(message) {
  process.stderr.write(`npm-logdoc: ${message.trimEnd()}\n`);
  return NO_BINARY;
}

// `glibc` or `musl` on Linux (`/usr/bin/ldd` is a script that names musl on
// Alpine; else Node's report says whether it runs on glibc), else undefined.
function libc() {
  if (process.platform !== "linux") return undefined;
  try {
    if (fs.readFileSync("/usr/bin/ldd", "latin1").includes("musl")) return "musl";
  } catch {
    // No ldd: ask the report below.
  }
  const header = process.report && process.report.getReport && process.report.getReport().header;
  return header && header.glibcVersionRuntime ? "glibc" : "musl";
}

// This machine's packages, the one matching its libc first (a static musl
// binary also runs on glibc).
function candidates() {
  const mine = libc();
  return PLATFORMS.filter((p) => p.os === process.platform && p.cpu === process.arch).sort(
    (a, b) => Number(b.libc === mine) - Number(a.libc === mine),
  );
}

function describe(p) {
  return `${p.os} ${p.cpu}${p.libc ? ` (${p.libc})` : ""}`;
}

// The first installed candidate: its name and the path of its binary.
function installed(packages) {
  for (const p of packages) {
    let manifest;
    try {
      manifest = require.resolve(`${p.package}/package.json`);
    } catch {
      continue;
    }
    return { name: p.package, binary: path.join(path.dirname(manifest), p.binary) };
  }
  return undefined;
}

function missing(packages) {
  const here = `${process.platform} ${process.arch}${packages[0].libc ? ` (${libc()})` : ""}`;
  const names = packages.map((p) => `${p.package}@${VERSION}`);
  const first = names[0];
  return fail(`no binary for ${here}: its package ${names.join(" or ")} is not installed.
npm installs it as an optional dependency of npm-logdoc, only on its own platform. It is missing when
  - optional dependencies were left out (--omit=optional, --no-optional, or omit=optional in .npmrc), or
  - package-lock.json was written on another platform by an npm that kept only that platform's package
    (npm/cli#4828), so npm never fetches this one.
Run one of:
  npm install --no-save ${first}
      (this machine's package, now)
  rm -rf node_modules package-lock.json && npm install
      (a lock file with every platform's entry; commit it)
or set NPM_LOGDOC_BINARY to the path of an npm-logdoc binary (from a release archive,
or built with \`cargo install npm-logdoc --locked\`).`);
}

function unsupported() {
  const known = [...new Set(PLATFORMS.map((p) => `${p.os} ${p.cpu}`))].join(", ");
  return fail(`no prebuilt binary for ${process.platform} ${process.arch} (there are: ${known}).
Build one with \`cargo install npm-logdoc --locked\` and set NPM_LOGDOC_BINARY to its path
(usually ~/.cargo/bin/npm-logdoc).`);
}

// Runs `binary` with `args`; returns the exit code to leave with. A child killed
// by a signal gets the same signal sent to this process, so the caller sees it.
function run(binary, args, from) {
  const child = spawnSync(binary, args, { stdio: "inherit", windowsHide: true });
  if (child.error) {
    const why = child.error.code === "ENOENT" ? "it does not exist" : child.error.message;
    return fail(`cannot run ${binary} (${from}): ${why}`);
  }
  if (child.signal) {
    process.kill(process.pid, child.signal);
    // Still here: the signal is ignored in this process (SIGPIPE is, in Node).
    return 128 + (os.constants.signals[child.signal] || 0);
  }
  return child.status === null ? 1 : child.status;
}

function main() {
  const args = process.argv.slice(2);
  const override = process.env.NPM_LOGDOC_BINARY;
  if (override) return run(override, args, "set by NPM_LOGDOC_BINARY");
  const packages = candidates();
  if (packages.length === 0) return unsupported();
  const found = installed(packages);
  if (!found) return missing(packages);
  return run(found.binary, args, `from ${found.name}`);
}

process.exitCode = main();
