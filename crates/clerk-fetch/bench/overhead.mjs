// What each contender costs around fetch itself: the global fetch replaced
// by one that answers at once with a recorded mock answer, so the figure is
// the contender's own CPU per call (building the request, reading the
// answer, the deadline and body cap, promises, WebAssembly crossings).
//   BENCH_PKG=target/wasm-fetch/pkg node|bun|deno run -A bench/overhead.mjs
import { readFileSync } from "node:fs";
import process from "node:process";

const PKG = process.env.BENCH_PKG;
const N = Number(process.env.BENCH_CALLS ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const glue = await import(`${PKG}/clerk_example_wasm_fetch.js`);
glue.initSync({ module: readFileSync(`${PKG}/clerk_example_wasm_fetch_bg.wasm`) });
const KEY = "sk_test_bench_key_never_shown";
const API = "http://127.0.0.1:9/v1";
const body = JSON.stringify({
  object: "sign_in_token", id: "sit_2abcdefghijklmnopqrstuvwxyz", status: "pending",
  user_id: "user_bench", token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyX2JlbmNoIn0.c2lnbmF0dXJl",
  url: "https://example.accounts.dev/sign-in#__clerk_ticket=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyX2JlbmNoIn0.c2lnbmF0dXJl",
  created_at: 1765000000000, updated_at: 1765000000000,
});
const headers = { "content-type": "application/json", "content-length": String(body.length), "clerk-trace-id": "trace_bench" };
globalThis.fetch = (url, init) => Promise.resolve(new Response(body, { status: 200, headers }));
// The SDK keeps the global fetch it finds when it is loaded: load it now.
const { createClerkClient } = await import("@clerk/backend");
const tokens = new glue.SignInTokens({ secretKey: KEY, apiUrl: API });
const clerk = createClerkClient({ secretKey: KEY, apiUrl: API.replace(/\/v1$/, "") });
const contenders = {
  module: () => tokens.createSignInToken("user_bench"),
  sdk: () => clerk.signInTokens.createSignInToken({ userId: "user_bench" }),
  fetch: async () => {
    const r = await fetch(`${API}/sign_in_tokens`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: JSON.stringify({ user_id: "user_bench" }) });
    return JSON.parse(await r.text());
  },
};
const only = process.env.BENCH_ONLY;
if (only) for (const name in contenders) if (name !== only) delete contenders[name];
async function run(call, calls) { for (let i = 0; i < calls; i++) await call(); }
for (const name in contenders) await run(contenders[name], 2000);
const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const name in contenders) {
    const cpu = process.cpuUsage();
    await run(contenders[name], N);
    const used = process.cpuUsage(cpu);
    (results[name] ??= []).push((used.user + used.system) / N);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(Object.entries(results).map(([k, v]) => `${k} ${median(v).toFixed(1)} µs`).join(", "));
process.exit(0);
