//! Examples (examples/<name>.c), built for the host and for Windows, each
//! linked with the shared helpers and its platform's glue file (no #if in the
//! examples). `zig build examples` installs them; `zig build demo` runs
//! examples/demo.sh: the Windows servers under Wine, driven by the native
//! client, wrk and curl.
const std = @import("std");
const afdio = @import("../build.zig");

const example_programs = [_][]const u8{ "poll_hello", "echo_server", "echo_client", "http_hello", "udp_echo", "pipe_echo" };
const example_common = [_][]const u8{"examples/common.c"};
/// http_hello's parser and answers, shared with bench/http_wsapoll.c.
pub const http_sources = [_][]const u8{ "examples/http_parse.c", "examples/http_reply.c" };
const example_unix = [_][]const u8{"examples/signal_unix.c"};
const example_windows = [_][]const u8{"examples/signal_win.c"};

pub fn addExampleExes(b: *std.Build, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode) [example_programs.len]*std.Build.Step.Compile {
    const t = target.result;
    const lib = afdio.addAfdio(b, .{ .target = target, .optimize = optimize, .linkage = .static });
    var exes: [example_programs.len]*std.Build.Step.Compile = undefined;
    for (example_programs, 0..) |name, i| {
        const mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
        const flags = afdio.cFlags(b, t, &.{});
        mod.addCSourceFiles(.{ .files = &.{b.fmt("examples/{s}.c", .{name})}, .flags = flags });
        if (std.mem.eql(u8, name, "http_hello"))
            mod.addCSourceFiles(.{ .files = &http_sources, .flags = flags });
        mod.addCSourceFiles(.{ .files = &example_common, .flags = flags });
        mod.addCSourceFiles(.{ .files = if (t.os.tag == .windows) &example_windows else &example_unix, .flags = flags });
        mod.addIncludePath(b.path("include"));
        mod.linkLibrary(lib);
        afdio.linkPlatform(mod, t);
        exes[i] = b.addExecutable(.{ .name = name, .root_module = mod });
    }
    return exes;
}

pub fn exampleIndex(name: []const u8) usize {
    for (example_programs, 0..) |n, i| {
        if (std.mem.eql(u8, n, name)) return i;
    }
    unreachable;
}

pub fn addSteps(b: *std.Build, native: std.Build.ResolvedTarget, windows: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode) void {
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
    run.addArtifactArg(demo_native[exampleIndex("pipe_echo")]);
    run.addArtifactArg(demo_windows[exampleIndex("pipe_echo")]);
    run.has_side_effects = true;
    run.setCwd(b.path("."));
    demo.dependOn(&run.step);
}
