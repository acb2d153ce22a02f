// Shared by the host tests: the mock Clerk (`clerk-sign-in-tokens
// mock-server`) as a child process, its admin interface, and the paths that
// run-hosts.sh hands over in the environment.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { once } from "node:events";

export const CLI = process.env.CLERK_CLI;
export const PKG = process.env.WASM_PKG; // wasm-bindgen --target web output
export const KEY = "sk_test_SENTINEL_fetch_hosts_never_shown";

if (!CLI || !PKG) {
  throw new Error("run through tests/run-hosts.sh: CLERK_CLI and WASM_PKG must be set");
}

/** Starts the mock on 127.0.0.1 with `args`; resolves to { origin, baseUrl, stop }. */
export async function startMock(args = []) {
  const child = spawn(CLI, ["mock-server", "--port", "0", "--rate-limit", "0", "--shutdown-grace-ms", "500", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  let timer;
  const first = await Promise.race([
    once(lines, "line").then(([line]) => line),
    once(child, "exit").then(([code]) => {
      throw new Error(`mock-server exited early (${code})`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("mock-server: no first line in 10 s")), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
  if (!match) throw new Error(`mock-server's first line: ${first}`);
  const origin = match[1];
  return {
    origin,
    baseUrl: `${origin}/v1`,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      return code;
    },
  };
}

/** The mock's journal of API requests, oldest first. */
export async function journal(mock) {
  const response = await fetch(`${mock.origin}/__mock/requests`);
  const { requests } = await response.json();
  return requests;
}

/** Arms faults (an array of fault objects) on the mock. */
export async function arm(mock, faults) {
  const response = await fetch(`${mock.origin}/__mock/faults`, {
    method: "POST",
    body: JSON.stringify(faults),
  });
  if (response.status !== 200) throw new Error(`arming faults: ${await response.text()}`);
}

/** Empties the mock: tokens, journal, faults. */
export async function reset(mock) {
  await fetch(`${mock.origin}/__mock/reset`, { method: "POST" });
}

/** Revokes `id` directly (not through the module) and returns status and body. */
export async function revokeDirectly(mock, id) {
  const response = await fetch(`${mock.baseUrl}/sign_in_tokens/${id}/revoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}` },
  });
  return { status: response.status, body: await response.json() };
}

/** A free loopback port (closed again before it is returned). */
export async function freePort() {
  const { createServer } = await import("node:net");
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}
