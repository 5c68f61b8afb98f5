//! afdio's build: the library (static and shared), the tests (native with
//! Criterion, Windows under Wine with the shim runner), cross-compilation,
//! examples, demo and benchmarks. The backend is chosen here by target OS:
//! no `#ifdef` forest in the sources.
const std = @import("std");

// ---------------------------------------------------------------------------
// Sources, one list per folder and backend.

const core_sources = [_][]const u8{
    "core/error.c",
};

/// Windows: the AFD driver layer and the completion-port selector.
const afd_sources = [_][]const u8{
    "afd/afd.c",
    "afd/base_socket.c",
    "afd/nt.c",
    "afd/poll_group.c",
    "afd/error.c",
};
const iocp_sources = [_][]const u8{
    "iocp/winsock.c",
    "iocp/sock_state.c",
    "iocp/socket.c",
    "iocp/port.c",
    "iocp/selector.c",
    "iocp/sock_map.c",
    "iocp/waker.c",
};

/// Linux.
const epoll_sources = [_][]const u8{
    "unix/error.c",
    "unix/fdtable.c",
    "unix/deadline.c",
    "unix/wakefd_eventfd.c",
    "unix/waiters.c",
    "unix/epoll_parked.c",
    "unix/epoll.c",
    "unix/socket.c",
};

/// macOS and the BSDs.
const kqueue_sources = [_][]const u8{
    "unix/error.c",
    "unix/fdtable.c",
    "unix/deadline.c",
    "unix/wakefd_pipe.c",
    "unix/waiters.c",
    "unix/kqueue.c",
    "unix/socket.c",
};

/// Targets with no backend yet.
const none_sources = [_][]const u8{
    "core/none.c",
};

const net_sources = [_][]const u8{
    "net/addr.c",
    "net/socket.c",
    "net/option.c",
    "net/listener.c",
    "net/stream.c",
    "net/datagram.c",
};

/// Test files (tests/<name>.c), one executable each.
const tests_common = [_][]const u8{
    "errors_table",
    "poller_basic",
    "poller_errors",
    "poller_modes",
    "poller_threads",
    "poller_close",
    "poller_tcp_events",
    "addr",
    "net_tcp",
    "net_udp",
    "model",
    "regressions",
    "errors",
    "torture",
};
const tests_windows_only = [_][]const u8{
    "win_afd",
    "win_handles",
};
const tests_unix_only = [_][]const u8{
    "unix_descriptors",
    "unix_signals",
    "unix_cloexec",
    "unix_wakefd_pipe",
    "net_unix",
    "unix_fds",
};

/// Helpers linked into every test executable.
const test_util_common = [_][]const u8{
    "tests/util.c",
};
const test_util_windows = [_][]const u8{
    "tests/util_win.c",
};
const test_util_unix = [_][]const u8{
    "tests/util_unix.c",
};

/// The Criterion-compatible runner for binaries that cannot use Criterion.
const shim_runner_windows = [_][]const u8{ "tests/shim/runner_core.c", "tests/shim/runner_win.c" };
const shim_runner_posix = [_][]const u8{ "tests/shim/runner_core.c", "tests/shim/runner_posix.c" };

/// `zig build cross` targets.
const cross_targets = [_][]const u8{
    "x86_64-windows-gnu",
    "aarch64-windows-gnu",
    "x86-windows-gnu",
    "x86_64-linux-gnu",
    "x86_64-linux-musl",
    "aarch64-linux-gnu",
    "x86_64-macos",
    "aarch64-macos",
    "x86_64-freebsd",
};

const windows_test_target = "x86_64-windows-gnu";

const common_flags = [_][]const u8{
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wshadow",
    "-Wstrict-prototypes",
    "-fvisibility=hidden",
};
const windows_flags = [_][]const u8{
    "-DWIN32_LEAN_AND_MEAN",
    "-DNOMINMAX",
};
const unix_flags = [_][]const u8{
    "-D_GNU_SOURCE", // accept4, SOCK_CLOEXEC, eventfd on Linux; harmless elsewhere
};

pub const Backend = enum { afd, epoll, kqueue, none };

fn backendOf(t: std.Target) Backend {
    return switch (t.os.tag) {
        .windows => .afd,
        .linux => .epoll,
        .macos, .ios, .freebsd, .netbsd, .openbsd, .dragonfly => .kqueue,
        else => .none,
    };
}

fn cFlags(b: *std.Build, t: std.Target, extra: []const []const u8) []const []const u8 {
    var list: std.ArrayList([]const u8) = .empty;
    list.appendSlice(b.allocator, &common_flags) catch @panic("OOM");
    if (t.os.tag == .windows)
        list.appendSlice(b.allocator, &windows_flags) catch @panic("OOM")
    else
        list.appendSlice(b.allocator, &unix_flags) catch @panic("OOM");
    list.appendSlice(b.allocator, extra) catch @panic("OOM");
    return list.items;
}

fn libSources(b: *std.Build, t: std.Target) []const []const u8 {
    var list: std.ArrayList([]const u8) = .empty;
    const a = b.allocator;
    list.appendSlice(a, &core_sources) catch @panic("OOM");
    switch (backendOf(t)) {
        .afd => {
            list.appendSlice(a, &afd_sources) catch @panic("OOM");
            list.appendSlice(a, &iocp_sources) catch @panic("OOM");
        },
        .epoll => list.appendSlice(a, &epoll_sources) catch @panic("OOM"),
        .kqueue => list.appendSlice(a, &kqueue_sources) catch @panic("OOM"),
        .none => list.appendSlice(a, &none_sources) catch @panic("OOM"),
    }
    list.appendSlice(a, &net_sources) catch @panic("OOM");
    return list.items;
}

fn linkPlatform(m: *std.Build.Module, t: std.Target) void {
    if (t.os.tag == .windows) {
        m.linkSystemLibrary("ws2_32", .{});
    }
}

const LibOptions = struct {
    target: std.Build.ResolvedTarget,
    optimize: std.builtin.OptimizeMode,
    linkage: std.builtin.LinkMode,
    sanitize_thread: bool = false,
    /// Installed libraries must not need Zig's UBSan runtime, which a
    /// program linked by another toolchain does not have: in Debug they
    /// trap on undefined behaviour instead. Test builds keep the runtime for
    /// readable reports.
    installed: bool = true,
    /// Whether the shared library is installed beside this one: on Windows
    /// the DLL's import library is afdio.lib, so the static library is then
    /// named afdio_static.lib (libuv does the same with uv_a.lib).
    beside_dll: bool = false,
};

fn addAfdio(b: *std.Build, o: LibOptions) *std.Build.Step.Compile {
    const t = o.target.result;
    const mod = b.createModule(.{
        .target = o.target,
        .optimize = o.optimize,
        .link_libc = true,
        .sanitize_thread = if (o.sanitize_thread) true else null,
        .sanitize_c = if (o.installed) .trap else null,
    });
    const extra: []const []const u8 = if (o.linkage == .dynamic and t.os.tag == .windows)
        &.{"-DAFDIO_BUILDING_DLL"}
    else
        &.{};
    mod.addCSourceFiles(.{ .files = libSources(b, t), .flags = cFlags(b, t, extra) });
    mod.addIncludePath(b.path("include"));
    mod.addIncludePath(b.path("."));
    linkPlatform(mod, t);
    const lib = b.addLibrary(.{
        .name = if (o.beside_dll and o.linkage == .static and t.os.tag == .windows) "afdio_static" else "afdio",
        .linkage = o.linkage,
        .root_module = mod,
        .version = if (o.linkage == .dynamic and t.os.tag != .windows)
            .{ .major = 0, .minor = 1, .patch = 0 }
        else
            null,
    });
    lib.installHeadersDirectory(b.path("include"), "", .{});
    return lib;
}

fn pkgConfig(b: *std.Build, t: std.Target) std.Build.LazyPath {
    const private = if (t.os.tag == .windows) "-lws2_32" else "-lpthread";
    const text = b.fmt(
        \\prefix=${{pcfiledir}}/../..
        \\libdir=${{prefix}}/lib
        \\includedir=${{prefix}}/include
        \\
        \\Name: afdio
        \\Description: Readiness-based non-blocking network I/O (AFD/IOCP, epoll, kqueue)
        \\Version: 0.1.0
        \\Libs: -L${{libdir}} -lafdio
        \\Libs.private: {s}
        \\Cflags: -I${{includedir}}
        \\
    , .{private});
    return b.addWriteFiles().add("afdio.pc", text);
}

const TestHalf = struct {
    target: std.Build.ResolvedTarget,
    optimize: std.builtin.OptimizeMode,
    sanitize_thread: bool,
};

/// Builds one executable per test file for the half's target.
fn addTestExes(b: *std.Build, h: TestHalf, names: []const []const u8) std.ArrayList(*std.Build.Step.Compile) {
    const t = h.target.result;
    const windows = t.os.tag == .windows;
    const lib = addAfdio(b, .{
        .target = h.target,
        .optimize = h.optimize,
        .linkage = .static,
        .sanitize_thread = h.sanitize_thread,
        .installed = false,
    });
    var utils: std.ArrayList([]const u8) = .empty;
    utils.appendSlice(b.allocator, &test_util_common) catch @panic("OOM");
    utils.appendSlice(b.allocator, if (windows) &test_util_windows else &test_util_unix) catch @panic("OOM");

    var exes: std.ArrayList(*std.Build.Step.Compile) = .empty;
    for (names) |name| {
        const mod = b.createModule(.{
            .target = h.target,
            .optimize = h.optimize,
            .link_libc = true,
            .sanitize_thread = if (h.sanitize_thread) true else null,
        });
        var files: std.ArrayList([]const u8) = .empty;
        files.append(b.allocator, b.fmt("tests/{s}.c", .{name})) catch @panic("OOM");
        files.appendSlice(b.allocator, utils.items) catch @panic("OOM");
        if (windows) files.appendSlice(b.allocator, &shim_runner_windows) catch @panic("OOM");
        // Tests may use GNU extensions (typeof in the shim's assertions).
        mod.addCSourceFiles(.{ .files = files.items, .flags = cFlags(b, t, &.{"-std=gnu11"}) });
        if (windows) mod.addIncludePath(b.path("tests/shim"));
        mod.addIncludePath(b.path("include"));
        mod.addIncludePath(b.path("tests"));
        mod.addIncludePath(b.path("."));
        mod.linkLibrary(lib);
        linkPlatform(mod, t);
        if (!windows) mod.linkSystemLibrary("criterion", .{});
        const exe = b.addExecutable(.{ .name = name, .root_module = mod });
        // Criterion finds tests through a linker section: keep it.
        exe.link_gc_sections = false;
        exes.append(b.allocator, exe) catch @panic("OOM");
    }
    return exes;
}

fn addSuiteRun(b: *std.Build, half: []const u8, filter: []const u8, exes: []const *std.Build.Step.Compile) *std.Build.Step.Run {
    const run = b.addSystemCommand(&.{"bash"});
    run.addFileArg(b.path("tests/run-suite.sh"));
    run.addArgs(&.{ half, b.cache_root.join(b.allocator, &.{"wine"}) catch @panic("OOM"), filter });
    for (exes) |exe| run.addArtifactArg(exe);
    run.has_side_effects = true;
    run.setCwd(b.path("."));
    return run;
}

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    const filter = b.option([]const u8, "test-filter", "Run only tests matching suite/name (glob)") orelse "";

    // The library, static and shared, for the chosen target.
    // Both by default; a project that depends on afdio picks one with
    // .linkage, so that dependency.artifact("afdio") is unambiguous.
    const only = b.option(std.builtin.LinkMode, "linkage", "Build only the static or only the dynamic library (default: both)");
    for ([_]std.builtin.LinkMode{ .static, .dynamic }) |linkage| {
        if (only != null and only.? != linkage) continue;
        b.installArtifact(addAfdio(b, .{ .target = target, .optimize = optimize, .linkage = linkage, .beside_dll = only == null }));
    }
    b.getInstallStep().dependOn(&b.addInstallFile(pkgConfig(b, target.result), "lib/pkgconfig/afdio.pc").step);

    // Tests: native (Criterion) and Windows (shim runner, under Wine).
    const native = b.graph.host;
    const windows = b.resolveTargetQuery(std.Target.Query.parse(.{ .arch_os_abi = windows_test_target }) catch unreachable);

    var native_names: std.ArrayList([]const u8) = .empty;
    native_names.appendSlice(b.allocator, &tests_common) catch @panic("OOM");
    native_names.appendSlice(b.allocator, &tests_unix_only) catch @panic("OOM");
    var windows_names: std.ArrayList([]const u8) = .empty;
    windows_names.appendSlice(b.allocator, &tests_common) catch @panic("OOM");
    windows_names.appendSlice(b.allocator, &tests_windows_only) catch @panic("OOM");

    // ThreadSanitizer is test-tsan's: Criterion cannot start under it.
    const native_exes = addTestExes(b, .{ .target = native, .optimize = optimize, .sanitize_thread = false }, native_names.items);
    const windows_exes = addTestExes(b, .{ .target = windows, .optimize = optimize, .sanitize_thread = false }, windows_names.items);

    const test_native = b.step("test-native", "Build and run the tests natively (Criterion)");
    test_native.dependOn(&addSuiteRun(b, "native", filter, native_exes.items).step);
    const test_windows = b.step("test-windows", "Build the Windows tests and run them under Wine");
    test_windows.dependOn(&addSuiteRun(b, "windows", filter, windows_exes.items).step);
    const test_step = b.step("test", "Run both halves: native and Windows under Wine");
    test_step.dependOn(test_native);
    test_step.dependOn(test_windows);

    const test_build = b.step("test-build", "Build every test executable, run none");
    for (native_exes.items) |exe| test_build.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "tests/native" } } }).step);
    for (windows_exes.items) |exe| test_build.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "tests/windows" } } }).step);

    // ASan + UBSan: Zig 0.15 ships no AddressSanitizer runtime, so this half
    // is compiled by the system's gcc from the same source lists.
    const test_asan = b.step("test-asan", "Run the native tests under ASan+UBSan (built with gcc)");
    test_asan.dependOn(&addGccSanitizedSuite(b, filter, native_names.items).step);

    // ThreadSanitizer: the threaded suites with the pthread shim runner,
    // since Criterion itself cannot start under TSan.
    const test_tsan = b.step("test-tsan", "Run the threaded native tests under ThreadSanitizer (shim runner)");
    test_tsan.dependOn(&addSuiteRun(b, "native", filter, addTsanExes(b, native, optimize).items).step);

    // The fuzz corpus replayed without the fuzzer (ASan+UBSan, gcc).
    const fuzz_replay = b.addSystemCommand(&.{ "bash", "tests/fuzz/run.sh", "replay" });
    fuzz_replay.addArg(b.cache_root.join(b.allocator, &.{"fuzz-replay"}) catch @panic("OOM"));
    fuzz_replay.has_side_effects = true;
    fuzz_replay.setCwd(b.path("."));
    b.step("test-fuzz-replay", "Replay the fuzz corpus (tests/fuzz/corpus) natively, without the fuzzer").dependOn(&fuzz_replay.step);

    const test_valgrind = b.step("test-valgrind", "Run the native tests under valgrind memcheck");
    // valgrind cannot run every instruction of the host CPU (it stops with
    // SIGILL inside Zig's memset on AVX-512 machines): build for baseline.
    const baseline = b.resolveTargetQuery(.{ .cpu_model = .baseline });
    const valgrind_exes = addTestExes(b, .{ .target = baseline, .optimize = optimize, .sanitize_thread = false }, native_names.items);
    test_valgrind.dependOn(&addSuiteRun(b, "native-valgrind", filter, valgrind_exes.items).step);

    // Cross-compilation of the library for every supported target.
    const cross = b.step("cross", "Build the library for every supported target");
    for (cross_targets) |triple| {
        const t = b.resolveTargetQuery(std.Target.Query.parse(.{ .arch_os_abi = triple }) catch unreachable);
        const dir: std.Build.InstallDir = .{ .custom = b.fmt("cross/{s}", .{triple}) };
        for ([_]std.builtin.LinkMode{ .static, .dynamic }) |linkage| {
            const dll = linkage == .dynamic and t.result.os.tag == .windows;
            cross.dependOn(&b.addInstallArtifact(addAfdio(b, .{ .target = t, .optimize = optimize, .linkage = linkage, .beside_dll = true }), .{
                .dest_dir = .{ .override = dir },
                .h_dir = .disabled,
                .implib_dir = if (dll) .{ .override = dir } else .default,
                .pdb_dir = .disabled,
            }).step);
        }
    }

    // Examples and the demo.
    addExamples(b, native, windows, optimize);
    addBenchCancel(b, windows);

    // Benchmarks (bench/): built for the host and for Windows, run by bench/run.sh.
    addBench(b, native, windows, optimize);
}

/// `zig build bench-cancel`: bench/cancel_cost.c (AFD group size vs the
/// cost of an interest change), built for Windows and run under Wine.
fn addBenchCancel(b: *std.Build, windows: std.Build.ResolvedTarget) void {
    const mod = b.createModule(.{ .target = windows, .optimize = .ReleaseFast, .link_libc = true });
    mod.addCSourceFiles(.{ .files = &.{"bench/cancel_cost.c"}, .flags = cFlags(b, windows.result, &.{}) });
    mod.addIncludePath(b.path("include"));
    mod.linkLibrary(addAfdio(b, .{ .target = windows, .optimize = .ReleaseFast, .linkage = .static }));
    linkPlatform(mod, windows.result);
    const exe = b.addExecutable(.{ .name = "cancel_cost", .root_module = mod });
    const run = b.addSystemCommand(&.{ "bash", "-c", "set -e; . tests/wine-env.sh \"$0\"; wine \"$1\"" });
    run.addArg(b.cache_root.join(b.allocator, &.{"wine"}) catch @panic("OOM"));
    run.addArtifactArg(exe);
    run.has_side_effects = true;
    run.setCwd(b.path("."));
    b.step("bench-cancel", "Measure AFD cancel cost by group size (under Wine)").dependOn(&run.step);
}

// ---------------------------------------------------------------------------
// Examples (examples/<name>.c), built for the host and for Windows, each
// linked with the shared helpers and its platform's glue file (no #if in the
// examples). `zig build examples` installs them; `zig build demo` runs
// examples/demo.sh: the Windows servers under Wine, driven by the native
// client, wrk and curl.

const example_programs = [_][]const u8{ "poll_hello", "echo_server", "echo_client", "http_hello", "udp_echo" };
const example_common = [_][]const u8{"examples/common.c"};
const example_unix = [_][]const u8{"examples/signal_unix.c"};
const example_windows = [_][]const u8{"examples/signal_win.c"};

fn addExampleExes(b: *std.Build, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode) [example_programs.len]*std.Build.Step.Compile {
    const t = target.result;
    const lib = addAfdio(b, .{ .target = target, .optimize = optimize, .linkage = .static });
    var exes: [example_programs.len]*std.Build.Step.Compile = undefined;
    for (example_programs, 0..) |name, i| {
        const mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
        mod.addCSourceFiles(.{ .files = &.{b.fmt("examples/{s}.c", .{name})}, .flags = cFlags(b, t, &.{}) });
        if (std.mem.eql(u8, name, "http_hello"))
            mod.addCSourceFiles(.{ .files = &.{"examples/http_parse.c"}, .flags = cFlags(b, t, &.{}) });
        mod.addCSourceFiles(.{ .files = &example_common, .flags = cFlags(b, t, &.{}) });
        mod.addCSourceFiles(.{ .files = if (t.os.tag == .windows) &example_windows else &example_unix, .flags = cFlags(b, t, &.{}) });
        mod.addIncludePath(b.path("include"));
        mod.linkLibrary(lib);
        linkPlatform(mod, t);
        exes[i] = b.addExecutable(.{ .name = name, .root_module = mod });
    }
    return exes;
}

fn exampleIndex(name: []const u8) usize {
    for (example_programs, 0..) |n, i| {
        if (std.mem.eql(u8, n, name)) return i;
    }
    unreachable;
}

fn addExamples(b: *std.Build, native: std.Build.ResolvedTarget, windows: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode) void {
    const examples_step = b.step("examples", "Build the examples for the host and for Windows");
    const native_exes = addExampleExes(b, native, optimize);
    const windows_exes = addExampleExes(b, windows, optimize);
    for (native_exes) |exe|
        examples_step.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "examples/native" } } }).step);
    for (windows_exes) |exe|
        examples_step.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "examples/windows" } } }).step);

    // The demo measures, so it is always optimized (as the benchmarks are).
    const opt: std.builtin.OptimizeMode = if (optimize == .Debug) .ReleaseFast else optimize;
    const demo_native = if (opt == optimize) native_exes else addExampleExes(b, native, opt);
    const demo_windows = if (opt == optimize) windows_exes else addExampleExes(b, windows, opt);
    const demo = b.step("demo", "Run the Windows echo and HTTP servers under Wine against the native client, wrk and curl");
    const run = b.addSystemCommand(&.{"bash"});
    run.addFileArg(b.path("examples/demo.sh"));
    run.addArg(b.cache_root.join(b.allocator, &.{"wine"}) catch @panic("OOM"));
    run.addArtifactArg(demo_native[exampleIndex("echo_client")]);
    run.addArtifactArg(demo_windows[exampleIndex("echo_server")]);
    run.addArtifactArg(demo_windows[exampleIndex("http_hello")]);
    run.addArtifactArg(demo_native[exampleIndex("udp_echo")]);
    run.addArtifactArg(demo_windows[exampleIndex("udp_echo")]);
    run.has_side_effects = true;
    run.setCwd(b.path("."));
    demo.dependOn(&run.step);
}

/// The tests `zig build test-tsan` runs: the threaded suites.
const tests_tsan = [_][]const u8{ "poller_threads", "torture", "model" };

/// Builds tests_tsan natively with -fsanitize=thread, linked with the
/// pthread shim runner (tests/shim/runner_posix.c) instead of Criterion.
fn addTsanExes(b: *std.Build, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode) std.ArrayList(*std.Build.Step.Compile) {
    const t = target.result;
    const lib = addAfdio(b, .{ .target = target, .optimize = optimize, .linkage = .static, .sanitize_thread = true, .installed = false });
    var exes: std.ArrayList(*std.Build.Step.Compile) = .empty;
    for (tests_tsan) |name| {
        const mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true, .sanitize_thread = true });
        var files: std.ArrayList([]const u8) = .empty;
        files.append(b.allocator, b.fmt("tests/{s}.c", .{name})) catch @panic("OOM");
        files.appendSlice(b.allocator, &test_util_common) catch @panic("OOM");
        files.appendSlice(b.allocator, &test_util_unix) catch @panic("OOM");
        files.appendSlice(b.allocator, &shim_runner_posix) catch @panic("OOM");
        mod.addCSourceFiles(.{ .files = files.items, .flags = cFlags(b, t, &.{"-std=gnu11"}) });
        mod.addIncludePath(b.path("tests/shim"));
        mod.addIncludePath(b.path("include"));
        mod.addIncludePath(b.path("tests"));
        mod.addIncludePath(b.path("."));
        mod.linkLibrary(lib);
        mod.linkSystemLibrary("pthread", .{});
        exes.append(b.allocator, b.addExecutable(.{ .name = b.fmt("{s}_tsan", .{name}), .root_module = mod })) catch @panic("OOM");
    }
    return exes;
}

/// Builds each native test file with gcc -fsanitize=address,undefined and
/// runs them through tests/run-suite.sh. Always rebuilt (headers are not
/// tracked as inputs here); gcc is quick on these few files.
fn addGccSanitizedSuite(b: *std.Build, filter: []const u8, names: []const []const u8) *std.Build.Step.Run {
    const host = b.graph.host.result;
    const run = b.addSystemCommand(&.{"bash"});
    run.addFileArg(b.path("tests/run-suite.sh"));
    run.addArgs(&.{ "native-asan", b.cache_root.join(b.allocator, &.{"wine"}) catch @panic("OOM"), filter });
    for (names) |name| {
        const cc = b.addSystemCommand(&.{ "gcc", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer" });
        cc.addArgs(cFlags(b, host, &.{ "-std=gnu11", "-Iinclude", "-I.", "-Itests" }));
        for (libSources(b, host)) |src| cc.addFileArg(b.path(src));
        cc.addFileArg(b.path(b.fmt("tests/{s}.c", .{name})));
        for (test_util_common) |src| cc.addFileArg(b.path(src));
        for (test_util_unix) |src| cc.addFileArg(b.path(src));
        cc.addArg("-o");
        const exe = cc.addOutputFileArg(name);
        cc.addArgs(&.{ "-lcriterion", "-lpthread" });
        cc.setCwd(b.path("."));
        cc.has_side_effects = true;
        run.addFileArg(exe);
    }
    run.has_side_effects = true;
    run.setCwd(b.path("."));
    return run;
}

// ---------------------------------------------------------------------------
// Benchmarks: one executable per program (bench/<name>.c), each linked with
// the shared core and the backends of its platform. Always optimized (Debug
// builds would measure the wrong thing); `zig build bench-build` only builds.

const bench_programs = [_][]const u8{ "pingpong", "idle_scale", "churn" };
const bench_common = [_][]const u8{ "bench/pp.c", "bench/base_afdio.c" };
const bench_linux = [_][]const u8{
    "bench/plat_unix.c",
    "bench/alloc_unix.c",
    "bench/list_linux.c",
    "bench/base_epoll.c",
    "bench/base_libuv.c",
    "bench/base_libevent.c",
};
const bench_windows = [_][]const u8{
    "bench/plat_win.c",
    "bench/alloc_win.c",
    "bench/list_windows.c",
    "bench/base_wsapoll.c",
    "bench/base_select.c",
};

fn addBenchExes(b: *std.Build, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode) std.ArrayList(*std.Build.Step.Compile) {
    const t = target.result;
    const windows = t.os.tag == .windows;
    const lib = addAfdio(b, .{ .target = target, .optimize = optimize, .linkage = .static });
    var exes: std.ArrayList(*std.Build.Step.Compile) = .empty;
    for (bench_programs) |name| {
        const mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
        var files: std.ArrayList([]const u8) = .empty;
        files.append(b.allocator, b.fmt("bench/{s}.c", .{name})) catch @panic("OOM");
        files.appendSlice(b.allocator, &bench_common) catch @panic("OOM");
        files.appendSlice(b.allocator, if (windows) &bench_windows else &bench_linux) catch @panic("OOM");
        mod.addCSourceFiles(.{ .files = files.items, .flags = cFlags(b, t, &.{}) });
        mod.addIncludePath(b.path("include"));
        mod.addIncludePath(b.path("bench"));
        mod.linkLibrary(lib);
        linkPlatform(mod, t);
        if (!windows) {
            mod.linkSystemLibrary("uv", .{});
            mod.linkSystemLibrary("event_core", .{});
        }
        exes.append(b.allocator, b.addExecutable(.{ .name = name, .root_module = mod })) catch @panic("OOM");
    }
    return exes;
}

fn addBench(b: *std.Build, native: std.Build.ResolvedTarget, windows: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode) void {
    const opt: std.builtin.OptimizeMode = if (optimize == .Debug) .ReleaseFast else optimize;
    const build_step = b.step("bench-build", "Build the benchmarks for the host and for Windows, run none");
    const bench_step = b.step("bench", "Run the benchmarks natively and under Wine; results in bench/results/");
    const run = b.addSystemCommand(&.{"bash"});
    run.addFileArg(b.path("bench/run.sh"));
    run.addArg(b.cache_root.join(b.allocator, &.{"wine"}) catch @panic("OOM"));
    // The native half needs glibc (the malloc interposer) and Linux (epoll).
    // Baseline CPU, as distributed binaries are, and so valgrind (no AVX-512)
    // can run them: bench/callgrind.sh counts instructions per round trip.
    if (native.result.os.tag == .linux and native.result.abi.isGnu()) {
        const host = b.resolveTargetQuery(.{ .cpu_model = .baseline });
        run.addArg("--native");
        for (addBenchExes(b, host, opt).items) |exe| {
            build_step.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "bench/native" } } }).step);
            run.addArtifactArg(exe);
        }
    }
    run.addArg("--windows");
    for (addBenchExes(b, windows, opt).items) |exe| {
        build_step.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "bench/windows" } } }).step);
        run.addArtifactArg(exe);
    }
    run.has_side_effects = true;
    run.setCwd(b.path("."));
    bench_step.dependOn(&run.step);
}
