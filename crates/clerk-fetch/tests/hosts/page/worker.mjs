// A dedicated web worker: no `document`, so clerk-fetch sends without any
// opt-in. Creates a token for the user it is given, then revokes it.
import init, { createSignInToken, revokeSignInToken } from "/pkg/clerk_example_wasm_fetch.js";

self.onmessage = async ({ data: { apiUrl, secretKey, userId } }) => {
  try {
    await init();
    const options = { apiUrl, secretKey, maxRetries: 0 };
    const created = await createSignInToken(options, userId);
    const revoked = await revokeSignInToken(options, created.id);
    self.postMessage({ ok: true, id: created.id, created: created.status, revoked: revoked.status });
  } catch (error) {
    self.postMessage({ ok: false, message: error.message, kind: error.kind, transportKind: error.transportKind });
  }
};
