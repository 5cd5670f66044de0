fn main() {
    let f = std::env::args().nth(1).unwrap();
    let t = trace_format::decode(&std::fs::read(f).unwrap()).unwrap();
    let n = t.steps.len();
    for (i, s) in t.steps.iter().enumerate().skip(n.saturating_sub(12)) {
        let e = &s.entry;
        println!(
            "{i}: thr {:#x} {:?} x0 {:#x} x1 {:#x} x7 {:#x} pc {:#x} fip {:#x} -> cur {:?} state {:?}",
            e.thread,
            e.kind,
            e.context[3],
            e.context[4],
            e.context[10],
            e.context[0],
            e.fault_ip,
            s.exit.as_ref().map(|x| x.current),
            s.exit
                .as_ref()
                .and_then(|x| x.threads.values().next().map(|t| t.state))
        );
    }
    let mut kinds = std::collections::BTreeMap::new();
    for s in &t.steps {
        *kinds
            .entry(
                format!("{:?}", s.entry.kind)
                    .split(' ')
                    .next()
                    .unwrap()
                    .to_string(),
            )
            .or_insert(0) += 1;
    }
    println!("{kinds:?}");
}
