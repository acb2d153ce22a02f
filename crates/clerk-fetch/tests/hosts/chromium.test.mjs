// clerk-fetch in headless Chromium, driven through chromedriver (WebDriver):
// a page refuses to send the secret key without the opt-in, and a dedicated
// web worker mints and revokes a token through the mock Clerk, which answers
// CORS for the page's origin (`mock-server --cors`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { KEY, PKG, startMock, journal, freePort } from "./mock.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CHROMEDRIVER = process.env.CHROMEDRIVER ?? "/usr/bin/chromedriver";
const PAGE_DIR = fileURLToPath(new URL("./page/", import.meta.url));

let site; // the static server for the page, the worker and the module
let siteOrigin;
let mock;
let driver; // the chromedriver process
let driverUrl;
let session;
let profile;

const TYPES = { ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm" };

/** Serves page/ at / and the wasm-bindgen output at /pkg/. */
function serveSite() {
  return createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const file = path === "/" ? join(PAGE_DIR, "index.html")
      : path.startsWith("/pkg/") ? join(PKG, normalize(path.slice(5)))
      : join(PAGE_DIR, normalize(path.slice(1)));
    try {
      const body = readFileSync(file);
      const type = TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream";
      res.writeHead(200, { "content-type": type });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
}

/** One WebDriver command; resolves to its `value`. */
async function webdriver(method, path, body) {
  const response = await fetch(`${driverUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const { value } = await response.json();
  if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(value)}`);
  return value;
}

before(async () => {
  site = serveSite();
  site.listen(0, "127.0.0.1");
  await once(site, "listening");
  siteOrigin = `http://127.0.0.1:${site.address().port}`;
  mock = await startMock(["--cors", siteOrigin]);

  const port = await freePort();
  driverUrl = `http://127.0.0.1:${port}`;
  driver = spawn(CHROMEDRIVER, [`--port=${port}`], { stdio: ["ignore", "ignore", "inherit"] });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const status = await webdriver("GET", "/status");
      if (status.ready) break;
    } catch (error) {
      if (driver.exitCode !== null) throw new Error(`chromedriver exited (${driver.exitCode})`);
      if (Date.now() > deadline) throw new Error(`chromedriver not ready in 20 s: ${error}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  profile = mkdtempSync(join(tmpdir(), "clerk-chromium-"));
  const created = await webdriver("POST", "/session", {
    capabilities: {
      alwaysMatch: {
        browserName: "chrome",
        "goog:chromeOptions": {
          binary: CHROMIUM,
          args: [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            `--user-data-dir=${profile}`,
          ],
        },
      },
    },
  });
  session = created.sessionId;
  await webdriver("POST", `/session/${session}/timeouts`, { script: 60_000 });
});

after(async () => {
  if (session) await webdriver("DELETE", `/session/${session}`).catch(() => {});
  if (driver && driver.exitCode === null) {
    driver.kill("SIGTERM");
    await once(driver, "exit");
  }
  if (site) site.close();
  if (mock) assert.equal(await mock.stop(), 0);
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test("a page refuses without the opt-in; a web worker mints and revokes", async () => {
  await webdriver("POST", `/session/${session}/url`, { url: `${siteOrigin}/` });
  const result = await webdriver("POST", `/session/${session}/execute/async`, {
    script: `const done = arguments[arguments.length - 1];
             const wait = () => window.ready ? window.runChecks(arguments[0], arguments[1]).then(done, (e) => done({ crashed: String(e) })) : setTimeout(wait, 20);
             wait();`,
    args: [mock.baseUrl, KEY],
  });
  assert.equal(result.crashed, undefined, result.crashed);

  // The page: refused before anything was sent, with a clear, typed error.
  assert.equal(result.refused.ok, false, JSON.stringify(result.refused));
  assert.equal(result.refused.kind, "transport");
  assert.equal(result.refused.transportKind, "refused");
  assert.match(result.refused.message, /browser window/);
  assert.match(result.refused.message, /dangerously_allow_browser_window/);
  assert.ok(!result.refused.message.includes("SENTINEL"));

  // With the opt-in the page sends (through CORS).
  assert.equal(result.optedIn.ok, true, JSON.stringify(result.optedIn));

  // The worker: no opt-in needed, create and revoke succeed.
  assert.equal(result.inWorker.ok, true, JSON.stringify(result.inWorker));
  assert.equal(result.inWorker.created, "pending");
  assert.equal(result.inWorker.revoked, "revoked");

  // The mock saw exactly the opted-in create and the worker's two calls,
  // all from the page's origin: the refused attempt never left the browser.
  const seen = await journal(mock);
  assert.deepEqual(
    seen.map((r) => [r.operation, JSON.parse(r.body || "{}").user_id ?? null, r.status, r.headers.origin]),
    [
      ["create", "user_page_opt_in", 200, siteOrigin],
      ["create", "user_web_worker", 200, siteOrigin],
      ["revoke", null, 200, siteOrigin],
    ],
  );
  assert.equal(seen[2].path, `/v1/sign_in_tokens/${result.inWorker.id}/revoke`);
});
