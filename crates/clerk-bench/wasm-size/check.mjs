// Runs the size module once, so the bytes measured are known to work:
// builds create and revoke, parses the spec's pending token and its 422.
//   node crates/clerk-bench/wasm-size/check.mjs path/to/clerk_wasm_size.wasm
import fs from 'node:fs';

const { instance } = await WebAssembly.instantiate(fs.readFileSync(process.argv[2]), {});
const x = instance.exports;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function put(text) {
  const bytes = encoder.encode(text);
  const ptr = x.clerk_alloc(bytes.length);
  new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
  return [ptr, bytes.length];
}
function output(n) {
  return decoder.decode(new Uint8Array(x.memory.buffer, x.clerk_output(), Math.abs(n)));
}
function expect(n, ok, needle) {
  const text = output(n);
  if ((n >= 0) !== ok || !text.includes(needle)) {
    console.error(`unexpected output (${n}): ${text}`);
    process.exit(1);
  }
}

const key = put('sk_test_abc');
const base = put('https://api.clerk.com/v1');
expect(x.clerk_build_create(...key, ...base, ...put('user_1')), true,
  'POST https://api.clerk.com/v1/sign_in_tokens\n');
expect(x.clerk_build_revoke(...key, ...base, ...put('sit_1')), true,
  'POST https://api.clerk.com/v1/sign_in_tokens/sit_1/revoke\n');
const pending = '{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"user_1",' +
  '"token":"eyJ.x.y","url":null,"created_at":1638000669544,"updated_at":1638000669544}';
expect(x.clerk_parse_create(200, ...put(pending)), true, 'sit_1 pending');
const missing = '{"errors":[{"message":"is missing","long_message":"user_id must be included.",' +
  '"code":"form_param_missing","meta":{"param_name":"user_id"}}],"clerk_trace_id":"2efb09d4"}';
expect(x.clerk_parse_revoke(422, ...put(missing)), false, 'form_param_missing');
console.log('  node: the module builds and parses both operations');
