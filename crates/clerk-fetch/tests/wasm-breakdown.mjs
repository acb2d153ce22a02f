// What a WebAssembly module's bytes are: its sections, and its code split by
// the crate each function's name starts with (from the module's name
// section, so run it on a module that still has one).
//
//   node crates/clerk-fetch/tests/wasm-breakdown.mjs module.wasm [TOP]
//
// Prints the size of every section, the code bytes per crate (`core`,
// `alloc`, `serde_json`, ...; trait impls such as `<http::header::name::
// HeaderName as core::fmt::Debug>::fmt` count for the type's crate) and the
// TOP (default 15) largest functions. Sizes are function body sizes as
// stored in the code section.
import { readFileSync } from "node:fs";

const [path, topArg] = process.argv.slice(2);
if (!path) {
  console.error("usage: wasm-breakdown.mjs module.wasm [TOP]");
  process.exit(2);
}
const top = Number(topArg ?? 15);
const bytes = readFileSync(path);
if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error(`${path}: not a wasm module`);

let pos = 8;
function uleb() {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return result;
    shift += 7;
  }
}
function name() {
  const length = uleb();
  const text = bytes.toString("utf8", pos, pos + length);
  pos += length;
  return text;
}

const SECTIONS = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount"];
const sections = [];
let importedFunctions = 0;
const bodySizes = []; // index: defined function number
const names = new Map(); // function index (imports first) -> name

while (pos < bytes.length) {
  const id = bytes[pos++];
  const size = uleb();
  const start = pos;
  const end = start + size;
  let label = SECTIONS[id] ?? `unknown ${id}`;
  if (id === 0) label = `custom "${name()}"`;
  sections.push([label, size]);
  if (id === 2) {
    for (let n = uleb(); n > 0; n--) {
      name();
      name();
      const kind = bytes[pos++];
      if (kind === 0) {
        uleb();
        importedFunctions++;
      } else if (kind === 1) {
        pos++; // reference type
        const flags = uleb();
        uleb();
        if (flags & 1) uleb();
      } else if (kind === 2) {
        const flags = uleb();
        uleb();
        if (flags & 1) uleb();
      } else if (kind === 3) {
        pos++; // value type
        pos++; // mutability
      } else {
        pos++; // tag: attribute
        uleb();
      }
    }
  } else if (id === 10) {
    for (let n = uleb(); n > 0; n--) {
      const bodySize = uleb();
      bodySizes.push(bodySize);
      pos += bodySize;
    }
  } else if (id === 0 && label === 'custom "name"') {
    while (pos < end) {
      const kind = bytes[pos++];
      const length = uleb();
      const subEnd = pos + length;
      if (kind === 1) {
        for (let n = uleb(); n > 0; n--) {
          const index = uleb();
          names.set(index, name());
        }
      }
      pos = subEnd;
    }
  }
  pos = end;
}

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
console.log(`${path}: ${bytes.length} bytes`);
console.log("\nsections:");
for (const [label, size] of sections) console.log(`  ${label.padEnd(32)} ${String(size).padStart(8)} B`);

if (names.size === 0) {
  console.log("\n(no function names: the name section was stripped)");
  process.exit(0);
}

const PRIMITIVE = /^(bool|char|str|f32|f64|[iu](8|16|32|64|128|size))\b/;

/** The crate a (demangled) Rust function name belongs to. */
function crateOf(fn) {
  // `<A as B>::f` and `<A>::f` belong to A's crate, or to B's when A is a
  // primitive (`<f64 as core::fmt::Display>::fmt` is core's); `&`, `mut`,
  // `dyn` and `[` are peeled off first. v0 names carry `[hash]` after the
  // crate's name.
  let inner = fn.replace(/^<+/, "").replace(/^(&|\*const |\*mut |mut |dyn |\[|\()+/, "");
  if (PRIMITIVE.test(inner)) inner = inner.replace(/^[^ ]+ as /, "");
  if (PRIMITIVE.test(inner) || inner.startsWith("[")) return "core";
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::/.exec(inner);
  if (match) return match[1] === "__rustc" ? "alloc/std glue" : match[1];
  if (/^(dlmalloc|__rust|__rdl|__rg|rust_)/.test(inner)) return "alloc/std glue";
  if (/^__wbg|^__wbindgen|^wasm_bindgen/.test(inner)) return "wasm_bindgen";
  return "(other: exports, intrinsics)";
}

const perCrate = new Map();
const functions = [];
let total = 0;
bodySizes.forEach((size, defined) => {
  const fn = names.get(importedFunctions + defined) ?? `(unnamed #${importedFunctions + defined})`;
  const crate = crateOf(fn);
  perCrate.set(crate, (perCrate.get(crate) ?? 0) + size);
  functions.push([fn, size]);
  total += size;
});
console.log(`\ncode: ${bodySizes.length} functions, ${kb(total)} of bodies; by crate:`);
for (const [crate, size] of [...perCrate].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${crate.padEnd(32)} ${kb(size).padStart(9)}  ${((100 * size) / total).toFixed(1).padStart(5)}%`);
}
console.log(`\nlargest ${top} functions:`);
for (const [fn, size] of functions.sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${String(size).padStart(7)} B  ${fn.length > 110 ? `${fn.slice(0, 107)}...` : fn}`);
}
