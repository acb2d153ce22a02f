// A Node.js host for the clerk-wasm-host module. No npm dependencies: it
// needs only WebAssembly, fetch and setTimeout, which Node 18+ has built in.
//
//   import { loadClerkWasm } from './host.mjs';
//   const clerk = await loadClerkWasm(undefined, { secretKey, baseUrl });
//   const token = await clerk.create('user_123', { expiresInSeconds: 600 });
//   await clerk.revoke(token.id);
//
// The module builds every request and judges every response with clerk-core;
// this file only moves bytes (fetch) and keeps time (setTimeout). The ABI is
// described in README.md.

import { readFile } from 'node:fs/promises';

const PENDING = 0;
const DONE = 1;
const FLAG_NOT_SENT = 1;
const FLAG_TIMEOUT = 2;

/** Where `cargo build --release --target wasm32-unknown-unknown` puts the module. */
export const DEFAULT_WASM = new URL(
  './target/wasm32-unknown-unknown/release/clerk_wasm_host.wasm',
  import.meta.url,
);

// Connection-level failures: no byte of the request reached the server.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
// Encodings fetch decodes by itself; the module then sees the decoded body.
const DECODED_BY_FETCH = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'identity']);
// Headers fetch computes itself and refuses (or ignores) from the caller.
const FETCH_OWNS = new Set(['host', 'content-length', 'connection', 'transfer-encoding']);

/** A failed call, as the module reported it from the typed `clerk_core::Error`. */
export class ClerkError extends Error {
  constructor(err) {
    super(err.message);
    this.name = 'ClerkError';
    /** `api`, `unexpected_response`, `decode`, `transport`, `invalid_input`, or the module's own `bad_input`, `bad_config`, `not_configured`. */
    this.kind = err.kind;
    /** The HTTP status, or null when no response came back. */
    this.status = err.status ?? null;
    /** Clerk's error codes, in order. */
    this.codes = err.codes ?? [];
    /** The first code, or null. */
    this.code = this.codes[0] ?? null;
    this.traceId = err.trace_id ?? null;
    this.retryable = Boolean(err.retryable);
    /** Clerk's `errors` entries (`code`, `message`, `long_message`), for `kind: "api"`. */
    this.errors = err.errors ?? [];
    this.notSent = err.not_sent ?? null;
    this.timeout = err.timeout ?? null;
    this.field = err.field ?? null;
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

// Header names and values travel as raw bytes; JavaScript holds them as
// "byte strings" (one char per byte), so the mapping is one to one.
function bytesToByteString(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function byteStringToBytes(s) {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Reads the module's request layout (see README.md, "Request bytes"). */
function decodeRequest(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const u32 = () => {
    if (at + 4 > bytes.length) throw new Error('truncated request');
    const n = view.getUint32(at, true);
    at += 4;
    return n;
  };
  const take = () => {
    const n = u32();
    if (at + n > bytes.length) throw new Error('truncated request');
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  const method = bytesToByteString(take());
  const uri = bytesToByteString(take());
  const headers = [];
  for (let i = u32(); i > 0; i--) headers.push([bytesToByteString(take()), bytesToByteString(take())]);
  const body = take();
  if (at !== bytes.length) throw new Error('trailing bytes after the request body');
  return { method, uri, headers, body };
}

/** Writes the module's response layout (see README.md, "Response bytes"). */
function encodeResponse(status, headers, body) {
  const parts = headers.flatMap(([n, v]) => [byteStringToBytes(n), byteStringToBytes(v)]);
  const size = 12 + parts.reduce((sum, p) => sum + 4 + p.length, 0) + body.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  const u32 = (n) => {
    view.setUint32(at, n, true);
    at += 4;
  };
  const put = (bytes) => {
    u32(bytes.length);
    out.set(bytes, at);
    at += bytes.length;
  };
  u32(status);
  u32(headers.length);
  for (const p of parts) put(p);
  put(body);
  return out;
}

/** The response headers the module should see, as [name, value] pairs. */
function responseHeaders(res) {
  const pairs = [];
  for (const [name, value] of res.headers) {
    if (name !== 'set-cookie') pairs.push([name, value]);
  }
  for (const cookie of res.headers.getSetCookie?.() ?? []) pairs.push(['set-cookie', cookie]);
  // fetch has already undone these encodings: the bytes we pass are decoded,
  // so the headers that describe the wire form would mislead the module.
  const encoding = res.headers.get('content-encoding');
  if (encoding !== null) {
    const codings = encoding.split(',').map((c) => c.trim().toLowerCase());
    if (codings.every((c) => DECODED_BY_FETCH.has(c))) {
      return pairs.filter(([n]) => n !== 'content-encoding' && n !== 'content-length');
    }
  }
  return pairs;
}

async function readCapped(res, maxBytes) {
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new Error(`response body over ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return body;
}

/** Flags and a message for a failed fetch; never quotes headers or bodies. */
function classify(error) {
  const cause = error?.cause;
  const code = cause?.code ?? error?.code;
  let flags = 0;
  if (error?.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT') flags |= FLAG_TIMEOUT;
  if (NOT_SENT_CODES.has(code)) flags |= FLAG_NOT_SENT;
  let message = `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}`;
  if (code) message += ` (${code})`;
  return { flags, message };
}

/**
 * Loads the module and configures its client.
 *
 * @param {string | URL | Uint8Array | WebAssembly.Module | undefined} source the .wasm (default: DEFAULT_WASM)
 * @param {object} options
 * @param {string} options.secretKey the Clerk secret key (stays in the module after `configure`)
 * @param {string} [options.baseUrl] e.g. `http://127.0.0.1:PORT/v1` for a mock
 * @param {number} [options.maxRetries] the module's retry budget (default 2)
 * @param {string} [options.apiVersion] the `Clerk-API-Version` header
 * @param {number} [options.timeoutMs] per-request deadline (default 10 000)
 * @param {number} [options.maxBodyBytes] response body cap (default 1 MiB)
 * @param {typeof fetch} [options.fetch] the fetch to use (default: global fetch)
 */
export async function loadClerkWasm(source = DEFAULT_WASM, options = {}) {
  let module;
  if (source instanceof WebAssembly.Module) module = source;
  else if (source instanceof Uint8Array) module = await WebAssembly.compile(source);
  else module = await WebAssembly.compile(await readFile(source));
  const host = new ClerkWasm(options);
  await host._instantiate(module);
  return host;
}

export class ClerkWasm {
  #exports = null;
  #memory = null;
  #broken = null;
  // The host calls the module made during the current export call.
  #batch = null;
  #fetch;
  #timeoutMs;
  #maxBodyBytes;
  #options;
  /** Counters for tests and monitoring. */
  stats = { sends: 0, sleeps: 0 };

  constructor(options) {
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
  }

  async _instantiate(module) {
    const instance = await WebAssembly.instantiate(module, {
      clerk_host: {
        host_send: (ptr, len, callId) => this.#onSend(ptr, len, callId),
        host_sleep: (millis, callId) => this.#onSleep(millis, callId),
      },
    });
    this.#exports = instance.exports;
    this.#memory = instance.exports.memory;
    const o = this.#options;
    const config = {
      secret_key: o.secretKey,
      base_url: o.baseUrl ?? null,
      max_retries: o.maxRetries ?? null,
      api_version: o.apiVersion ?? null,
      user_agent_suffix: o.userAgentSuffix ?? 'wasm-host',
    };
    this.configured = await this.#drive((p, l) => this.#exports.configure(p, l), utf8.encode(JSON.stringify(config)));
  }

  /** Creates a sign-in token for `userId`; resolves to the token or rejects with a ClerkError. */
  create(userId, { expiresInSeconds, orgId } = {}) {
    const input = { user_id: userId, expires_in_seconds: expiresInSeconds ?? null, org_id: orgId ?? null };
    return this.#drive((p, l) => this.#exports.start_create(p, l), utf8.encode(JSON.stringify(input)));
  }

  /** Revokes sign-in token `id`; resolves to the revoked token or rejects with a ClerkError. */
  revoke(id) {
    return this.#drive((p, l) => this.#exports.start_revoke(p, l), utf8.encode(String(id)));
  }

  /** Host calls the module still waits for (0 when idle). */
  pendingCalls() {
    return this.#enter(() => this.#exports.pending_calls()).value;
  }

  // Runs one export. Whatever host calls the module makes meanwhile are
  // returned with its value; a trap (a panic in the module) breaks the
  // instance for good.
  #enter(fn) {
    if (this.#broken) throw new Error('the wasm instance trapped earlier', { cause: this.#broken });
    const outer = this.#batch;
    this.#batch = [];
    try {
      const value = fn();
      return { value, calls: this.#batch };
    } catch (e) {
      this.#broken = e;
      throw e;
    } finally {
      this.#batch = outer;
    }
  }

  // Copies `bytes` into module memory for the duration of `fn(ptr, len)`.
  #withBytes(bytes, fn) {
    const ex = this.#exports;
    const ptr = ex.clerk_alloc(bytes.length);
    if (ptr === 0) throw new Error('the module is out of memory');
    try {
      // A fresh view each time: memory.grow detaches the old buffer.
      new Uint8Array(this.#memory.buffer, ptr, bytes.length).set(bytes);
      return fn(ptr, bytes.length);
    } finally {
      ex.clerk_free(ptr, bytes.length);
    }
  }

  // Starts an operation and drives it to the end: await the host call it
  // waits on, answer the module, poll; repeat until done.
  async #drive(start, input) {
    const ex = this.#exports;
    const first = this.#enter(() => this.#withBytes(input, start));
    const op = first.value;
    const queue = [...first.calls];
    try {
      for (;;) {
        const polled = this.#enter(() => ex.poll(op));
        queue.push(...polled.calls);
        if (polled.value === DONE) return this.#result(op);
        if (polled.value !== PENDING) throw new Error(`the module does not know operation ${op}`);
        const call = queue.shift();
        if (call === undefined) throw new Error(`operation ${op} waits, but asked the host for nothing`);
        const answer = await call;
        this.#enter(answer);
      }
    } finally {
      if (!this.#broken) ex.release(op);
    }
  }

  #result(op) {
    const ex = this.#exports;
    const ptr = ex.result_ptr(op);
    const len = ex.result_len(op);
    const json = JSON.parse(fromUtf8.decode(new Uint8Array(this.#memory.buffer, ptr, len)));
    if ('ok' in json) return json.ok;
    throw new ClerkError(json.err);
  }

  // Import: the module wants `ptr..ptr+len` sent. Copy it now (the buffer is
  // freed when we return), start fetch, and queue the answer for #drive.
  #onSend(ptr, len, callId) {
    const bytes = new Uint8Array(this.#memory.buffer, ptr, len).slice();
    this.stats.sends++;
    this.#batch.push(this.#send(bytes, callId));
  }

  // Import: the module wants to wait `millis` ms before retrying.
  #onSleep(millis, callId) {
    this.stats.sleeps++;
    const ms = Math.min(millis, 2 ** 31 - 1);
    this.#batch.push(
      new Promise((resolve) => setTimeout(resolve, ms)).then(() => () => this.#exports.wake(callId)),
    );
  }

  // Performs the request; resolves to a function that hands the outcome to
  // the module (run inside #enter, never from inside an import).
  async #send(bytes, callId) {
    const ex = this.#exports;
    const failWith = (flags, message) => () =>
      this.#withBytes(utf8.encode(message), (p, l) => ex.fail(callId, flags, p, l));
    let request;
    try {
      request = decodeRequest(bytes);
    } catch (e) {
      return failWith(FLAG_NOT_SENT, `the host could not read the request: ${e.message}`);
    }
    const headers = new Headers();
    for (const [name, value] of request.headers) {
      if (!FETCH_OWNS.has(name.toLowerCase())) headers.append(name, value);
    }
    let res;
    try {
      res = await this.#fetch(request.uri, {
        method: request.method,
        headers,
        body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
        redirect: 'manual', // the client decides; a transport never follows redirects
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      const { flags, message } = classify(e);
      return failWith(flags, message);
    }
    let body;
    try {
      body = await readCapped(res, this.#maxBodyBytes);
    } catch (e) {
      const { flags, message } = classify(e);
      return failWith(flags & ~FLAG_NOT_SENT, message);
    }
    const encoded = encodeResponse(res.status, responseHeaders(res), body);
    return () => this.#withBytes(encoded, (p, l) => ex.complete(callId, p, l));
  }
}
