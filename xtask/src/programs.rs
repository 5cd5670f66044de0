//! The root-task programs of the workspace: examples under `examples/`, test programs under `tests/`.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Where a program lives, which decides how it is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A workspace member under `examples/`.
    Example,
    /// A workspace member under `tests/`.
    Test,
}

/// One root-task program. A crate is one program named after its folder, or, when it has
/// `src/bin/*.rs`, one program per binary, named `crate/binary`.
#[derive(Debug, Clone)]
pub struct Program {
    /// Program name, e.g. `hello` or `faults/data_abort`.
    pub name: String,
    /// The cargo package (the folder name).
    pub package: String,
    /// The binary cargo builds (the package name, or the `src/bin` file's stem).
    pub bin: String,
    /// The folder holding its `Cargo.toml` (and its expected output).
    pub dir: PathBuf,
    /// Example or test program.
    pub kind: Kind,
}

impl Program {
    /// The file of expected console output: `file_name` beside the `Cargo.toml` for a
    /// one-program crate; `expected/<binary>.txt` (or `expected/<binary>-<file_name>` for
    /// other variants) for a crate of several.
    pub fn expected_file(&self, file_name: &str) -> PathBuf {
        if self.bin == self.package {
            self.dir.join(file_name)
        } else if file_name == crate::cases::EXPECTED_FILE {
            self.dir.join("expected").join(format!("{}.txt", self.bin))
        } else {
            self.dir
                .join("expected")
                .join(format!("{}-{file_name}", self.bin))
        }
    }
}

/// Lists the examples, then the test programs, each sorted by name.
pub fn discover(root: &Path) -> Result<Vec<Program>> {
    let mut programs = in_folder(&root.join("examples"), Kind::Example)?;
    programs.extend(in_folder(&root.join("tests"), Kind::Test)?);
    Ok(programs)
}

/// Finds a program by name, or fails with the list of those that exist.
pub fn find<'a>(programs: &'a [Program], name: &str) -> Result<&'a Program> {
    if let Some(program) = programs.iter().find(|p| p.name == name) {
        return Ok(program);
    }
    bail!(
        "no example or test program named `{name}`; available: {}",
        Listing(programs)
    )
}

/// Crates directly under `folder`: the subfolders that hold a `Cargo.toml`.
fn in_folder(folder: &Path, kind: Kind) -> Result<Vec<Program>> {
    // A missing folder is not an error: `tests/` may not exist yet.
    let Ok(entries) = fs::read_dir(folder) else {
        return Ok(Vec::new());
    };
    let mut programs = Vec::new();
    for entry in entries {
        let dir = entry
            .with_context(|| format!("reading {}", folder.display()))?
            .path();
        if !dir.join("Cargo.toml").is_file() {
            continue;
        }
        let Some(name) = dir.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let mut bins: Vec<String> = fs::read_dir(dir.join("src").join("bin"))
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let path = e.ok()?.path();
                (path.extension()? == "rs")
                    .then(|| path.file_stem()?.to_str().map(str::to_owned))?
            })
            .collect();
        bins.sort();
        if bins.is_empty() {
            programs.push(Program {
                name: name.to_owned(),
                package: name.to_owned(),
                bin: name.to_owned(),
                dir: dir.clone(),
                kind,
            });
        }
        for bin in bins {
            programs.push(Program {
                name: format!("{name}/{bin}"),
                package: name.to_owned(),
                bin,
                dir: dir.clone(),
                kind,
            });
        }
    }
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(programs)
}

/// Formats programs as `examples: a, b; test programs: c` for error messages.
struct Listing<'a>(&'a [Program]);

impl fmt::Display for Listing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |kind| {
            let names: Vec<&str> = self
                .0
                .iter()
                .filter(|p| p.kind == kind)
                .map(|p| p.name.as_str())
                .collect();
            if names.is_empty() {
                "(none)".to_owned()
            } else {
                names.join(", ")
            }
        };
        write!(
            f,
            "examples: {}; test programs: {}",
            names(Kind::Example),
            names(Kind::Test)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_examples_and_tests_with_a_manifest() {
        let root = std::env::temp_dir().join(format!("xtask-programs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for dir in ["examples/hello", "examples/ipc", "tests/faults"] {
            fs::create_dir_all(root.join(dir)).unwrap();
            fs::write(root.join(dir).join("Cargo.toml"), "").unwrap();
        }
        fs::create_dir_all(root.join("tests/faults/src/bin")).unwrap();
        for bin in ["udf.rs", "abort.rs", "notes.txt"] {
            fs::write(root.join("tests/faults/src/bin").join(bin), "").unwrap();
        }
        fs::create_dir_all(root.join("examples/not-a-crate")).unwrap();

        let programs = discover(&root).unwrap();
        let names: Vec<_> = programs.iter().map(|p| (p.name.as_str(), p.kind)).collect();
        assert_eq!(
            names,
            [
                ("hello", Kind::Example),
                ("ipc", Kind::Example),
                ("faults/abort", Kind::Test),
                ("faults/udf", Kind::Test)
            ]
        );
        assert!(find(&programs, "ipc").is_ok());
        let udf = find(&programs, "faults/udf").unwrap();
        assert_eq!((udf.package.as_str(), udf.bin.as_str()), ("faults", "udf"));
        assert!(
            udf.expected_file("expected.txt")
                .ends_with("tests/faults/expected/udf.txt")
        );
        assert!(
            find(&programs, "hello")
                .unwrap()
                .expected_file("expected.txt")
                .ends_with("examples/hello/expected.txt")
        );
        let error = find(&programs, "nosuch").unwrap_err().to_string();
        assert!(
            error.contains("examples: hello, ipc; test programs: faults/abort, faults/udf"),
            "{error}"
        );
        fs::remove_dir_all(&root).unwrap();
    }
}
