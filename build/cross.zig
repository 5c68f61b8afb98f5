//! `zig build cross`: the library, static and shared, for every supported
//! target, into zig-out/cross/<triple>/.
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
};

pub fn addSteps(b: *std.Build, optimize: std.builtin.OptimizeMode) void {
    const cross = b.step("cross", "Build the library for every supported target");
    for (cross_targets) |triple| {
        const t = b.resolveTargetQuery(std.Target.Query.parse(.{ .arch_os_abi = triple }) catch unreachable);
        const dir: std.Build.InstallDir = .{ .custom = b.fmt("cross/{s}", .{triple}) };
        for ([_]std.builtin.LinkMode{ .static, .dynamic }) |linkage| {
            const dll = linkage == .dynamic and t.result.os.tag == .windows;
            cross.dependOn(&b.addInstallArtifact(afdio.addAfdio(b, .{ .target = t, .optimize = optimize, .linkage = linkage, .beside_dll = true }), .{
                .dest_dir = .{ .override = dir },
                .h_dir = .disabled,
                .implib_dir = if (dll) .{ .override = dir } else .default,
                .pdb_dir = .disabled,
            }).step);
        }
    }
}
