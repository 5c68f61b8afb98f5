"""Runs a WASI (preview 1) module of afdio's tests in wasmtime, the runtime
the PyPI package `wasmtime` embeds, with a pipe of this script as the
module's stdin.

    python3 tests/wasi/run.py module.wasm

The module prints READY when it waits for stdin, then this script writes
one line; READY-EOF, then this script closes the pipe. The module's last
line is "N passed, N failed"; the exit status is the module's.

Why no socket test: WASI preview 1 cannot create, bind or connect sockets,
so a server needs its listener pre-opened by the runtime. The wasmtime
wheel (50.0.1) has no C API or Python call for that: its libwasmtime
exports wasi_config_preopen_dir but no wasi_config_preopen_socket (see
README, "WASI"), and the wheel ships no wasmtime CLI (whose `-S
tcplisten=` does it).
"""
import subprocess
import sys


def run_module(path):
    import wasmtime

    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, path)
    config = wasmtime.WasiConfig()
    config.argv = [path]
    config.inherit_stdin()
    config.inherit_stdout()
    config.inherit_stderr()
    store.set_wasi(config)
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        return e.code
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inner":
        sys.exit(run_module(sys.argv[2]))
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        sys.exit("tests/wasi/run.py: the wasmtime package is missing: "
                 "pip install wasmtime==50.0.1 (make test installs it)")
    path = sys.argv[1]  # a --filter from run-suite.sh is ignored: one suite
    child = subprocess.Popen(
        [sys.executable, __file__, "--inner", path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in child.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if line == "READY\n":
            child.stdin.write("ping wasi 1\n")
            child.stdin.flush()
        elif line == "READY-EOF\n":
            child.stdin.close()
    rc = child.wait(timeout=60)
    sys.exit(rc)


if __name__ == "__main__":
    main()
