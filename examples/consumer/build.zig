//! A project that uses afdio: an echo server built for this machine and for
//! Windows, and its test, run natively and under Wine.
//!   zig build                  echo_server and echo_test, both platforms
//!   zig build test             the test natively and its Windows build under Wine
//!   zig build test-windows     only the Windows build, under Wine
const std = @import("std");
const afdio = @import("afdio");

pub fn build(b: *std.Build) void {
    const optimize = b.standardOptimizeOption(.{});
    const native = b.graph.host;
    const windows = b.resolveTargetQuery(.{ .cpu_arch = .x86_64, .os_tag = .windows, .abi = .gnu });

    const test_step = b.step("test", "Run the echo test natively and under Wine");
    const test_native = b.step("test-native", "Run the echo test natively");
    const test_windows = b.step("test-windows", "Run the echo test's Windows build under Wine");

    for ([_]std.Build.ResolvedTarget{ native, windows }) |target| {
        const dep = b.dependency("afdio", .{ .target = target, .optimize = optimize, .linkage = .static });
        b.installArtifact(program(b, "echo_server", "src/echo_server.c", target, optimize, dep));
        const echo_test = program(b, "echo_test", "src/echo_test.c", target, optimize, dep);
        b.installArtifact(echo_test);
        if (target.result.os.tag == .windows) {
            test_windows.dependOn(&afdio.addWineRun(b, echo_test, .{ .timeout_s = 120 }).step);
        } else {
            test_native.dependOn(&b.addRunArtifact(echo_test).step);
        }
    }
    test_step.dependOn(test_native);
    test_step.dependOn(test_windows);
}

fn program(b: *std.Build, name: []const u8, main: []const u8, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode, afdio_dep: *std.Build.Dependency) *std.Build.Step.Compile {
    const mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
    mod.addCSourceFiles(.{ .files = &.{ main, "src/echo.c" }, .flags = &.{ "-std=c11", "-Wall", "-Wextra", "-Werror" } });
    mod.linkLibrary(afdio_dep.artifact("afdio")); // brings afdio.h and, on Windows, ws2_32
    return b.addExecutable(.{ .name = name, .root_module = mod });
}
