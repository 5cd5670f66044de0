#[test]
fn show() {
    let bytes = std::fs::read("/tmp/ciclone/target/traces/soak/shrink-0.trace").unwrap();
    let bytes = &bytes[..bytes.len().min(40 << 20)];
    let (t, _) = trace_format::decode_prefix(bytes).unwrap();
    eprintln!("{} steps", t.steps.len());
    let n = t.steps.len();
    for s in &t.steps[..80.min(n)] {
        eprintln!("{}", refinement_tests::replay::describe(&s.entry));
    }
    eprintln!("...");
    for s in &t.steps[n.saturating_sub(30)..] {
        eprintln!(
            "{} restores {:?}",
            refinement_tests::replay::describe(&s.entry),
            s.restores
        );
    }
}
