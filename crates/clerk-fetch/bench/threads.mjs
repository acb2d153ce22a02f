// CPU per call by host thread (Linux: /proc/self/task/*/stat), steady state,
// for the clerk-fetch benchmark's contenders and one more (run.sh --threads
// starts it for each host, with BENCH_API and BENCH_PKG set as for bench.mjs):
//   module:  examples/wasm-fetch's SignInTokens client;
//   sdk:     @clerk/backend's createSignInToken;
//   fetch:   plain fetch + JSON.parse;
//   replica: what the module's exchange does in JavaScript, without
//            WebAssembly: the same fetch options (a reused AbortSignal,
//            redirect "manual", its five headers as pairs), the head string
//            from forEach, the whole body read with arrayBuffer(), one copy
//            of both into a buffer, then JSON.parse. Against fetch it prices
//            the guarantees; against module, the WebAssembly side.
// Each contender makes BENCH_WARMUP calls (default 20000), then
// BENCH_THREADS_ROUNDS alternating rounds (default 6) of BENCH_THREADS_CALLS
// calls (default 10000), BENCH_IN_FLIGHT at a time (default 1). Prints µs per call for each
// contender and thread (threads under 0.5 µs are left out). The clock ticks
// are 10 ms: with the defaults, a figure is good to about 0.2 µs.
import { readFileSync, readdirSync } from "node:fs";
import process from "node:process";
import { createClerkClient } from "@clerk/backend";
import { isToken, run as runLanes } from "./lanes.mjs";

const env = process.env;
const API = env.BENCH_API;
const PKG = env.BENCH_PKG;
if (!API || !PKG) throw new Error("run through bench/run.sh --threads: BENCH_API and BENCH_PKG must be set");
const WARMUP = Number(env.BENCH_WARMUP ?? 20000);
const ROUNDS = Number(env.BENCH_THREADS_ROUNDS ?? 6);
const CALLS = Number(env.BENCH_THREADS_CALLS ?? 10000);
const IN_FLIGHT = Number(env.BENCH_IN_FLIGHT ?? 1);
const KEY = "sk_test_bench_key_never_shown";

const glue = await import(`${PKG}/clerk_example_wasm_fetch.js`);
glue.initSync({ module: readFileSync(`${PKG}/clerk_example_wasm_fetch_bg.wasm`) });
const tokens = new glue.SignInTokens({ secretKey: KEY, apiUrl: API });
const clerk = createClerkClient({ secretKey: KEY, apiUrl: API.replace(/\/v1$/, "") });
const url = `${API}/sign_in_tokens`;
const headers = [
  ["authorization", `Bearer ${KEY}`],
  ["accept", "application/json"],
  ["user-agent", "clerk-bench"],
  ["clerk-api-version", "2026-05-12"],
  ["content-type", "application/json"],
];

// AbortControllers back from finished requests, each used at most 32
// times, as the module's exchange keeps them.
const free = [];
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const buffer = new Uint8Array(1 << 16);
async function replica(userId) {
  const controller = free.pop() ?? new AbortController();
  controller.uses = (controller.uses ?? 0) + 1;
  const init = { method: "POST", headers, redirect: "manual", signal: controller.signal, body: `{"user_id":"${userId}"}` };
  const response = await fetch(url, init);
  let head = "";
  let length = null;
  response.headers.forEach((value, name) => {
    head += name + "\n" + value + "\n";
    if (name === "content-length") length = value;
  });
  if (length === null || !/^\s*\d{1,15}\s*$/.test(length)) throw new Error("no Content-Length");
  const body = new Uint8Array(await response.arrayBuffer());
  const { written } = encoder.encodeInto(head, buffer);
  buffer.set(body, written);
  if (controller.uses < 32) free.push(controller);
  const token = JSON.parse(decoder.decode(buffer.subarray(written, written + body.length)));
  return { id: token.id, status: token.status, userId: token.user_id, url: token.url };
}

const contenders = {
  module: () => tokens.createSignInToken("user_threads"),
  sdk: () => clerk.signInTokens.createSignInToken({ userId: "user_threads" }),
  fetch: async () => {
    const response = await fetch(url, { method: "POST", headers, body: '{"user_id":"user_threads"}' });
    return JSON.parse(await response.text());
  },
  replica: () => replica("user_threads"),
};
const names = Object.keys(contenders);

/** Clock ticks used so far by each thread, by thread id: [name, ticks]. */
function ticks() {
  const out = {};
  for (const id of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${id}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      out[id] = [stat.slice(stat.indexOf("(") + 1, close), Number(fields[11]) + Number(fields[12])];
    } catch {
      // The thread ended while it was read.
    }
  }
  return out;
}

const run = (call, calls) => runLanes(call, calls, IN_FLIGHT, isToken);

for (const name of names) await run(contenders[name], WARMUP);
const total = {};
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(round + i) % names.length];
    const before = ticks();
    await run(contenders[name], CALLS);
    for (const [id, [thread, after]] of Object.entries(ticks())) {
      const used = after - (before[id]?.[1] ?? 0);
      if (used > 0) total[`${name}\t${thread}`] = (total[`${name}\t${thread}`] ?? 0) + used;
    }
  }
}
// A tick is 10 ms (USER_HZ 100): µs per call = ticks * 10,000 / calls.
for (const key of Object.keys(total).sort()) {
  const perCall = (total[key] * 10000) / (CALLS * ROUNDS);
  if (perCall >= 0.5) console.log(`${IN_FLIGHT} in flight\t${key}\t${perCall.toFixed(1)} µs/call`);
}
process.exit(0);
