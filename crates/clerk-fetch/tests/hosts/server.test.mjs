// clerk-fetch in the server runtimes, Node, Deno and Bun: the Rust module
// (wasm-bindgen --target web, loaded synchronously) calls the host's global
// fetch against the mock Clerk. run-hosts.sh runs this file with each host's
// own test runner (`node --test`, `deno test -A`, `bun test`), which all
// take `node:test`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { once } from "node:events";
import { KEY, PKG, startMock, journal, arm, reset, revokeDirectly, freePort } from "./mock.mjs";

const HOST = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";
const wasm = await import(`${PKG}/clerk_example_wasm_fetch.js`);
wasm.initSync({ module: readFileSync(`${PKG}/clerk_example_wasm_fetch_bg.wasm`) });

let mock;
before(async () => {
  mock = await startMock();
});
after(async () => {
  assert.equal(await mock.stop(), 0, "the mock exits 0 on SIGTERM");
});

const options = (extra = {}) => ({ secretKey: KEY, apiUrl: mock.baseUrl, ...extra });

/** Runs `promise`, expects it to reject, and checks no secret is in the error. */
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error, `an Error, not ${error}`);
    assert.ok(!String(error.message).includes("SENTINEL"), `secret in: ${error.message}`);
    return error;
  }
  assert.fail("expected a rejection");
}

test("create and revoke against the mock, with the state checked there", async () => {
  await reset(mock);
  const token = await wasm.createSignInToken(options(), "user_node");
  assert.equal(token.status, "pending");
  assert.equal(token.userId, "user_node");
  assert.match(token.url, /^https:\/\/accounts\.mock\.clerk\.invalid\/sign-in\?__clerk_ticket=/);
  const revoked = await wasm.revokeSignInToken(options(), token.id);
  assert.equal(revoked.status, "revoked");
  assert.equal(revoked.url, null);

  const seen = await journal(mock);
  assert.deepEqual(
    seen.map((r) => [r.method, r.path, r.status]),
    [
      ["POST", "/v1/sign_in_tokens", 200],
      ["POST", `/v1/sign_in_tokens/${token.id}/revoke`, 200],
    ],
  );
  assert.equal(seen[0].headers["clerk-api-version"], "2026-05-12");
  assert.match(seen[0].headers["user-agent"], /clerk/i);
  // The mock agrees the token is revoked: a second revoke is refused.
  const again = await revokeDirectly(mock, token.id);
  assert.equal(again.status, 400);
  assert.equal(again.body.errors[0].code, "sign_in_token_cannot_be_revoked_code");
});

test("one SignInTokens client serves many calls, in flight together", async () => {
  await reset(mock);
  const tokens = new wasm.SignInTokens(options());
  const created = await Promise.all(
    Array.from({ length: 8 }, (_, i) => tokens.createSignInToken(`user_class_${i}`)),
  );
  assert.deepEqual(created.map((t) => t.userId), Array.from({ length: 8 }, (_, i) => `user_class_${i}`));
  assert.equal(new Set(created.map((t) => t.id)).size, 8);
  const revoked = await Promise.all(created.map((t) => tokens.revokeSignInToken(t.id)));
  assert.deepEqual(revoked.map((t) => t.status), Array(8).fill("revoked"));
  assert.equal((await journal(mock)).length, 16);
  // Strings outside ASCII (two- and four-byte UTF-8, a surrogate pair in
  // JavaScript) come back whole: the token's strings cross as one and are cut
  // at UTF-16 offsets.
  const wide = "user_caf\u00e9_\u{1F600}_end";
  const token = await tokens.createSignInToken(wide);
  assert.equal(token.userId, wide);
  assert.equal(token.status, "pending");
  assert.match(token.url, /^https:\/\/accounts\.mock\.clerk\.invalid\//);
  assert.equal((await tokens.revokeSignInToken(token.id)).userId, wide);
  // Bad options throw at construction, typed.
  assert.throws(() => new wasm.SignInTokens({ apiUrl: mock.baseUrl }), (error) => {
    assert.equal(error.kind, "config");
    assert.match(error.message, /no secretKey/);
    return true;
  });
});

test("clients with their own url and key, alternating in one module, each send their own", async () => {
  // The module sends a request's url, method and headers to JavaScript only
  // when they differ from its last request's: two clients taking turns must
  // each still reach their own server with their own key.
  await reset(mock);
  const seen = [];
  const other = createServer((request, response) => {
    seen.push([request.method, request.url, request.headers.authorization]);
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ errors: [{ message: "not here", long_message: "not here", code: "other_server" }] }));
  });
  other.listen(0, "127.0.0.1");
  await once(other, "listening");
  const otherKey = "sk_test_SENTINEL_other_server";
  const ours = new wasm.SignInTokens(options());
  const theirs = new wasm.SignInTokens({ secretKey: otherKey, apiUrl: `http://127.0.0.1:${other.address().port}/v1` });
  const ids = [];
  try {
    for (let i = 0; i < 3; i++) {
      const token = await ours.createSignInToken(`user_turn_${i}`);
      assert.equal(token.userId, `user_turn_${i}`);
      ids.push(token.id);
      const error = await rejection(theirs.createSignInToken(`user_turn_${i}`));
      assert.equal(error.code, "other_server");
      assert.equal((await rejection(theirs.revokeSignInToken(token.id))).code, "other_server");
      assert.equal((await ours.revokeSignInToken(token.id)).status, "revoked");
    }
  } finally {
    other.close();
  }
  assert.deepEqual(
    seen,
    ids.flatMap((id) => [
      ["POST", "/v1/sign_in_tokens", `Bearer ${otherKey}`],
      ["POST", `/v1/sign_in_tokens/${id}/revoke`, `Bearer ${otherKey}`],
    ]),
  );
  assert.deepEqual(
    (await journal(mock)).map((r) => [r.path, r.status]),
    ids.flatMap((id) => [
      ["/v1/sign_in_tokens", 200],
      [`/v1/sign_in_tokens/${id}/revoke`, 200],
    ]),
  );
});

test("a revoke whose answer was cut off is done by that attempt", async () => {
  await reset(mock);
  const tokens = new wasm.SignInTokens(options({ maxRetries: 2 }));
  const token = await tokens.createSignInToken("user_cut");
  // The mock revokes, then cuts the body off: the retry hears "already revoked".
  await arm(mock, [{ drop: true, operation: "revoke", times: 1 }]);
  const revoked = await tokens.revokeSignInToken(token.id);
  assert.deepEqual(revoked, { id: token.id, status: "revoked", userId: null, url: null, byEarlierAttempt: true });
});

test("Clerk's errors come back typed, with status and code", async () => {
  const error = await rejection(wasm.revokeSignInToken(options(), "sit_unknown"));
  assert.equal(error.kind, "api");
  assert.equal(error.status, 404);
  assert.equal(error.code, "resource_not_found");
});

test("retries wait on setTimeout: two 503s, then success", async () => {
  await reset(mock);
  await arm(mock, [{ status: 503, times: 2, operation: "revoke" }]);
  const token = await wasm.createSignInToken(options(), "user_retry");
  const revoked = await wasm.revokeSignInToken(options({ maxRetries: 2 }), token.id);
  assert.equal(revoked.status, "revoked");
  const revokes = (await journal(mock)).filter((r) => r.operation === "revoke");
  assert.deepEqual(revokes.map((r) => r.status), [503, 503, 200]);
});

test("a 429 with Retry-After is waited out", async () => {
  await reset(mock);
  await arm(mock, [{ status: 429, retry_after: 1, times: 1, operation: "create" }]);
  const token = await wasm.createSignInToken(options({ maxRetries: 1 }), "user_429");
  assert.equal(token.status, "pending");
  // The client waited for the Retry-After second before the second attempt.
  const creates = (await journal(mock)).filter((r) => r.operation === "create");
  assert.deepEqual(creates.map((r) => r.status), [429, 200]);
  // A lower bound only: the second attempt cannot come before Retry-After.
  assert.ok(creates[1].received_at - creates[0].received_at >= 900, "waited out Retry-After");
});

test("the deadline aborts a slow answer", async () => {
  await reset(mock);
  await arm(mock, [{ delay_ms: 1500, times: 1 }]);
  const error = await rejection(
    wasm.createSignInToken(options({ timeoutMs: 200, maxRetries: 0 }), "user_slow"),
  );
  assert.equal(error.kind, "transport");
  assert.equal(error.transportKind, "timeout");
  assert.match(error.message, /within 200 ms/);
});

test("deadlines of calls in flight together fire each on time; an aborted signal is not used again", async () => {
  await reset(mock);
  await arm(mock, [{ delay_ms: 1500, times: 2 }]);
  const started = performance.now();
  const elapsed = (promise) => rejection(promise).then((error) => ({ error, ms: performance.now() - started }));
  // The later deadline first: the earlier one must bring the shared timer forward.
  const late = elapsed(wasm.createSignInToken(options({ timeoutMs: 700, maxRetries: 0 }), "user_late"));
  const early = elapsed(wasm.createSignInToken(options({ timeoutMs: 150, maxRetries: 0 }), "user_early"));
  const [a, b] = await Promise.all([early, late]);
  for (const { error } of [a, b]) assert.equal(error.transportKind, "timeout");
  assert.match(a.error.message, /within 150 ms/);
  assert.ok(a.ms < 600, `the 150 ms deadline fired after ${a.ms} ms`);
  assert.ok(b.ms >= 650, `the 700 ms deadline fired after ${b.ms} ms`);
  // The controllers that aborted are not handed to the next requests.
  const tokens = await Promise.all([1, 2, 3].map((n) => wasm.createSignInToken(options(), `user_after_${n}`)));
  for (const token of tokens) assert.match(token.id, /^sit_/);
});

test("a deadline the shared timer cannot be armed for (no setTimeout): not sent, and later calls fine", async () => {
  await reset(mock);
  const saved = globalThis.setTimeout;
  let error;
  try {
    globalThis.setTimeout = undefined;
    // 1 ms is earlier than any timer already armed: it must arm one.
    error = await rejection(wasm.createSignInToken(options({ timeoutMs: 1, maxRetries: 0 }), "user_no_timer"));
  } finally {
    globalThis.setTimeout = saved;
  }
  assert.equal(error.kind, "transport");
  // What the host threw, known not sent (kind `connect`, so it may be retried).
  assert.equal(error.transportKind, "connect");
  assert.match(error.message, /before the request was sent/);
  assert.equal((await journal(mock)).length, 0);
  const token = await wasm.createSignInToken(options({ timeoutMs: 2000 }), "user_timer_back");
  assert.match(token.id, /^sit_/);
});

test("the body cap refuses a large answer", async () => {
  const big = createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ padding: "x".repeat(64 * 1024) }));
  });
  big.listen(0, "127.0.0.1");
  await once(big, "listening");
  try {
    const apiUrl = `http://127.0.0.1:${big.address().port}/v1`;
    const error = await rejection(
      wasm.createSignInToken(options({ apiUrl, maxBodyBytes: 4096, maxRetries: 0 }), "user_big"),
    );
    assert.equal(error.transportKind, "body_too_large");
    // Chunked, so the cap is found while reading, not from Content-Length.
    const streamed = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      for (let i = 0; i < 16; i++) res.write("x".repeat(1024));
      res.end();
    });
    streamed.listen(0, "127.0.0.1");
    await once(streamed, "listening");
    const url2 = `http://127.0.0.1:${streamed.address().port}/v1`;
    const error2 = await rejection(
      wasm.createSignInToken(options({ apiUrl: url2, maxBodyBytes: 4096, maxRetries: 0 }), "user_big"),
    );
    assert.equal(error2.transportKind, "body_too_large");
    streamed.close();
  } finally {
    big.close();
  }
});

test("a refused connection keeps the host's words and is known not sent", async () => {
  const port = await freePort();
  const error = await rejection(
    wasm.createSignInToken(options({ apiUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }), "user_x"),
  );
  assert.equal(error.transportKind, "connect");
  assert.match(error.message, /before the request was sent/);
  // Node and Bun name the errno; Deno says it in words.
  assert.match(error.message, HOST === "deno" ? /Connection refused/ : /ECONNREFUSED/);
});

test("plain http to a remote host is refused before fetch", async () => {
  const error = await rejection(
    wasm.createSignInToken(options({ apiUrl: "http://api.clerk.example/v1" }), "user_x"),
  );
  assert.equal(error.transportKind, "insecure_scheme");
});

test("a redirect is not followed", async () => {
  let followed = false;
  const target = createServer((req, res) => {
    followed = true;
    res.end("{}");
  });
  target.listen(0, "127.0.0.1");
  await once(target, "listening");
  const redirecting = createServer((req, res) => {
    res.writeHead(307, { location: `http://127.0.0.1:${target.address().port}/v1/sign_in_tokens` });
    res.end();
  });
  redirecting.listen(0, "127.0.0.1");
  await once(redirecting, "listening");
  try {
    const apiUrl = `http://127.0.0.1:${redirecting.address().port}/v1`;
    const error = await rejection(wasm.createSignInToken(options({ apiUrl, maxRetries: 0 }), "user_x"));
    assert.equal(error.status, 307);
    assert.equal(followed, false);
  } finally {
    target.close();
    redirecting.close();
  }
});
