// The transport contract's conformance cases, run by clerk-fetch inside this
// JavaScript host (Node, Deno or Bun: only `node:` modules and web APIs are
// used, which all three have). scripts/conformance.sh runs it once per host:
//
//   node conformance.mjs | deno run -A conformance.mjs | bun conformance.mjs
//
// with CONFORMANCE_HOST (node, deno, bun), CONFORMANCE_ADMIN (the admin
// origin of `conformance serve`), CONFORMANCE_RESULTS (a folder),
// CONFORMANCE_PKG (the module built by wasm-bindgen --target web) and
// CONFORMANCE_CASES (cases.json). It writes one observation a case to
// CONFORMANCE_RESULTS/fetch-HOST.jsonl; the judge is `conformance matrix`.
//
// It also checks two things of the host itself, and exits 1 if either fails:
// two instances of the module draw different retry-jitter seeds (the host's
// crypto.getRandomValues, not std's fixed keys), and retry waits cut short
// leave nothing behind in the module's memory.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import process from "node:process";

const env = process.env;
const PKG = env.CONFORMANCE_PKG;
const HOST = env.CONFORMANCE_HOST ?? "node";
const glue = await import(`${PKG}/clerk_fetch_conformance.js`);
const exports = glue.initSync({ module: readFileSync(`${PKG}/clerk_fetch_conformance_bg.wasm`) });

if (process.argv.includes("--seed")) {
  // A child run: print this instance's seed and stop.
  console.log(glue.randomSeed());
  process.exit(0);
}
if (process.argv.includes("--sleeps")) {
  // A child run, on a fresh instance (whose memory no earlier case grew):
  // 50,000 retry waits cut short; print how much the memory grew.
  await glue.cancelledSleeps(1000); // the allocator's first pages
  const before = exports.memory.buffer.byteLength;
  for (let i = 0; i < 50; i++) await glue.cancelledSleeps(1000);
  console.log(exports.memory.buffer.byteLength - before);
  process.exit(0);
}

const table = JSON.parse(readFileSync(env.CONFORMANCE_CASES, "utf8"));
const ADMIN = env.CONFORMANCE_ADMIN;
const transport = `fetch-${HOST}`;
const urls = await (await fetch(`${ADMIN}/urls`)).json();
const stats = async (name) => (await fetch(`${ADMIN}/stats/${name}`)).json();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The keys of a case that are not settings.
const NOT_SETTINGS = new Set(["name", "what", "server", "url", "body_bytes", "expect", "na"]);

const observations = [];
for (const c of table.cases) {
  const observation = { transport, case: c.name, outcome: "", not_sent: null, elapsed_ms: 0, error_text: "" };
  if (c.na?.[transport]) {
    observation.na = c.na[transport];
    observations.push(observation);
    console.log(`${transport.padStart(16)} | ${c.name.padEnd(44)} | n/a`);
    continue;
  }
  const settings = { ...table.defaults };
  for (const [k, v] of Object.entries(c)) if (!NOT_SETTINGS.has(k)) settings[k] = v;
  await fetch(`${ADMIN}/reset/${c.name}`, { method: "POST" });
  const started = performance.now();
  const result = JSON.parse(await glue.runCase(JSON.stringify(settings), urls[c.name], table.key));
  observation.elapsed_ms = Math.round(performance.now() - started);
  observation.outcome = result.outcome;
  observation.not_sent = result.not_sent;
  observation.error_text = result.error_text;
  // A dropped call's connection closes a moment later: give the server the
  // case's window to see it.
  let seen = await stats(c.name);
  const until = performance.now() + (c.expect.closed_within_ms ?? 0);
  while (seen.held_ms == null && performance.now() < until) {
    await sleep(20);
    seen = await stats(c.name);
  }
  observation.server = seen;
  observations.push(observation);
  console.log(`${transport.padStart(16)} | ${c.name.padEnd(44)} | ${result.outcome.padEnd(16)} | ${observation.elapsed_ms} ms`);
}
mkdirSync(env.CONFORMANCE_RESULTS, { recursive: true });
writeFileSync(
  `${env.CONFORMANCE_RESULTS}/${transport}.jsonl`,
  observations.map((o) => JSON.stringify(o)).join("\n") + "\n",
);

let failed = false;

// A child run of this script, in a fresh instance of the host.
const child = (flag) => {
  const script = new URL(import.meta.url).pathname;
  const args = HOST === "deno" ? ["run", "-A", script, flag] : [script, flag];
  return spawnSync(process.execPath, args, { env, encoding: "utf8" }).stdout.trim();
};

// Two instances (two processes of this host) draw different seeds.
const seeds = [child("--seed"), child("--seed")];
if (!/^[0-9a-f]{16}$/.test(seeds[0]) || seeds[0] === seeds[1]) {
  console.log(`FAIL ${transport}: two module instances drew the seeds ${JSON.stringify(seeds)}`);
  failed = true;
} else {
  console.log(`ok ${transport}: two module instances draw different jitter seeds`);
}

// 50,000 retry waits cut short leave the module's memory where it was.
const grown = Number(child("--sleeps"));
if (!(grown <= 1024 * 1024)) {
  console.log(`FAIL ${transport}: 50,000 cancelled sleeps grew the module's memory by ${grown} bytes`);
  failed = true;
} else {
  console.log(`ok ${transport}: 50,000 cancelled sleeps grew the module's memory by ${grown} bytes`);
}

process.exit(failed ? 1 : 0);
