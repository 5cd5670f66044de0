//! `spec FILE [--dot OUT]`: run a scenario on the executable specification and print each step.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (file, dot) = match args.as_slice() {
        [f] => (f, None),
        [f, flag, out] if flag == "--dot" => (f, Some(out)),
        _ => {
            eprintln!("usage: spec FILE [--dot OUT]   (the format is in spec/src/scenario.rs)");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::from(2);
        }
    };
    match spec::scenario::run(&text) {
        Ok((transcript, sim)) => {
            print!("{transcript}");
            if let Some(out) = dot
                && let Err(e) = std::fs::write(out, spec::scenario::dot(&sim.s))
            {
                eprintln!("{out}: {e}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{file}: {e}");
            ExitCode::FAILURE
        }
    }
}
