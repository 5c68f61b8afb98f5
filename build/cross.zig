//! `zig build cross`: the library, static and shared, for every supported
//! target, into zig-out/cross/<triple>/, and for the backends a target can
//! be built with besides its own (x86_64-linux-gnu on poll(2): the build of
//! illumos, Solaris, Haiku, AIX and the Hurd, whose libc Zig cannot
//! provide), into zig-out/cross/<triple>-<backend>/.
const std = @import("std");
const afdio = @import("../build.zig");

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
    "wasm32-wasi", // static only: WASI preview 1 has no shared libraries
};

const Extra = struct { triple: []const u8, backend: afdio.Backend };
const cross_backends = [_]Extra{
    .{ .triple = "x86_64-linux-gnu", .backend = .poll },
    .{ .triple = "aarch64-macos", .backend = .poll },
};

pub fn addSteps(b: *std.Build, optimize: std.builtin.OptimizeMode) void {
    const cross = b.step("cross", "Build the library for every supported target");
    for (cross_targets) |triple| addTarget(b, cross, optimize, triple, null);
    for (cross_backends) |e| addTarget(b, cross, optimize, e.triple, e.backend);
}

fn addTarget(b: *std.Build, cross: *std.Build.Step, optimize: std.builtin.OptimizeMode, triple: []const u8, backend: ?afdio.Backend) void {
    const t = b.resolveTargetQuery(std.Target.Query.parse(.{ .arch_os_abi = triple }) catch unreachable);
    const name = if (backend) |be| b.fmt("{s}-{s}", .{ triple, @tagName(be) }) else triple;
    const dir: std.Build.InstallDir = .{ .custom = b.fmt("cross/{s}", .{name}) };
    for ([_]std.builtin.LinkMode{ .static, .dynamic }) |linkage| {
        if (linkage == .dynamic and t.result.os.tag == .wasi) continue;
        const dll = linkage == .dynamic and t.result.os.tag == .windows;
        cross.dependOn(&b.addInstallArtifact(afdio.addAfdio(b, .{ .target = t, .optimize = optimize, .linkage = linkage, .beside_dll = true, .backend = backend }), .{
            .dest_dir = .{ .override = dir },
            .h_dir = .disabled,
            .implib_dir = if (dll) .{ .override = dir } else .default,
            .pdb_dir = .disabled,
        }).step);
    }
}
