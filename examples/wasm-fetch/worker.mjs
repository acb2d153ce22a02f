// The module Worker's entry point. workerd hands a `.wasm` module over as a
// compiled WebAssembly.Module, so the Rust module is instantiated
// synchronously, once, when the Worker loads; every request then goes to its
// `fetch` handler.
import { initSync, handleFetch } from "./clerk_example_wasm_fetch.js";
import module from "./clerk_example_wasm_fetch_bg.wasm";

initSync({ module });

export default {
  fetch(request, env) {
    return handleFetch(request, env);
  },
};
