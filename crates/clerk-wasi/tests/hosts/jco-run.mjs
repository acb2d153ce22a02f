// Runs a jco-transpiled wasi:cli command under Node with preview2-shim:
//   node jco-run.mjs /abs/path/to/host_check.js
// The component reads its environment from process.env and writes to stdout;
// its exit status becomes Node's.
import { pathToFileURL } from "node:url";

const [, , entry] = process.argv;
if (!entry) {
  console.error("usage: node jco-run.mjs TRANSPILED.js");
  process.exit(2);
}
const component = await import(pathToFileURL(entry).href);
const run = component.run ?? component["wasi:cli/run@0.2.4"];
if (!run || typeof run.run !== "function") {
  console.error(`no wasi:cli/run export in ${entry}: ${Object.keys(component).join(", ")}`);
  process.exit(1);
}
try {
  run.run();
} catch (e) {
  // An Err result from run() (jco wraps it in a ComponentError) or a trap.
  console.error(`the component failed: ${e?.message ?? e}`);
  process.exit(1);
}
