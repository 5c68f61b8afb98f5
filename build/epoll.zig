//! afdio_epoll (compat/, Windows only): wepoll's epoll API on top of afdio's
//! public API. A library of its own, which contains afdio (so a wepoll
//! program links this one library) and exports only the epoll functions:
//! plain afdio never exports epoll_*. Its DLL is afdio_epoll.dll with the
//! import library afdio_epoll.lib; beside it the static library is
//! afdio_epoll_static.lib, as for afdio. Also its test executable
//! (tests/compat_epoll.c) and the EPOLLET echo check: examples/epoll_echo.c,
//! one file built against <sys/epoll.h> on Linux and afdio_epoll.h on
//! Windows, driven by the native echo client on each half of the tests.
const std = @import("std");
const zon = @import("../build.zig.zon");
const afdio = @import("../build.zig");

const compat_sources = [_][]const u8{
    "compat/epoll.c",
    "compat/epoll_error.c",
    "compat/epoll_port.c",
    "compat/epoll_registry.c",
    "compat/epoll_table.c",
};

pub fn addAfdioEpoll(b: *std.Build, o: afdio.LibOptions) *std.Build.Step.Compile {
    const t = o.target.result;
    const mod = b.createModule(.{
        .target = o.target,
        .optimize = o.optimize,
        .link_libc = true,
        .sanitize_c = if (o.installed) .trap else null,
    });
    const dll = o.linkage == .dynamic;
    mod.addCSourceFiles(.{ .files = &compat_sources, .flags = afdio.cFlags(b, t, if (dll) &.{"-DAFDIO_EPOLL_BUILDING_DLL"} else &.{}) });
    // afdio itself, built without AFDIO_BUILDING_DLL: nothing of it exported;
    // with the AFD group size of -Dpoll-group-size, as addAfdio builds it.
    var afdio_flags: []const []const u8 = &.{};
    if (o.poll_group_size orelse afdio.poll_group_size) |n|
        afdio_flags = b.allocator.dupe([]const u8, &.{b.fmt("-DAFDIO_POLL_GROUP_SIZE={d}", .{n})}) catch @panic("OOM");
    mod.addCSourceFiles(.{ .files = afdio.libSources(b, t), .flags = afdio.cFlags(b, t, afdio_flags) });
    mod.addIncludePath(b.path("include"));
    mod.addIncludePath(b.path("."));
    afdio.linkPlatform(mod, t);
    const lib = b.addLibrary(.{
        .name = if (o.beside_dll and !dll) "afdio_epoll_static" else "afdio_epoll",
        .linkage = o.linkage,
        .root_module = mod,
    });
    lib.installHeadersDirectory(b.path("include"), "", .{});
    return lib;
}

/// The libraries and lib/pkgconfig/afdio_epoll.pc, for a Windows target.
pub fn install(b: *std.Build, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode, only: ?std.builtin.LinkMode) void {
    if (target.result.os.tag != .windows) return;
    for ([_]std.builtin.LinkMode{ .static, .dynamic }) |linkage| {
        if (only != null and only.? != linkage) continue;
        b.installArtifact(addAfdioEpoll(b, .{ .target = target, .optimize = optimize, .linkage = linkage, .beside_dll = only == null }));
    }
    const pc = b.addWriteFiles().add("afdio_epoll.pc", b.fmt(
        \\# afdio is distributed under the MIT license: share/licenses/afdio/LICENSE.
        \\prefix=${{pcfiledir}}/../..
        \\libdir=${{prefix}}/lib
        \\includedir=${{prefix}}/include
        \\
        \\Name: afdio_epoll
        \\Description: wepoll's epoll API (with EPOLLET) on afdio, for Windows
        \\Version: {s}
        \\License: MIT
        \\Libs: -L${{libdir}} -lafdio_epoll
        \\Libs.private: -lws2_32
        \\Cflags: -I${{includedir}}
        \\
    , .{zon.version}));
    b.getInstallStep().dependOn(&b.addInstallFile(pc, "lib/pkgconfig/afdio_epoll.pc").step);
}

pub const Checks = struct {
    /// tests/compat_epoll.c for Windows, linked with afdio_epoll.
    test_exe: *std.Build.Step.Compile,
    /// The echo check: the Linux build (when the host is Linux) and the
    /// Windows build under Wine.
    native_check: ?*std.Build.Step,
    windows_check: *std.Build.Step,
};

pub fn addChecks(b: *std.Build, optimize: std.builtin.OptimizeMode, native: std.Build.ResolvedTarget, windows: std.Build.ResolvedTarget) Checks {
    const lib = addAfdioEpoll(b, .{ .target = windows, .optimize = optimize, .linkage = .static, .installed = false });
    const mod = b.createModule(.{ .target = windows, .optimize = optimize, .link_libc = true });
    mod.addCSourceFiles(.{ .files = afdio.testSources(b, "compat_epoll", windows.result, true), .flags = afdio.testFlags(b, windows.result) });
    for ([_][]const u8{ "tests/shim", "include", "tests", "." }) |dir| mod.addIncludePath(b.path(dir));
    mod.linkLibrary(lib);
    afdio.linkPlatform(mod, windows.result);
    const test_exe = b.addExecutable(.{ .name = "compat_epoll", .root_module = mod });

    // Measured, so optimized, as the demo is.
    const opt: std.builtin.OptimizeMode = if (optimize == .Debug) .ReleaseFast else optimize;
    const client = addEchoClient(b, native, opt);
    return .{
        .test_exe = test_exe,
        .native_check = if (native.result.os.tag == .linux) addEchoCheck(b, native, opt, client) else null,
        .windows_check = addEchoCheck(b, windows, opt, client),
    };
}

/// examples/echo_client.c for the host, with its helpers.
fn addEchoClient(b: *std.Build, native: std.Build.ResolvedTarget, opt: std.builtin.OptimizeMode) *std.Build.Step.Compile {
    const t = native.result;
    const mod = b.createModule(.{ .target = native, .optimize = opt, .link_libc = true });
    const glue = if (t.os.tag == .windows) "examples/signal_win.c" else "examples/signal_unix.c";
    mod.addCSourceFiles(.{ .files = &.{ "examples/echo_client.c", "examples/common.c", glue }, .flags = afdio.cFlags(b, t, &.{}) });
    mod.addIncludePath(b.path("include"));
    mod.linkLibrary(afdio.addAfdio(b, .{ .target = native, .optimize = opt, .linkage = .static }));
    afdio.linkPlatform(mod, t);
    return b.addExecutable(.{ .name = "echo_client", .root_module = mod });
}

/// examples/epoll_echo.c for target (afdio_epoll on Windows, the system's
/// epoll on Linux), run by examples/epoll_echo.sh against the client.
fn addEchoCheck(b: *std.Build, target: std.Build.ResolvedTarget, opt: std.builtin.OptimizeMode, client: *std.Build.Step.Compile) *std.Build.Step {
    const m = b.createModule(.{ .target = target, .optimize = opt, .link_libc = true });
    m.addCSourceFiles(.{ .files = &.{"examples/epoll_echo.c"}, .flags = afdio.cFlags(b, target.result, &.{}) });
    if (target.result.os.tag == .windows) {
        m.addIncludePath(b.path("include"));
        m.linkLibrary(addAfdioEpoll(b, .{ .target = target, .optimize = opt, .linkage = .static }));
        afdio.linkPlatform(m, target.result);
    }
    const server = b.addExecutable(.{ .name = "epoll_echo", .root_module = m });
    const run = b.addSystemCommand(&.{"bash"});
    run.addFileArg(b.path("examples/epoll_echo.sh"));
    run.addArg(b.cache_root.join(b.allocator, &.{"wine"}) catch @panic("OOM"));
    run.addArtifactArg(client);
    run.addArtifactArg(server);
    run.has_side_effects = true;
    run.setCwd(b.path("."));
    return &run.step;
}
