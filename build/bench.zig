//! Benchmarks (bench/): one executable per program, each linked with the
//! shared core and the backends of its platform, built for the host and for
//! Windows and run by bench/run.sh; and bench-cancel (AFD group size vs the
//! cost of an interest change, under Wine). Always optimized: Debug builds
//! would measure the wrong thing. `zig build bench-build` only builds.
const std = @import("std");
const afdio = @import("../build.zig");
const wine = @import("wine.zig");
const examples = @import("examples.zig");
const epoll_compat = @import("epoll.zig");

const bench_programs = [_][]const u8{ "pingpong", "idle_scale", "churn", "timers", "pipe_pingpong" };
const bench_common = [_][]const u8{ "bench/pp.c", "bench/base_afdio.c" };
const bench_linux = [_][]const u8{
    "bench/plat_unix.c",
    "bench/alloc_unix.c",
    "bench/list_linux.c",
    "bench/base_epoll.c",
    "bench/base_libuv.c",
    "bench/base_libevent.c",
    "bench/pipe_base_unix.c",
};
const bench_windows = [_][]const u8{
    "bench/plat_win.c",
    "bench/alloc_win.c",
    "bench/list_windows.c",
    "bench/base_wsapoll.c",
    "bench/base_select.c",
    "bench/base_epoll_api.c",
    "bench/pipe_base_win.c",
};

fn addBenchExes(b: *std.Build, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode) []const *std.Build.Step.Compile {
    const t = target.result;
    const windows = t.os.tag == .windows;
    // On Windows afdio_epoll (afdio plus the epoll API) serves both the
    // native and the epoll-API backends.
    const lib = if (windows) epoll_compat.addAfdioEpoll(b, .{ .target = target, .optimize = optimize, .linkage = .static }) else afdio.addAfdio(b, .{ .target = target, .optimize = optimize, .linkage = .static });
    var exes: std.ArrayList(*std.Build.Step.Compile) = .empty;
    for (bench_programs) |name| {
        const mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
        var files: std.ArrayList([]const u8) = .empty;
        files.append(b.allocator, b.fmt("bench/{s}.c", .{name})) catch @panic("OOM");
        files.appendSlice(b.allocator, &bench_common) catch @panic("OOM");
        files.appendSlice(b.allocator, if (windows) &bench_windows else &bench_linux) catch @panic("OOM");
        mod.addCSourceFiles(.{ .files = files.items, .flags = afdio.cFlags(b, t, &.{}) });
        mod.addIncludePath(b.path("include"));
        mod.addIncludePath(b.path("bench"));
        mod.linkLibrary(lib);
        afdio.linkPlatform(mod, t);
        if (!windows) {
            mod.linkSystemLibrary("uv", .{});
            mod.linkSystemLibrary("event_core", .{});
        }
        exes.append(b.allocator, b.addExecutable(.{ .name = name, .root_module = mod })) catch @panic("OOM");
    }
    return exes.items;
}

/// The WSAPoll baselines of bench/http_wine.sh and bench/echo_wine.sh:
/// http_hello and echo_server over WSAPoll (Windows).
fn addWsapollServer(b: *std.Build, windows: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode, name: []const u8) *std.Build.Step.Compile {
    const mod = b.createModule(.{ .target = windows, .optimize = optimize, .link_libc = true });
    const flags = afdio.cFlags(b, windows.result, &.{});
    mod.addCSourceFiles(.{ .files = &.{ b.fmt("bench/{s}.c", .{name}), "bench/wsapoll_server.c" }, .flags = flags });
    if (std.mem.eql(u8, name, "http_wsapoll"))
        mod.addCSourceFiles(.{ .files = &examples.http_sources, .flags = flags });
    mod.addIncludePath(b.path("examples"));
    afdio.linkPlatform(mod, windows.result);
    return b.addExecutable(.{ .name = name, .root_module = mod });
}

pub fn addSteps(b: *std.Build, native: std.Build.ResolvedTarget, windows: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode) void {
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
        for (addBenchExes(b, host, opt)) |exe| {
            build_step.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "bench/native" } } }).step);
            run.addArtifactArg(exe);
        }
    }
    run.addArg("--windows");
    for (addBenchExes(b, windows, opt)) |exe| {
        build_step.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "bench/windows" } } }).step);
        run.addArtifactArg(exe);
    }
    // bench/http_wine.sh: http_hello.exe against its WSAPoll twin.
    run.addArg("--http");
    const windows_examples = examples.addExampleExes(b, windows, opt);
    const http = [_]*std.Build.Step.Compile{ windows_examples[examples.exampleIndex("http_hello")], addWsapollServer(b, windows, opt, "http_wsapoll") };
    for (http) |exe| {
        build_step.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "bench/windows" } } }).step);
        run.addArtifactArg(exe);
    }
    // bench/echo_wine.sh (not part of make bench): echo_server.exe against
    // its WSAPoll twin, driven by the native echo_client; built here.
    const echo = [_]*std.Build.Step.Compile{ windows_examples[examples.exampleIndex("echo_server")], addWsapollServer(b, windows, opt, "echo_wsapoll"), examples.addExampleExes(b, native, opt)[examples.exampleIndex("echo_client")] };
    for (echo, [_][]const u8{ "bench/windows", "bench/windows", "bench/native" }) |exe, dir|
        build_step.dependOn(&b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = dir } } }).step);
    run.has_side_effects = true;
    run.setCwd(b.path("."));
    bench_step.dependOn(&run.step);
    addBenchCancel(b, windows);
}

/// `zig build bench-cancel`: bench/cancel_cost.c, built for Windows and run
/// under Wine, once per AFD group size: each executable links a library
/// built with that size (-Dpoll-group-size=N measures N alone), so bench/
/// needs no internal call.
const bench_cancel_group_sizes = [_]u32{ 1, 8, 32, 128, 512 };

fn addBenchCancel(b: *std.Build, windows: std.Build.ResolvedTarget) void {
    const step = b.step("bench-cancel", "Measure AFD cancel cost by group size (under Wine)");
    const one = [_]u32{afdio.poll_group_size orelse 0};
    const sizes: []const u32 = if (afdio.poll_group_size != null) &one else &bench_cancel_group_sizes;
    var previous: ?*std.Build.Step = null;
    for (sizes) |size| {
        const mod = b.createModule(.{ .target = windows, .optimize = .ReleaseFast, .link_libc = true });
        mod.addCSourceFiles(.{ .files = &.{"bench/cancel_cost.c"}, .flags = afdio.cFlags(b, windows.result, &.{b.fmt("-DBENCH_POLL_GROUP_SIZE={d}", .{size})}) });
        mod.addIncludePath(b.path("include"));
        mod.linkLibrary(afdio.addAfdio(b, .{ .target = windows, .optimize = .ReleaseFast, .linkage = .static, .poll_group_size = size }));
        afdio.linkPlatform(mod, windows.result);
        const exe = b.addExecutable(.{ .name = b.fmt("cancel_cost_g{d}", .{size}), .root_module = mod });
        const run = wine.addRun(b, b.path("build/wine.sh"), exe, .{ .timeout_s = 1800 });
        // One at a time: they measure, and would disturb each other.
        if (previous) |p| run.step.dependOn(p);
        previous = &run.step;
        step.dependOn(&run.step);
    }
}
