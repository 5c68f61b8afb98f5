//! afdio's build: the library (static and shared) with its headers and
//! pkg-config file, and the test suite (native with Criterion, Windows under
//! Wine with the shim runner). The backend is chosen here by target OS: no
//! `#ifdef` forest in the sources. The developer-only steps (sanitizers, fuzz
//! replay, cross, examples and demo, benchmarks) live in build/*.zig.
//!
//! A project that depends on afdio gets the library (`.linkage` picks static
//! or shared) and `addWineRun`, which runs its own Windows programs under Wine.
const std = @import("std");
const zon = @import("build.zig.zon");
const wine = @import("build/wine.zig");
const sanitizers = @import("build/sanitizers.zig");
const cross = @import("build/cross.zig");
const examples = @import("build/examples.zig");
const bench = @import("build/bench.zig");
const epoll_compat = @import("build/epoll.zig");

/// The version, from build.zig.zon only; tests/errors_table.c checks that the
/// header's AFDIO_VERSION_* macros agree.
pub const version = std.SemanticVersion.parse(zon.version) catch @compileError("build.zig.zon: .version is not semver");

// ---------------------------------------------------------------------------
// Sources, one list per folder and backend.

const core_sources = [_][]const u8{
    "core/error.c",
    "core/timer.c",
    "core/pipe_name.c",
    "core/deadline.c",
};

/// The portable poller (core/backend.h), for every backend but Windows'.
const poller_sources = [_][]const u8{
    "core/poller.c",
    "core/waiters.c",
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
    "iocp/pipe_src.c",
    "iocp/pipe.c",
    "iocp/pipe_listener.c",
};

/// Linux.
const epoll_sources = [_][]const u8{
    "unix/error.c",
    "unix/fdtable.c",
    "unix/wakefd_eventfd.c",
    "unix/unconnected.c",
    "unix/epoll_parked.c",
    "unix/epoll.c",
    "unix/socket.c",
};

/// macOS and the BSDs.
const kqueue_sources = [_][]const u8{
    "unix/error.c",
    "unix/fdtable.c",
    "unix/wakefd_pipe.c",
    "unix/kqueue.c",
    "unix/socket.c",
};

/// poll(2): Unix systems with neither epoll nor kqueue, and Linux with
/// -Dbackend=poll. The wake descriptor is an eventfd on Linux, a pipe
/// elsewhere (pollWakefd).
const poll_sources = [_][]const u8{
    "unix/error.c",
    "unix/unconnected.c",
    "unix/poll.c",
    "unix/socket.c",
};

/// WASI preview 1 (wasm32-wasi): the poll(2) backend over wasi-libc's
/// poll(), which is poll_oneoff(); no threads, so no wakers. net/ is not
/// built there yet (README, "WASI").
const wasi_sources = [_][]const u8{
    "unix/error.c",
    "unix/unconnected.c",
    "unix/wakefd_none.c",
    "unix/poll.c",
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

/// afdio_pipe over Unix-domain sockets (Windows has iocp/pipe*.c).
const pipe_unix_sources = [_][]const u8{
    "net/pipe_unix.c",
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
    "net_adopt",
    "net_unix",
    "timers",
    "model",
    "regressions",
    "errors",
    "torture",
    "pipe",
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

pub const Backend = enum { afd, epoll, kqueue, poll, wasi, none };

/// The backend a target gets by default.
pub fn backendOf(t: std.Target) Backend {
    return switch (t.os.tag) {
        .windows => .afd,
        .linux => .epoll,
        .macos, .ios, .freebsd, .netbsd, .openbsd, .dragonfly => .kqueue,
        .illumos, .solaris, .haiku, .aix, .hurd => .poll,
        .wasi => .wasi,
        else => .none,
    };
}

/// -Dbackend: read once in build(). Only poll(2) may replace a target's own
/// backend, and only epoll or kqueue (every such Unix has poll); other
/// targets built in the same run (the Windows tests) keep theirs.
pub var backend_override: ?Backend = null;

fn backendFor(t: std.Target, forced: ?Backend) Backend {
    const native = backendOf(t);
    const want = forced orelse backend_override orelse return native;
    if (want == native) return native;
    if (want != .poll)
        std.debug.panic("-Dbackend={s}: only poll can be forced", .{@tagName(want)});
    return if (native == .epoll or native == .kqueue) .poll else native;
}

fn concat(b: *std.Build, lists: []const []const []const u8) []const []const u8 {
    return std.mem.concat(b.allocator, []const u8, lists) catch @panic("OOM");
}

pub fn cFlags(b: *std.Build, t: std.Target, extra: []const []const u8) []const []const u8 {
    return concat(b, &.{ &common_flags, if (t.os.tag == .windows) &windows_flags else &unix_flags, extra });
}

pub fn libSources(b: *std.Build, t: std.Target) []const []const u8 {
    return libSourcesFor(b, t, null);
}

pub fn libSourcesFor(b: *std.Build, t: std.Target, forced: ?Backend) []const []const u8 {
    const wakefd: []const []const u8 = if (t.os.tag == .linux) &.{"unix/wakefd_eventfd.c"} else &.{"unix/wakefd_pipe.c"};
    const backend: []const []const u8 = switch (backendFor(t, forced)) {
        .afd => concat(b, &.{ &afd_sources, &iocp_sources }),
        .epoll => concat(b, &.{ &poller_sources, &epoll_sources, &pipe_unix_sources }),
        .kqueue => concat(b, &.{ &poller_sources, &kqueue_sources, &pipe_unix_sources }),
        .poll => concat(b, &.{ &poller_sources, &poll_sources, wakefd, &pipe_unix_sources }),
        .wasi => return concat(b, &.{ &core_sources, &poller_sources, &wasi_sources }),
        .none => &none_sources,
    };
    return concat(b, &.{ &core_sources, backend, &net_sources });
}

pub fn linkPlatform(m: *std.Build.Module, t: std.Target) void {
    if (t.os.tag == .windows) {
        m.linkSystemLibrary("ws2_32", .{});
        // Named pipes: the listener's security descriptor (pipe_listener.c).
        m.linkSystemLibrary("advapi32", .{});
    }
}

pub const LibOptions = struct {
    target: std.Build.ResolvedTarget,
    optimize: std.builtin.OptimizeMode,
    linkage: std.builtin.LinkMode,
    sanitize_thread: bool = false,
    /// Installed libraries must not need Zig's UBSan runtime, which a
    /// program linked by another toolchain does not have: in Debug they
    /// trap on undefined behaviour instead. Test builds keep the runtime for
    /// readable reports.
    installed: bool = true,
    /// Sockets per AFD handle on Windows (AFDIO_POLL_GROUP_SIZE); null:
    /// -Dpoll-group-size if given, else the library's default (32).
    poll_group_size: ?u32 = null,
    /// Whether the shared library is installed beside this one: on Windows
    /// the DLL's import library is afdio.lib, so the static library is then
    /// named afdio_static.lib (libuv does the same with uv_a.lib).
    beside_dll: bool = false,
    /// null: the target's own backend, or -Dbackend.
    backend: ?Backend = null,
};

pub fn addAfdio(b: *std.Build, o: LibOptions) *std.Build.Step.Compile {
    const t = o.target.result;
    const mod = b.createModule(.{
        .target = o.target,
        .optimize = o.optimize,
        .link_libc = true,
        .sanitize_thread = if (o.sanitize_thread) true else null,
        .sanitize_c = if (o.installed) .trap else null,
    });
    var extra: std.ArrayList([]const u8) = .empty;
    if (o.linkage == .dynamic and t.os.tag == .windows)
        extra.append(b.allocator, "-DAFDIO_BUILDING_DLL") catch @panic("OOM");
    if (o.poll_group_size orelse poll_group_size) |n|
        extra.append(b.allocator, b.fmt("-DAFDIO_POLL_GROUP_SIZE={d}", .{n})) catch @panic("OOM");
    mod.addCSourceFiles(.{ .files = libSourcesFor(b, t, o.backend), .flags = cFlags(b, t, extra.items) });
    mod.addIncludePath(b.path("include"));
    mod.addIncludePath(b.path("."));
    linkPlatform(mod, t);
    const lib = b.addLibrary(.{
        .name = if (o.beside_dll and o.linkage == .static and t.os.tag == .windows) "afdio_static" else "afdio",
        .linkage = o.linkage,
        .root_module = mod,
        .version = if (o.linkage == .dynamic and t.os.tag != .windows) version else null,
    });
    // afdio_epoll.h comes with the afdio_epoll library (Windows) only.
    lib.installHeadersDirectory(b.path("include"), "", .{ .exclude_extensions = &.{"afdio_epoll.h"} });
    return lib;
}

fn pkgConfig(b: *std.Build, t: std.Target) std.Build.LazyPath {
    const private = if (t.os.tag == .windows) "-lws2_32 -ladvapi32" else "-lpthread";
    const text = b.fmt(
        \\# afdio is distributed under the MIT license: share/licenses/afdio/LICENSE.
        \\prefix=${{pcfiledir}}/../..
        \\libdir=${{prefix}}/lib
        \\includedir=${{prefix}}/include
        \\
        \\Name: afdio
        \\Description: Readiness-based non-blocking network I/O (AFD/IOCP, epoll, kqueue)
        \\Version: {s}
        \\License: MIT
        \\Libs: -L${{libdir}} -lafdio
        \\Libs.private: {s}
        \\Cflags: -I${{includedir}}
        \\
    , .{ zon.version, private });
    return b.addWriteFiles().add("afdio.pc", text);
}

/// The C files of test executable `name` for target t: the test, the shared
/// helpers, and with `shim` the Criterion-compatible runner.
pub fn testSources(b: *std.Build, name: []const u8, t: std.Target, shim: bool) []const []const u8 {
    const windows = t.os.tag == .windows;
    const runner: []const []const u8 = if (!shim) &.{} else if (windows) &shim_runner_windows else &shim_runner_posix;
    return concat(b, &.{ &.{b.fmt("tests/{s}.c", .{name})}, &test_util_common, if (windows) &test_util_windows else &test_util_unix, runner });
}

/// Tests may use GNU extensions (typeof in the shim's assertions), and
/// tests/errors_table.c compares the header with build.zig.zon's version.
pub fn testFlags(b: *std.Build, t: std.Target) []const []const u8 {
    return cFlags(b, t, &.{ "-std=gnu11", b.fmt("-DAFDIO_TEST_ZON_VERSION=\"{s}\"", .{zon.version}) });
}

/// Builds one executable per test file for the target: Criterion natively,
/// the shim runner on Windows.
pub fn addTestExes(b: *std.Build, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode, names: []const []const u8) []*std.Build.Step.Compile {
    return addTestExesOn(b, target, optimize, names, null);
}

/// As addTestExes, against the given backend (null: the target's own).
pub fn addTestExesOn(b: *std.Build, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode, names: []const []const u8, backend: ?Backend) []*std.Build.Step.Compile {
    const t = target.result;
    const windows = t.os.tag == .windows;
    const lib = addAfdio(b, .{ .target = target, .optimize = optimize, .linkage = .static, .installed = false, .backend = backend });
    const exes = b.allocator.alloc(*std.Build.Step.Compile, names.len) catch @panic("OOM");
    for (names, exes) |name, *exe| {
        const mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
        mod.addCSourceFiles(.{ .files = testSources(b, name, t, windows), .flags = testFlags(b, t) });
        if (windows) mod.addIncludePath(b.path("tests/shim"));
        mod.addIncludePath(b.path("include"));
        mod.addIncludePath(b.path("tests"));
        mod.addIncludePath(b.path("."));
        mod.linkLibrary(lib);
        linkPlatform(mod, t);
        if (!windows) mod.linkSystemLibrary("criterion", .{});
        exe.* = b.addExecutable(.{ .name = name, .root_module = mod });
        // Criterion finds tests through a linker section: keep it.
        exe.*.link_gc_sections = false;
    }
    return exes;
}

/// tests/wasi/poller.c for wasm32-wasi (no Criterion there: it counts its
/// own checks and prints the shim runner's summary line).
fn addWasiTest(b: *std.Build, optimize: std.builtin.OptimizeMode) *std.Build.Step.Compile {
    const target = b.resolveTargetQuery(std.Target.Query.parse(.{ .arch_os_abi = "wasm32-wasi" }) catch unreachable);
    const lib = addAfdio(b, .{ .target = target, .optimize = optimize, .linkage = .static });
    const mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
    mod.addCSourceFiles(.{ .files = &.{"tests/wasi/poller.c"}, .flags = testFlags(b, target.result) });
    mod.addIncludePath(b.path("include"));
    mod.linkLibrary(lib);
    return b.addExecutable(.{ .name = "wasi_poller", .root_module = mod });
}

/// Runs test executables through tests/run-suite.sh (one line per binary,
/// a closing count; Windows binaries under Wine).
pub fn addSuiteRun(b: *std.Build, half: []const u8, filter: []const u8, exes: []const *std.Build.Step.Compile) *std.Build.Step.Run {
    const run = b.addSystemCommand(&.{"bash"});
    run.addFileArg(b.path("tests/run-suite.sh"));
    run.addArgs(&.{ half, b.cache_root.join(b.allocator, &.{"wine"}) catch @panic("OOM"), filter });
    for (exes) |exe| run.addArtifactArg(exe);
    run.has_side_effects = true;
    run.setCwd(b.path("."));
    return run;
}

pub const WineRunOptions = wine.Options;

/// For projects that depend on afdio: runs `exe` (built for Windows) under
/// Wine as a build step, in a Wine prefix private to the project's build
/// cache, with a Wine server kept up for the run and `options.timeout_s`
/// as a bound. The step fails unless the program exits with
/// `options.expect_exit_code`, and says so clearly when Wine is missing or
/// older than 7.13 (the first with a working IOCTL_AFD_POLL). In build.zig:
///     const afdio = @import("afdio");
///     b.step("test-windows", "...").dependOn(&afdio.addWineRun(b, test_exe, .{}).step);
pub fn addWineRun(b: *std.Build, exe: *std.Build.Step.Compile, options: WineRunOptions) *std.Build.Step.Run {
    const self = b.dependencyFromBuildZig(@This(), .{});
    return wine.addRun(b, self.path("build/wine.sh"), exe, options);
}

/// -Dpoll-group-size: read once in build(), used by every library build.
pub var poll_group_size: ?u32 = null;

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    poll_group_size = b.option(u32, "poll-group-size", "Windows: sockets per AFD handle (default 32); bench-cancel measures only this size");
    if (poll_group_size) |n| if (n == 0) std.debug.panic("-Dpoll-group-size must be at least 1", .{});
    backend_override = b.option(Backend, "backend", "Force a backend: poll replaces epoll or kqueue (default: the target's own)");

    // The library, static and shared, for the chosen target. Both by
    // default; a project that depends on afdio picks one with .linkage, so
    // that dependency.artifact("afdio") is unambiguous.
    const only = b.option(std.builtin.LinkMode, "linkage", "Build only the static or only the dynamic library (default: both)");
    for ([_]std.builtin.LinkMode{ .static, .dynamic }) |linkage| {
        if (only != null and only.? != linkage) continue;
        b.installArtifact(addAfdio(b, .{ .target = target, .optimize = optimize, .linkage = linkage, .beside_dll = only == null }));
    }
    b.getInstallStep().dependOn(&b.addInstallFile(pkgConfig(b, target.result), "lib/pkgconfig/afdio.pc").step);
    b.installFile("LICENSE", "share/licenses/afdio/LICENSE");

    // afdio_epoll (build/epoll.zig), for a Windows target.
    epoll_compat.install(b, target, optimize, only);

    // A dependent project gets the library only: the rest is afdio's own.
    if (b.pkg_hash.len != 0) return;

    // Tests: native (Criterion) and Windows (shim runner, under Wine).
    const filter = b.option([]const u8, "test-filter", "Run only tests matching suite/name (glob)") orelse "";
    const native = b.graph.host;
    const windows = b.resolveTargetQuery(std.Target.Query.parse(.{ .arch_os_abi = windows_test_target }) catch unreachable);
    const native_names = concat(b, &.{ &tests_common, &tests_unix_only });
    const native_exes = addTestExes(b, native, optimize, native_names);
    // afdio_epoll's Windows test, and its echo check on each half.
    const compat = epoll_compat.addChecks(b, optimize, native, windows);
    const windows_exes = std.mem.concat(b.allocator, *std.Build.Step.Compile, &.{ addTestExes(b, windows, optimize, concat(b, &.{ &tests_common, &tests_windows_only })), &.{compat.test_exe} }) catch @panic("OOM");

    const test_native = b.step("test-native", "Build and run the tests natively (Criterion)");
    test_native.dependOn(&addSuiteRun(b, "native", filter, native_exes).step);
    const test_windows = b.step("test-windows", "Build the Windows tests and run them under Wine");
    test_windows.dependOn(&addSuiteRun(b, "windows", filter, windows_exes).step);
    test_windows.dependOn(compat.windows_check);
    if (compat.native_check) |step| test_native.dependOn(step);
    // The native suite a second time, on the poll(2) backend (the host's
    // epoll or kqueue replaced).
    const poll_exes = addTestExesOn(b, native, optimize, native_names, .poll);
    const test_native_poll = b.step("test-native-poll", "Build and run the native tests against the poll(2) backend");
    test_native_poll.dependOn(&addSuiteRun(b, "native-poll", filter, poll_exes).step);
    // WASI (preview 1): the poller module under wasmtime (tests/wasi/).
    const test_wasi = b.step("test-wasi", "Build the WASI test module and run it in wasmtime (pip: wasmtime)");
    test_wasi.dependOn(&addSuiteRun(b, "wasi", filter, &.{addWasiTest(b, optimize)}).step);
    const test_step = b.step("test", "Run both halves: native (its own backend and poll) and Windows under Wine, and the WASI module");
    test_step.dependOn(test_native);
    test_step.dependOn(test_native_poll);
    test_step.dependOn(test_windows);
    test_step.dependOn(test_wasi);

    const test_build = b.step("test-build", "Build every test executable, run none");
    for (native_exes) |exe| test_build.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "tests/native" } } }).step);
    for (poll_exes) |exe| test_build.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "tests/native-poll" } } }).step);
    for (windows_exes) |exe| test_build.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "tests/windows" } } }).step);

    // Developer-only steps, each in build/<name>.zig.
    sanitizers.addSteps(b, optimize, filter, native_names);
    cross.addSteps(b, optimize);
    examples.addSteps(b, native, windows, optimize);
    bench.addSteps(b, native, windows, optimize);
}
