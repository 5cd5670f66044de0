//! Every scenario in `spec/scenarios/` runs to the end, its `expect` lines hold, and the
//! Graphviz output is produced.

#[test]
fn all_scenarios_run() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("scenarios folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let (transcript, sim) =
            spec::scenario::run(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(transcript.contains("final state:"));
        assert!(spec::scenario::dot(&sim.s).starts_with("digraph"));
        n += 1;
    }
    assert!(n >= 3, "expected the walkthrough scenarios");
}

#[test]
fn a_failed_expectation_names_its_line() {
    let e = spec::scenario::run("retype 16 Endpoint 0 100 1\nexpect current nobody\n").unwrap_err();
    assert_eq!(e.line, 2);
    let e = spec::scenario::run("frobnicate\n").unwrap_err();
    assert_eq!(e.line, 1);
}
