//! Tidiness rules the code base keeps (see ARCHITECTURE.md): every source
//! file opens with a `//!` doc comment saying what it owns, and `unsafe`
//! appears only under `src/sys/`.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 20, "found only {} source files", files.len());
    files
}

#[test]
fn every_source_file_has_a_module_doc() {
    let mut missing = Vec::new();
    for f in sources() {
        let text = std::fs::read_to_string(&f).expect("read");
        if !text.trim_start().starts_with("//!") {
            missing.push(f.display().to_string());
        }
    }
    assert!(missing.is_empty(), "files without a //! doc: {:?}", missing);
}

#[test]
fn unsafe_lives_only_in_sys() {
    let sys = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("sys");
    let mut offenders = Vec::new();
    for f in sources() {
        if f.starts_with(&sys) {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("unsafe ") || code.contains("unsafe{") {
                offenders.push(format!("{}:{}", f.display(), n + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "unsafe outside src/sys: {:?}",
        offenders
    );
}
