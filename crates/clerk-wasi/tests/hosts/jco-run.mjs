// Runs a jco-transpiled wasi:cli command under Node with preview2-shim:
//   node jco-run.mjs /abs/path/to/host_check.js [ARGV0 ARGS...]
// The component reads its environment from process.env and writes to stdout;
// its exit status becomes Node's. ARGV0 ARGS (when given) are its arguments.
import { pathToFileURL } from "node:url";

const [, , entry, ...args] = process.argv;
if (!entry) {
  console.error("usage: node jco-run.mjs TRANSPILED.js [ARGV0 ARGS...]");
  process.exit(2);
}
// preview2-shim hands the component process.argv.slice(1), read when it
// loads: put the component's arguments there first (in place: the shim
// imports the same array).
if (args.length > 0) {
  process.argv.splice(1, process.argv.length - 1, ...args);
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
