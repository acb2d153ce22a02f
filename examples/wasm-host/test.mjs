// End-to-end test of the wasm module against a running mock Clerk.
//
//   node examples/wasm-host/test.mjs <base_url> [module.wasm]
//
// <base_url> is the mock's API root, e.g. http://127.0.0.1:PORT/v1. Exits
// non-zero on the first failed check. Every error checked here was built in
// Rust from the typed `clerk_core::Error` and reported through the host.

import assert from 'node:assert/strict';
import net from 'node:net';
import { ClerkError, DEFAULT_WASM, loadClerkWasm } from './host.mjs';

const [baseUrl, wasmPath] = process.argv.slice(2);
if (!baseUrl) {
  console.error('usage: node test.mjs <base_url> [module.wasm]');
  process.exit(2);
}

// A hard deadline, whatever hangs.
setTimeout(() => {
  console.error('FAIL: test.mjs timed out after 60 s');
  process.exit(1);
}, 60_000).unref();

const SECRET_KEY = 'sk_test_wasm_host_e2e';
const wasmBytes = await WebAssembly.compile(
  await (await import('node:fs/promises')).readFile(wasmPath ?? DEFAULT_WASM),
);

// A fetch that remembers what was asked of it.
function recordingFetch() {
  const seen = [];
  const wrapped = (url, init) => {
    seen.push({ url: String(url), method: init.method, headers: new Headers(init.headers), body: init.body });
    return fetch(url, init);
  };
  return { fetch: wrapped, seen };
}

async function rejection(promise) {
  try {
    const value = await promise;
    assert.fail(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (e) {
    if (!(e instanceof ClerkError)) throw e;
    return e;
  }
}

let checks = 0;
async function check(name, fn) {
  const started = performance.now();
  try {
    await fn();
  } catch (e) {
    console.error(`FAIL: ${name}`);
    console.error(e);
    process.exit(1);
  }
  checks++;
  console.log(`ok ${checks} - ${name} (${Math.round(performance.now() - started)} ms)`);
}

const recorder = recordingFetch();
const clerk = await loadClerkWasm(wasmBytes, {
  secretKey: SECRET_KEY,
  baseUrl,
  fetch: recorder.fetch,
  timeoutMs: 5_000,
});
assert.equal(clerk.configured.base_url, baseUrl);

let token;
await check('create: a pending sit_ token with its secret token and url', async () => {
  token = await clerk.create('user_wasm_e2e', { expiresInSeconds: 600 });
  assert.equal(token.object, 'sign_in_token');
  assert.match(token.id, /^sit_/);
  assert.equal(token.status, 'pending');
  assert.equal(token.user_id, 'user_wasm_e2e');
  assert.equal(typeof token.token, 'string');
  assert.ok(token.token.length > 0);
  assert.equal(typeof token.url, 'string');
  assert.ok(Number.isInteger(token.created_at) && token.created_at > 0);
});

await check('the module built the request: POST, URI, Authorization, JSON body', async () => {
  const sent = recorder.seen.at(-1);
  assert.equal(sent.method, 'POST');
  assert.equal(sent.url, `${baseUrl}/sign_in_tokens`);
  assert.equal(sent.headers.get('authorization'), `Bearer ${SECRET_KEY}`);
  assert.equal(sent.headers.get('content-type'), 'application/json');
  assert.match(sent.headers.get('user-agent'), /wasm-host/);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(sent.body)), {
    user_id: 'user_wasm_e2e',
    expires_in_seconds: 600,
  });
});

await check('revoke: status revoked, token absent', async () => {
  const revoked = await clerk.revoke(token.id);
  assert.equal(revoked.id, token.id);
  assert.equal(revoked.status, 'revoked');
  assert.equal(revoked.token, null);
  assert.ok(revoked.updated_at >= token.updated_at);
  assert.equal(recorder.seen.at(-1).url, `${baseUrl}/sign_in_tokens/${token.id}/revoke`);
});

await check('revoke again: typed 400 sign_in_token_cannot_be_revoked_code', async () => {
  const e = await rejection(clerk.revoke(token.id));
  assert.equal(e.kind, 'api');
  assert.equal(e.status, 400);
  assert.equal(e.code, 'sign_in_token_cannot_be_revoked_code');
  assert.equal(e.errors[0].code, 'sign_in_token_cannot_be_revoked_code');
  assert.equal(typeof e.traceId, 'string');
  assert.equal(e.retryable, false);
  console.log(`    reported: ${e.message}`);
});

await check('revoke an unknown id: typed 404 resource_not_found', async () => {
  const e = await rejection(clerk.revoke('sit_does_not_exist'));
  assert.equal(e.kind, 'api');
  assert.equal(e.status, 404);
  assert.deepEqual(e.codes, ['resource_not_found']);
  assert.equal(typeof e.traceId, 'string');
  console.log(`    reported: ${e.message}`);
});

await check('invalid input is refused in the module, nothing is sent', async () => {
  const before = recorder.seen.length;
  const e = await rejection(clerk.create('user_wasm_e2e', { expiresInSeconds: 0 }));
  assert.equal(e.kind, 'invalid_input');
  assert.equal(e.field, 'expires_in_seconds');
  assert.equal(e.status, null);
  assert.equal(recorder.seen.length, before);
});

await check('operations run side by side in one instance', async () => {
  const users = ['user_a', 'user_b', 'user_c', 'user_d'];
  const created = await Promise.all(users.map((u) => clerk.create(u)));
  assert.deepEqual(created.map((t) => t.user_id), users);
  assert.equal(new Set(created.map((t) => t.id)).size, users.length);
  const revoked = await Promise.all(created.map((t) => clerk.revoke(t.id)));
  assert.ok(revoked.every((t) => t.status === 'revoked'));
  assert.equal(clerk.pendingCalls(), 0);
});

await check('a key the mock refuses: typed 401 authorization_invalid', async () => {
  const other = await loadClerkWasm(wasmBytes, { secretKey: 'pk_test_not_a_secret', baseUrl });
  const e = await rejection(other.create('user_wasm_e2e'));
  assert.equal(e.kind, 'api');
  assert.equal(e.status, 401);
  assert.equal(e.code, 'authorization_invalid');
});

await check('a malformed key never leaves the module (configure fails)', async () => {
  const e = await rejection(loadClerkWasm(wasmBytes, { secretKey: 'sk_test_ spaced', baseUrl }));
  assert.equal(e.kind, 'bad_config');
  assert.ok(!e.message.includes('spaced'));
});

await check('refused connection: retried over the host timer, then a typed transport error', async () => {
  const port = await new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
  const refused = recordingFetch();
  const other = await loadClerkWasm(wasmBytes, {
    secretKey: SECRET_KEY,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    maxRetries: 2,
    fetch: refused.fetch,
  });
  const e = await rejection(other.create('user_wasm_e2e'));
  assert.equal(e.kind, 'transport');
  assert.equal(e.notSent, true);
  assert.equal(e.status, null);
  assert.match(e.message, /ECONNREFUSED/);
  assert.equal(refused.seen.length, 3, 'one attempt and two retries');
  assert.deepEqual(other.stats, { sends: 3, sleeps: 2 });
  assert.equal(other.pendingCalls(), 0);
});

assert.equal(clerk.pendingCalls(), 0);
console.log(`all ${checks} checks passed`);
