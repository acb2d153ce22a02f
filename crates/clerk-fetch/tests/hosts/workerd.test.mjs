// clerk-fetch inside Cloudflare's runtime: workerd (npm `workerd`) serves a
// module Worker built from Rust (examples/wasm-fetch) that mints and revokes
// sign-in tokens through the mock Clerk on loopback.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { once } from "node:events";
import { KEY, PKG, startMock, journal, revokeDirectly, freePort } from "./mock.mjs";

const WORKERD = process.env.WORKERD;
const WORKER_JS = process.env.WORKER_JS; // examples/wasm-fetch/worker.mjs

let mock;
let workerd;
let workerOrigin;
let dir;

/** Waits until `url` answers, up to 30 s (workerd compiles the module first). */
async function waitForServer(url) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (error) {
      if (workerd.exitCode !== null) throw new Error(`workerd exited (${workerd.exitCode})`);
      if (Date.now() > deadline) throw new Error(`workerd did not answer in 30 s: ${error}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

before(async () => {
  if (!WORKERD || !WORKER_JS) throw new Error("WORKERD and WORKER_JS must be set");
  mock = await startMock();
  dir = mkdtempSync(join(tmpdir(), "clerk-workerd-"));
  for (const name of ["clerk_example_wasm_fetch.js", "clerk_example_wasm_fetch_bg.wasm"]) {
    copyFileSync(join(PKG, name), join(dir, name));
  }
  copyFileSync(WORKER_JS, join(dir, "worker.mjs"));
  // wasm-bindgen's snippets (clerk-fetch's JavaScript half): modules the
  // glue imports by relative path, so each keeps its path in the Worker.
  const snippets = readdirSync(join(PKG, "snippets"), { recursive: true })
    .filter((path) => path.endsWith(".js"))
    .map((path) => join("snippets", path));
  for (const path of snippets) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    copyFileSync(join(PKG, path), join(dir, path));
  }
  const snippetModules = snippets
    .map((path) => `    (name = "${path}", esModule = embed "${path}"),\n`)
    .join("");
  const port = await freePort();
  // The default `internet` service refuses loopback; this one allows it, so
  // the Worker's fetch reaches the mock on 127.0.0.1.
  writeFileSync(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "clerk_example_wasm_fetch.js", esModule = embed "clerk_example_wasm_fetch.js"),
    (name = "clerk_example_wasm_fetch_bg.wasm", wasm = embed "clerk_example_wasm_fetch_bg.wasm"),
${snippetModules}  ],
  compatibilityDate = "2024-09-23",
  bindings = [
    (name = "CLERK_SECRET_KEY", text = "${KEY}"),
    (name = "CLERK_API_URL", text = "${mock.baseUrl}"),
  ],
);
`,
  );
  workerd = spawn(WORKERD, ["serve", join(dir, "config.capnp")], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  workerOrigin = `http://127.0.0.1:${port}`;
  await waitForServer(`${workerOrigin}/health`);
});

after(async () => {
  if (workerd && workerd.exitCode === null) {
    workerd.kill("SIGTERM");
    await once(workerd, "exit");
  }
  if (mock) assert.equal(await mock.stop(), 0);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("GET /sign-in?user_id= mints a token and redirects to its url", async () => {
  const response = await fetch(`${workerOrigin}/sign-in?user_id=user_workerd`, { redirect: "manual" });
  const body = await response.text();
  assert.equal(response.status, 302, body);
  const location = response.headers.get("location");
  assert.match(location, /^https:\/\/accounts\.mock\.clerk\.invalid\/sign-in\?__clerk_ticket=/);
  assert.equal(response.headers.get("cache-control"), "no-store");

  const creates = (await journal(mock)).filter((r) => r.operation === "create");
  const last = creates.at(-1);
  assert.equal(last.status, 200);
  assert.equal(JSON.parse(last.body).user_id, "user_workerd");
  assert.equal(last.headers.authorization, "Bearer [redacted]");
});

test("POST /revoke?id= revokes a token the Worker minted, and the mock agrees", async () => {
  const minted = await fetch(`${workerOrigin}/sign-in?user_id=user_revoke`, { redirect: "manual" });
  assert.equal(minted.status, 302);
  // The mock's ticket is a JWT whose payload names the token (`sid`).
  const ticket = new URL(minted.headers.get("location")).searchParams.get("__clerk_ticket");
  const { sid: id } = JSON.parse(Buffer.from(ticket.split(".")[1], "base64url").toString());
  assert.match(id, /^sit_/);

  const response = await fetch(`${workerOrigin}/revoke?id=${id}`, { method: "POST" });
  const body = await response.text();
  assert.equal(response.status, 200, body);
  assert.equal(body, `${id} revoked`);
  const revokes = (await journal(mock)).filter((r) => r.operation === "revoke");
  assert.deepEqual(revokes.map((r) => [r.path, r.status]), [[`/v1/sign_in_tokens/${id}/revoke`, 200]]);
  const again = await revokeDirectly(mock, id);
  assert.equal(again.status, 400);
  assert.equal(again.body.errors[0].code, "sign_in_token_cannot_be_revoked_code");
});

test("Clerk's 404 for an unknown token passes through, without the key", async () => {
  const response = await fetch(`${workerOrigin}/revoke?id=sit_nope`, { method: "POST" });
  const body = await response.text();
  assert.equal(response.status, 404, body);
  assert.match(body, /resource_not_found/);
  assert.ok(!body.includes("SENTINEL"), body);
});

test("a request without user_id is refused by the Worker itself", async () => {
  const before = (await journal(mock)).length;
  const response = await fetch(`${workerOrigin}/sign-in`, { redirect: "manual" });
  assert.equal(response.status, 400);
  assert.equal((await journal(mock)).length, before, "nothing reached the mock");
});
