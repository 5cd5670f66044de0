//! `replay FILE...`: replays kernel traces (recorded by a kernel built with the `trace`
//! feature) on the spec and reports the entries compared, or the first divergence.
//! `cargo xtask refine --trace FILE` runs it.

use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!(
            "usage: replay TRACE_FILE...  (record one with `cargo xtask refine --record PROGRAM`)"
        );
        return ExitCode::from(2);
    }
    let mut failed = false;
    for f in &files {
        match refinement_tests::replay::replay_file(std::path::Path::new(f)) {
            Ok(line) => println!("{line}"),
            Err(why) => {
                eprintln!("{f}: {why}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
