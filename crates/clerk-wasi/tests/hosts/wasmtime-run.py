"""Runs a wasi:cli command component in wasmtime (the `wasmtime` Python
package), with WASIp2 and wasi:http, this process's environment, stdio and
current directory; exits with the component's status.

    python wasmtime-run.py COMPONENT.wasm [ARGS...]

It serves as cargo's runner for wasm32-wasip2, so the crate's unit tests and
doc tests run inside wasmtime:

    CARGO_TARGET_WASM32_WASIP2_RUNNER="venv/bin/python wasmtime-run.py" \\
        cargo test -p clerk-wasi --target wasm32-wasip2
"""

import os
import sys

import wasmtime
from wasmtime import component as cm


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    path = sys.argv[1]
    engine = wasmtime.Engine()
    component = cm.Component.from_file(engine, path)
    linker = cm.Linker(engine)
    linker.add_wasip2()
    linker.add_wasi_http()
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = [os.path.basename(path), *sys.argv[2:]]
    wasi.inherit_env()
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.preopen_dir(".", ".")
    store.set_wasi(wasi)
    store.set_wasi_http()
    instance = linker.instantiate(store, component)
    for minor in range(10, -1, -1):
        iface = instance.get_export_index(store, f"wasi:cli/run@0.2.{minor}")
        if iface is not None:
            run = instance.get_func(store, instance.get_export_index(store, "run", iface))
            break
    else:
        print(f"{path}: no wasi:cli/run export", file=sys.stderr)
        sys.exit(2)
    try:
        result = run(store)
    except wasmtime.ExitTrap as e:
        sys.exit(e.code)
    except wasmtime.WasmtimeError as e:
        print(f"{path}: {e}", file=sys.stderr)
        sys.exit(101)
    sys.exit(0 if getattr(result, "tag", None) == "ok" else 1)


if __name__ == "__main__":
    main()
