//! The kernel and the spec have one shape: the same layers, importing only downward, and
//! the same function names at the same module paths. This test reads both crates' sources
//! (the core of each: everything but the kernel's `arch/` and the spec's tools) and fails
//! when the shapes drift apart. `docs/architecture.md` explains the layers.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// One source file of a crate's core: its module path and its non-test text.
struct Source {
    module: String,
    file: PathBuf,
    text: String,
}

/// The layers of each crate, lowest first. A module's layer is its first path component
/// (a file at the crate root is its own layer).
const KERNEL_LAYERS: &[&[&str]] = &[
    &["config", "mutant", "machine"],
    &["model"],
    &["kernel"],
    &["object"],
    &["api"],
    &["trace"],
    &["arch"],
];
const SPEC_LAYERS: &[&[&str]] = &[
    &["machine"],
    &["model"],
    &["kernel"],
    &["object"],
    &["api"],
    &["harness", "scenario"],
];

/// Imports that run up a layer on purpose, as (importing module, imported path). Each says
/// why. Keep this list short: an entry here is a place where the layering is not true.
const UPWARD_IMPORTS: &[(&str, &str)] = &[];

/// Functions that exist in both crates under the same name but deliberately live at
/// different module paths (or exist in one crate only, for the decode/invoke rule), each
/// with the reason. Names are `crate:path::name`.
const NAME_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "both:sanitise",
        "seL4's sanitiseRegister: the spec's lives with its register indices \
         (machine::registers), the kernel's with the TCB's register names it takes \
         (model::tcb::UserReg), which the machine layer below cannot name",
    ),
    (
        "kernel:object::invoke_ipc_object",
        "a kernel speed-up: decode_invocation and perform_invocation fused for the caps \
         without labels (endpoint, notification, reply), so their invocations skip the \
         large Invocation value; the spec decodes and performs them in \
         decode_invocation and perform_invocation, which the kernel also has",
    ),
    (
        "kernel:object::perform_ipc",
        "the IPC cases of perform_invocation, shared with invoke_ipc_object (the kernel-only \
         speed-up above); the spec keeps them inside perform_invocation",
    ),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The text without `#[cfg(test)]` modules (inline ones; test files are skipped whole).
fn strip_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|n| n.starts_with("mod ") || n.starts_with("pub(crate) mod "))
        {
            let decl = lines.next().unwrap_or_default();
            if decl.trim_end().ends_with('{') {
                for l in lines.by_ref() {
                    if l == "}" {
                        break;
                    }
                }
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every core source file of the crate at `src`, skipping `skip` (top-level modules that
/// are not part of the comparison) and test files.
fn sources(src: &Path, skip: &[&str]) -> Vec<Source> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let name = parts.last().cloned().unwrap_or_default();
            if name.ends_with("tests") || skip.contains(&parts[0].as_str()) {
                continue;
            }
            if name == "mod" || name == "lib" || name == "main" {
                parts.pop();
            }
            let text = strip_tests(&fs::read_to_string(&path).expect("read a source file"));
            out.push(Source {
                module: parts.join("::"),
                file: path,
                text,
            });
        }
    }
    out.sort_by(|a, b| a.module.cmp(&b.module));
    out
}

/// The free functions a file defines (at the start of a line: not in an impl or a trait),
/// with whether each is `pub`.
fn functions(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let (public, rest) = if let Some(r) = line.strip_prefix("pub fn ") {
            (true, r)
        } else if let Some(r) = line.strip_prefix("pub const fn ") {
            (true, r)
        } else if let Some(r) = line.strip_prefix("pub(crate) fn ") {
            (false, r)
        } else if let Some(r) = line.strip_prefix("fn ") {
            (false, r)
        } else if let Some(r) = line.strip_prefix("const fn ") {
            (false, r)
        } else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        out.push((name, public));
    }
    out
}

/// The crate-relative paths a file names: `crate::a::b` anywhere in its non-comment code,
/// and the modules its `use crate::{a, b::c}` groups name.
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in use_statements_joined(text).lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // The group's items at depth 0, up to its closing brace.
                let (mut depth, mut item) = (0, String::new());
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            out.push(item.trim().split("::").next().unwrap_or("").to_string());
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(c);
                }
                let last = item.trim().split("::").next().unwrap_or("").to_string();
                if !last.is_empty() {
                    out.push(last);
                }
                continue;
            }
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(path.trim_end_matches(':').to_string());
        }
    }
    out
}

/// The text with each `use` statement that spans lines (rustfmt breaks long groups) joined
/// into one line, so a group's items are read with their prefix.
fn use_statements_joined(text: &str) -> String {
    let mut out = String::new();
    let mut in_use = false;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let start = code.trim_start();
        if !in_use && (start.starts_with("use ") || start.starts_with("pub use ")) {
            in_use = true;
        }
        out.push_str(if in_use { code.trim() } else { line });
        if in_use && code.trim_end().ends_with(';') {
            in_use = false;
        }
        if !in_use {
            out.push('\n');
        } else {
            out.push(' ');
        }
    }
    out
}

fn layer_of(layers: &[&[&str]], module: &str) -> Option<usize> {
    let top = module.split("::").next().unwrap_or("");
    layers.iter().position(|l| l.contains(&top))
}

/// Every import from a lower layer to a higher one, as "module -> path".
fn upward_imports(sources: &[Source], layers: &[&[&str]]) -> Vec<String> {
    let mut bad = Vec::new();
    for s in sources {
        let Some(own) = layer_of(layers, &s.module) else {
            continue;
        };
        for p in crate_paths(&s.text) {
            let Some(theirs) = layer_of(layers, &p) else {
                continue;
            };
            if theirs > own && !UPWARD_IMPORTS.contains(&(s.module.as_str(), p.as_str())) {
                bad.push(format!("{} ({}) -> crate::{p}", s.module, s.file.display()));
            }
        }
    }
    bad.sort();
    bad.dedup();
    bad
}

#[test]
fn kernel_layers_point_down() {
    let kernel = sources(&repo().join("kernel/src"), &[]);
    let bad = upward_imports(&kernel, KERNEL_LAYERS);
    assert!(
        bad.is_empty(),
        "imports that run up the kernel's layers ({}), lowest first: {:?}:\n  {}",
        bad.len(),
        KERNEL_LAYERS,
        bad.join("\n  ")
    );
}

#[test]
fn spec_layers_point_down() {
    let spec = sources(&repo().join("spec/src"), &["bin"]);
    let bad = upward_imports(&spec, SPEC_LAYERS);
    assert!(
        bad.is_empty(),
        "imports that run up the spec's layers ({}), lowest first: {:?}:\n  {}",
        bad.len(),
        SPEC_LAYERS,
        bad.join("\n  ")
    );
}

/// name -> (module paths where it is defined, pub at any of them), for one crate.
type Defs = BTreeMap<String, (BTreeSet<String>, bool)>;

fn definitions(sources: &[Source]) -> Defs {
    let mut defs = Defs::new();
    for s in sources {
        for (name, public) in functions(&s.text) {
            let e = defs.entry(name).or_default();
            e.0.insert(s.module.clone());
            e.1 |= public;
        }
    }
    defs
}

fn excepted(key: &str) -> bool {
    NAME_EXCEPTIONS.iter().any(|(k, _)| *k == key)
}

#[test]
fn kernel_and_spec_names_are_parallel() {
    // The kernel's core: everything but the architecture layer (and the trace recorder,
    // which the spec has no counterpart of); the spec's core: everything but its tools.
    let kernel = definitions(&sources(&repo().join("kernel/src"), &["arch", "trace"]));
    let spec = definitions(&sources(
        &repo().join("spec/src"),
        &["bin", "harness", "scenario"],
    ));
    let mut problems = Vec::new();
    // Every decode/invoke/perform function of an object family exists in both crates, at
    // the same path.
    for (this, that, a, b) in [
        ("spec", "kernel", &spec, &kernel),
        ("kernel", "spec", &kernel, &spec),
    ] {
        for (name, (paths, _)) in a {
            let rule = ["decode_", "invoke_", "perform_"]
                .iter()
                .any(|p| name.starts_with(p));
            for path in paths.iter().filter(|p| rule && p.starts_with("object")) {
                let there = b.get(name).is_some_and(|(ps, _)| ps.contains(path));
                let key = format!("{this}:{path}::{name}");
                if !there && !excepted(&key) {
                    problems.push(format!(
                        "{this} has {path}::{name}, {that} has no {path}::{name}"
                    ));
                }
            }
        }
    }
    // A public function name both crates define lives at the same paths in both.
    for (name, (kpaths, kpub)) in &kernel {
        let Some((spaths, spub)) = spec.get(name) else {
            continue;
        };
        if !(kpub | spub) || kpaths == spaths {
            continue;
        }
        let key = format!("both:{name}");
        if !excepted(&key) {
            problems.push(format!("{name}: kernel at {kpaths:?}, spec at {spaths:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "the kernel and the spec drift apart ({} places); move or rename one side, or list a \
         deliberate difference in NAME_EXCEPTIONS with its reason:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// The checks can fail: a kernel-only decoder, a name at two paths and an upward import,
/// planted in fake sources, are each reported.
#[test]
fn the_checks_catch_planted_drift() {
    let src = |module: &str, text: &str| Source {
        module: module.into(),
        file: PathBuf::from(module),
        text: text.into(),
    };
    let k = definitions(&[src(
        "object::cnode",
        "pub fn decode_cnode() {}\nfn decode_extra() {}\n",
    )]);
    let s = definitions(&[src("object::cnode", "pub fn decode_cnode() {}\n")]);
    assert!(k.contains_key("decode_extra") && !s.contains_key("decode_extra"));
    let up = upward_imports(
        &[src(
            "model::state",
            "use crate::object::Args;\nuse crate::machine::Memory;\n",
        )],
        KERNEL_LAYERS,
    );
    assert_eq!(up.len(), 1, "{up:?}");
    let grouped = crate_paths("use crate::{api::Event, model::{Cap, Slot}};");
    assert_eq!(grouped, ["api", "model"]);
    let grouped = crate_paths("use crate::{\n    api::Event,\n    model::Cap,\n};\nfn f() {}\n");
    assert_eq!(grouped, ["api", "model"]);
    assert_eq!(
        functions("pub fn a() {}\n    pub fn in_impl() {}\nfn b() {}\n"),
        [("a".to_string(), true), ("b".to_string(), false)]
    );
    assert_eq!(
        strip_tests("fn a() {}\n#[cfg(test)]\nmod tests {\n    fn t() {}\n}\nfn b() {}\n"),
        "fn a() {}\nfn b() {}\n"
    );
}
