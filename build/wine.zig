//! Running Windows programs under Wine as build steps: afdio's bench-cancel,
//! and the programs of projects that depend on afdio, through build.zig's
//! `addWineRun`. The work is done by build/wine.sh (prefix, server, timeout,
//! version check), which afdio's own test scripts source as well.
const std = @import("std");

pub const Options = struct {
    /// Seconds before the program is killed; the step then fails.
    timeout_s: u32 = 300,
    /// The exit code the step requires of the program.
    expect_exit_code: u8 = 0,
    /// Arguments for the program (more can be added to the returned step).
    args: []const []const u8 = &.{},
};

/// Runs `exe` under Wine with build/wine.sh (`script`) in a prefix kept in
/// b's cache (`<cache>/wine/wineprefix`), created on first use.
pub fn addRun(b: *std.Build, script: std.Build.LazyPath, exe: *std.Build.Step.Compile, o: Options) *std.Build.Step.Run {
    if (exe.rootModuleTarget().os.tag != .windows)
        std.debug.panic("addWineRun: '{s}' is not built for Windows (use a -windows target)", .{exe.name});
    const run = b.addSystemCommand(&.{"bash"});
    run.setName(b.fmt("wine {s}", .{exe.name}));
    run.addFileArg(script);
    run.addArgs(&.{ "run", b.cache_root.join(b.allocator, &.{"wine"}) catch @panic("OOM"), b.fmt("{d}", .{o.timeout_s}) });
    run.addArtifactArg(exe);
    run.addArgs(o.args);
    // Exit code 0 is the Run step's default check, and keeps the program's
    // output streaming to the terminal; another code needs the explicit check.
    if (o.expect_exit_code != 0) run.expectExitCode(o.expect_exit_code);
    run.has_side_effects = true;
    return run;
}
