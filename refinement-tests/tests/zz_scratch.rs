#[test]
fn show() {
    let bytes = std::fs::read("/work/main/target/traces/soak/shrink-0.trace").unwrap();
    let (t, _) = trace_format::decode_prefix(&bytes).unwrap();
    eprintln!("{} steps", t.steps.len());
    for (i, s) in t.steps.iter().enumerate().skip(85).take(17) {
        let x = s.exit.as_ref();
        eprintln!(
            "{}: {} -> current {:#x} action {:#x} ready {:?}",
            i + 1,
            refinement_tests::replay::describe(&s.entry),
            x.map_or(0, |x| x.current),
            x.map_or(0, |x| x.sched_action),
            x.map(|x| &x.ready)
        );
        if let Some(x) = x {
            for (a, th) in &x.threads {
                eprintln!(
                    "    {:#x} state {} prio {} fault_ip {:#x}",
                    a, th.state, th.priority, th.fault_ip
                );
            }
        }
    }
}
