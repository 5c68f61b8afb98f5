//! Reliability runs of the native suite, outside `make test`: ASan+UBSan
//! (built by gcc: Zig 0.15 ships no ASan runtime), ThreadSanitizer on the
//! threaded suites, valgrind memcheck, and the fuzz corpus replay.
const std = @import("std");
const afdio = @import("../build.zig");

/// The tests `zig build test-tsan` runs: the threaded suites.
const tests_tsan = [_][]const u8{ "poller_threads", "torture", "model", "timers" };

pub fn addSteps(b: *std.Build, optimize: std.builtin.OptimizeMode, filter: []const u8, native_names: []const []const u8) void {
    const native = b.graph.host;

    const test_asan = b.step("test-asan", "Run the native tests under ASan+UBSan (built with gcc)");
    test_asan.dependOn(&addGccSanitizedSuite(b, filter, native_names).step);

    // Criterion itself cannot start under TSan: these use the pthread shim runner.
    const test_tsan = b.step("test-tsan", "Run the threaded native tests under ThreadSanitizer (shim runner)");
    test_tsan.dependOn(&afdio.addSuiteRun(b, "native", filter, addTsanExes(b, native, optimize)).step);

    const fuzz_replay = b.addSystemCommand(&.{ "bash", "tests/fuzz/run.sh", "replay" });
    fuzz_replay.addArg(b.cache_root.join(b.allocator, &.{"fuzz-replay"}) catch @panic("OOM"));
    fuzz_replay.has_side_effects = true;
    fuzz_replay.setCwd(b.path("."));
    b.step("test-fuzz-replay", "Replay the fuzz corpus (tests/fuzz/corpus) natively, without the fuzzer").dependOn(&fuzz_replay.step);

    // valgrind cannot run every instruction of the host CPU (it stops with
    // SIGILL inside Zig's memset on AVX-512 machines): build for baseline.
    const test_valgrind = b.step("test-valgrind", "Run the native tests under valgrind memcheck");
    const baseline = b.resolveTargetQuery(.{ .cpu_model = .baseline });
    const valgrind_exes = afdio.addTestExes(b, baseline, optimize, native_names);
    test_valgrind.dependOn(&afdio.addSuiteRun(b, "native-valgrind", filter, valgrind_exes).step);
}

/// Builds tests_tsan natively with -fsanitize=thread, linked with the
/// pthread shim runner (tests/shim/runner_posix.c) instead of Criterion.
fn addTsanExes(b: *std.Build, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode) []const *std.Build.Step.Compile {
    const t = target.result;
    const lib = afdio.addAfdio(b, .{ .target = target, .optimize = optimize, .linkage = .static, .sanitize_thread = true, .installed = false });
    var exes: std.ArrayList(*std.Build.Step.Compile) = .empty;
    for (tests_tsan) |name| {
        const mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true, .sanitize_thread = true });
        mod.addCSourceFiles(.{ .files = afdio.testSources(b, name, t, true), .flags = afdio.testFlags(b, t) });
        mod.addIncludePath(b.path("tests/shim"));
        mod.addIncludePath(b.path("include"));
        mod.addIncludePath(b.path("tests"));
        mod.addIncludePath(b.path("."));
        mod.linkLibrary(lib);
        mod.linkSystemLibrary("pthread", .{});
        exes.append(b.allocator, b.addExecutable(.{ .name = b.fmt("{s}_tsan", .{name}), .root_module = mod })) catch @panic("OOM");
    }
    return exes.items;
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
        cc.addArgs(afdio.testFlags(b, host));
        cc.addArgs(&.{ "-Iinclude", "-I.", "-Itests" });
        for (afdio.libSources(b, host)) |src| cc.addFileArg(b.path(src));
        for (afdio.testSources(b, name, host, false)) |src| cc.addFileArg(b.path(src));
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
