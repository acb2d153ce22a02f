// One host's side of the clerk-fetch benchmark (bench/run.sh starts it):
//
//   node bench.mjs | deno run -A bench.mjs | bun bench.mjs
//
// with BENCH_HOST (node, deno, bun), BENCH_API (the mock's API url, ending in
// /v1), BENCH_PKG (examples/wasm-fetch built by tests/size.sh), BENCH_ROUNDS,
// BENCH_CALLS (calls per contender per round, 1 in flight),
// BENCH_CALLS_64 (calls per contender per round, 64 in flight) and
// BENCH_WARMUP (calls per contender before the first round, default 20000).
//
// Three contenders create sign-in tokens against the same mock, in one
// process, in alternating rounds (each round starts with the next one):
//   module: examples/wasm-fetch's SignInTokens client (clerk-fetch with every
//           default on: deadline, body cap, no redirects, retries);
//   sdk:    @clerk/backend's clerkClient.signInTokens.createSignInToken;
//   fetch:  plain fetch + JSON.parse, nothing else.
// Each call's answer is checked (an `sit_` id), so no contender is timed
// failing. Prints one JSON line per contender, load and round: calls/s and
// the process's CPU time per call (process.cpuUsage: user + system, every
// thread of the host).
import { readFileSync } from "node:fs";
import process from "node:process";
import { createClerkClient } from "@clerk/backend";
import { run } from "./lanes.mjs";

const env = process.env;
const HOST = env.BENCH_HOST ?? "node";
const API = env.BENCH_API;
const PKG = env.BENCH_PKG;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 5);
const CALLS_1 = Number(env.BENCH_CALLS ?? 2000);
const CALLS_64 = Number(env.BENCH_CALLS_64 ?? 20000);
if (!API || !PKG) throw new Error("run through bench/run.sh: BENCH_API and BENCH_PKG must be set");

const KEY = "sk_test_bench_key_never_shown";
const bytes = readFileSync(`${PKG}/clerk_example_wasm_fetch_bg.wasm`);

// The module's instantiate time: compile and instantiate, in a fresh process
// (run.sh starts BENCH_INSTANTIATE of them with BENCH_MODE=instantiate).
const glue = await import(`${PKG}/clerk_example_wasm_fetch.js`);
const started = performance.now();
glue.initSync({ module: bytes });
const instantiateMs = performance.now() - started;
if (env.BENCH_MODE === "instantiate") {
  console.log(JSON.stringify({ host: HOST, instantiate_ms: instantiateMs }));
  process.exit(0);
}

// Under valgrind (instructions.sh) 64 calls in flight take longer than the
// default deadlines (10 s an attempt, 30 s a call): BENCH_TIMEOUT_MS
// lengthens both (they are still armed and watched).
const tokens = new glue.SignInTokens({
  secretKey: KEY,
  apiUrl: API,
  ...(env.BENCH_TIMEOUT_MS
    ? { timeoutMs: Number(env.BENCH_TIMEOUT_MS), callTimeoutMs: Number(env.BENCH_TIMEOUT_MS) }
    : {}),
});
const clerk = createClerkClient({ secretKey: KEY, apiUrl: API.replace(/\/v1$/, "") });
const createUrl = `${API}/sign_in_tokens`;

let n = 0;
const userId = () => `user_bench_${n++ % 1000}`;
const check = (token) => {
  if (typeof token?.id !== "string" || !token.id.startsWith("sit_")) {
    throw new Error(`not a sign-in token: ${JSON.stringify(token)}`);
  }
};

const contenders = {
  module: async () => check(await tokens.createSignInToken(userId())),
  sdk: async () => check(await clerk.signInTokens.createSignInToken({ userId: userId() })),
  fetch: async () => {
    const response = await fetch(createUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ user_id: userId() }),
    });
    const body = JSON.parse(await response.text());
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    check(body);
  },
};
const names = Object.keys(contenders);

/** One timed batch: calls/s and CPU µs per call. */
async function measure(call, calls, inFlight) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(call, calls, inFlight);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { calls_per_s: calls / seconds, cpu_us_per_call: (used.user + used.system) / calls };
}

// For instructions.sh: BENCH_MODE=calls runs BENCH_WARMUP calls and then
// BENCH_CALLS calls of the one contender BENCH_CONTENDER, BENCH_IN_FLIGHT at a
// time, and exits; callgrind counts the process's instructions.
if (env.BENCH_MODE === "calls") {
  const call = contenders[env.BENCH_CONTENDER];
  if (!call) throw new Error(`BENCH_CONTENDER must be one of ${names.join(", ")}`);
  const inFlight = Number(env.BENCH_IN_FLIGHT ?? 1);
  await run(call, Number(env.BENCH_WARMUP ?? 1000), inFlight);
  await run(call, CALLS_1, inFlight);
  process.exit(0);
}

// Warm-up: each contender first makes WARMUP calls, one at a time, so the
// rounds time the steady state a long-running service sees. The module's
// hot functions are large, and the hosts compile them again in their
// optimizing tier only once they are hot: Bun (JavaScriptCore) was still
// doing so on a helper thread 10,000 calls in, Node and Deno (V8) earlier.
// The cold start is instantiate_ms, measured on its own.
const WARMUP = Number(env.BENCH_WARMUP ?? 20000);
for (const name of names) await run(contenders[name], WARMUP, 1);
for (const [inFlight, calls] of [[1, CALLS_1], [64, CALLS_64]]) {
  // Warm up each contender at this load (connection pool, the mock's maps).
  for (const name of names) await run(contenders[name], Math.min(calls, 500), inFlight);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      const result = await measure(contenders[name], calls, inFlight);
      console.log(JSON.stringify({ host: HOST, in_flight: inFlight, round, contender: name, calls, ...result }));
    }
  }
}
process.exit(0);
