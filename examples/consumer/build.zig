//! An echo server and its test, built for this machine and for Windows.
//! `zig build test` runs the test natively and its Windows build under Wine.
const std = @import("std");
const afdio = @import("afdio"); // afdio's build.zig, for addWineRun

pub fn build(b: *std.Build) void {
    const optimize = b.standardOptimizeOption(.{});
    const windows = b.resolveTargetQuery(.{ .cpu_arch = .x86_64, .os_tag = .windows, .abi = .gnu });
    const test_native = b.step("test-native", "Run the test natively");
    const test_windows = b.step("test-windows", "Run the test's Windows build under Wine");
    const test_step = b.step("test", "Run the test natively and under Wine");
    test_step.dependOn(test_native);
    test_step.dependOn(test_windows);

    for ([_]std.Build.ResolvedTarget{ b.graph.host, windows }) |target| {
        const dep = b.dependency("afdio", .{ .target = target, .optimize = optimize, .linkage = .static });
        const lib = dep.artifact("afdio"); // brings afdio.h, and ws2_32 on Windows
        b.installArtifact(program(b, "echo_server", target, optimize, lib));
        const echo_test = program(b, "echo_test", target, optimize, lib);
        b.installArtifact(echo_test);
        if (target.result.os.tag == .windows)
            test_windows.dependOn(&afdio.addWineRun(b, echo_test, .{ .timeout_s = 120 }).step)
        else
            test_native.dependOn(&b.addRunArtifact(echo_test).step);
    }
}

/// src/<name>.c and the server module, linked with afdio.
fn program(b: *std.Build, name: []const u8, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode, lib: *std.Build.Step.Compile) *std.Build.Step.Compile {
    const mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
    const flags = &.{ "-std=c11", "-Wall", "-Wextra", "-Werror" };
    mod.addCSourceFiles(.{ .files = &.{ b.fmt("src/{s}.c", .{name}), "src/echo.c" }, .flags = flags });
    mod.linkLibrary(lib);
    return b.addExecutable(.{ .name = name, .root_module = mod });
}
