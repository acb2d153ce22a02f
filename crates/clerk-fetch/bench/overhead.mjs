// What each contender costs around fetch itself: the global fetch replaced
// by one that answers at once with a recorded mock answer, so the figure is
// the contender's own CPU per call (building the request, reading the
// answer, the deadline and body cap, promises, WebAssembly crossings).
//   BENCH_PKG=target/wasm-fetch/pkg node|bun|deno run -A bench/overhead.mjs
// To compare builds of the module, give several package directories:
// BENCH_PKG=/tmp/before,/tmp/after runs both in one process (a contender
// each, named by its directory), in an order that rotates every round, and
// prints each contender's median and its median ratio to the first one's
// figure of the same round (the machine's drift cancels in the ratio).
// BENCH_CALLS (20000), BENCH_ROUNDS (5), BENCH_WARMUP (20000 calls each
// before the first round: JavaScriptCore compiles the module's hot
// functions in its optimizing tier only after thousands of calls),
// BENCH_IN_FLIGHT (1), BENCH_ONLY (one contender). With BENCH_API set (a
// running mock's `.../v1`) the host's real fetch goes there instead: the
// same comparison of builds, end to end (pin the mock and the host to
// different cores).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { isToken, run as runLanes } from "./lanes.mjs";

const PKGS = (process.env.BENCH_PKG ?? "").split(",").filter(Boolean).map((pkg) => resolve(pkg));
const N = Number(process.env.BENCH_CALLS ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 1);
const KEY = "sk_test_bench_key_never_shown";
const API = process.env.BENCH_API ?? "http://127.0.0.1:9/v1";
const body = JSON.stringify({
  object: "sign_in_token", id: "sit_2abcdefghijklmnopqrstuvwxyz", status: "pending",
  user_id: "user_bench", token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyX2JlbmNoIn0.c2lnbmF0dXJl",
  url: "https://example.accounts.dev/sign-in#__clerk_ticket=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyX2JlbmNoIn0.c2lnbmF0dXJl",
  created_at: 1765000000000, updated_at: 1765000000000,
});
const headers = { "content-type": "application/json", "content-length": String(body.length), "clerk-trace-id": "trace_bench" };
if (!process.env.BENCH_API) globalThis.fetch = () => Promise.resolve(new Response(body, { status: 200, headers }));
// The SDK keeps the global fetch it finds when it is loaded: load it now.
const { createClerkClient } = await import("@clerk/backend");
const clerk = createClerkClient({ secretKey: KEY, apiUrl: API.replace(/\/v1$/, "") });
const contenders = {};
for (const pkg of PKGS) {
  const name = PKGS.length === 1 ? "module" : pkg.split("/").pop();
  if (name in contenders) throw new Error(`two builds named ${name}: give them directories of their own names`);
  const glue = await import(pathToFileURL(`${pkg}/clerk_example_wasm_fetch.js`).href);
  glue.initSync({ module: readFileSync(`${pkg}/clerk_example_wasm_fetch_bg.wasm`) });
  const tokens = new glue.SignInTokens({ secretKey: KEY, apiUrl: API });
  contenders[name] = () => tokens.createSignInToken("user_bench");
}
Object.assign(contenders, {
  sdk: () => clerk.signInTokens.createSignInToken({ userId: "user_bench" }),
  fetch: async () => {
    const r = await fetch(`${API}/sign_in_tokens`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: JSON.stringify({ user_id: "user_bench" }) });
    return JSON.parse(await r.text());
  },
});
const only = process.env.BENCH_ONLY;
if (only) for (const name in contenders) if (name !== only) delete contenders[name];
const run = (call, calls) => runLanes(call, calls, IN_FLIGHT, isToken);
const names = Object.keys(contenders);
for (const name of names) await run(contenders[name], WARMUP);
const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(round + i) % names.length];
    const cpu = process.cpuUsage();
    await run(contenders[name], N);
    const used = process.cpuUsage(cpu);
    (results[name] ??= []).push((used.user + used.system) / N);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const first = results[names[0]];
console.log(names.map((name) => {
  const ratio = median(results[name].map((v, round) => v / first[round]));
  return `${name} ${median(results[name]).toFixed(1)} µs (${ratio.toFixed(3)}x)`;
}).join(", "));
process.exit(0);
