// Reads bench/run.sh's results (JSON lines) and prints BENCHMARKS.md's table:
// per host and load, each contender's median calls/s and CPU µs per call,
// and the module's ratios against @clerk/backend and plain fetch, each the
// median of the per-round ratios with their range over the rounds.
//   node bench/summarize.mjs target/clerk-fetch-bench/results.jsonl
import { readFileSync } from "node:fs";

const rows = readFileSync(process.argv[2], "utf8").trim().split("\n").map((line) => JSON.parse(line));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ratio = (xs) => `${median(xs).toFixed(2)}x (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;

const instantiate = {};
for (const r of rows.filter((r) => "instantiate_ms" in r)) (instantiate[r.host] ??= []).push(r.instantiate_ms);

const runs = rows.filter((r) => "contender" in r);
const hosts = [...new Set(runs.map((r) => r.host))];
console.log("| host | in flight | module calls/s | sdk calls/s | fetch calls/s | module CPU µs/call | sdk | fetch | module/sdk calls/s | module/sdk CPU | module/fetch CPU |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
let met = true;
for (const host of hosts) {
  for (const inFlight of [1, 64]) {
    const here = runs.filter((r) => r.host === host && r.in_flight === inFlight);
    if (!here.length) continue;
    const by = (name) => here.filter((r) => r.contender === name);
    const rounds = [...new Set(here.map((r) => r.round))];
    const per = (name, key) => median(by(name).map((r) => r[key]));
    const ratios = (a, b, key) =>
      rounds.map((round) => {
        const x = here.find((r) => r.round === round && r.contender === a);
        const y = here.find((r) => r.round === round && r.contender === b);
        return x[key] / y[key];
      });
    const rps = ratios("module", "sdk", "calls_per_s");
    const cpu = ratios("module", "sdk", "cpu_us_per_call");
    met &&= median(rps) >= 1 && median(cpu) <= 1;
    console.log(
      `| ${host} | ${inFlight} | ${per("module", "calls_per_s").toFixed(0)} | ${per("sdk", "calls_per_s").toFixed(0)} | ` +
        `${per("fetch", "calls_per_s").toFixed(0)} | ${per("module", "cpu_us_per_call").toFixed(1)} | ` +
        `${per("sdk", "cpu_us_per_call").toFixed(1)} | ${per("fetch", "cpu_us_per_call").toFixed(1)} | ` +
        `${ratio(rps)} | ${ratio(cpu)} | ${ratio(ratios("module", "fetch", "cpu_us_per_call"))} |`,
    );
  }
}
console.log();
for (const [host, ms] of Object.entries(instantiate)) {
  console.log(`instantiate (${host}): median ${median(ms).toFixed(1)} ms over ${ms.length} fresh processes`);
}
console.log(`goal (module >= 1.0x @clerk/backend's calls/s and <= 1.0x its CPU per call, every host and load): ${met ? "met" : "NOT met"}`);
