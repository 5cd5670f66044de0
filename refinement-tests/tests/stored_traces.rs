//! Stored QEMU traces (`refinement-tests/traces/`), recorded from examples and test
//! programs by the trace kernel, replay on the spec as it is today: a change to the spec
//! that breaks agreement with a real recorded run fails here, without QEMU.

use refinement_tests::replay::replay_file;

#[test]
fn every_stored_trace_replays_on_the_spec() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("refinement-tests/traces")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "trace"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "stored traces: {files:?}");
    for f in files {
        match replay_file(&f) {
            Ok(line) => println!("{line}"),
            Err(why) => panic!(
                "{}: {why}\n(if the trace format changed, record it again: see traces/README.md)",
                f.display()
            ),
        }
    }
}
