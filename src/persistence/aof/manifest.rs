//! The AOF manifest: which files make up the append-only file, in the
//! format Redis 7.0 writes (`<appendfilename>.manifest` in
//! `appenddirname`), one line per file:
//! `file <name> seq <n> type <b|h|i>` (base, history, incr). Names that
//! need it are quoted as Redis's `sdscatrepr` does.
//!
//! Redis counterpart: `aof.c` (`aofLoadManifestFromFile`,
//! `getAofManifestAsString`, `persistAofManifest`).

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

/// What a file in the manifest is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The BASE file (RDB or AOF format).
    Base,
    /// An old file waiting to be deleted.
    History,
    /// An INCR file (commands).
    Incr,
}

impl FileKind {
    fn code(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::History => 'h',
            FileKind::Incr => 'i',
        }
    }
}

/// One file of the AOF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofFile {
    /// File name inside the AOF directory.
    pub name: String,
    /// Its sequence number.
    pub seq: u64,
    /// Its role.
    pub kind: FileKind,
}

/// The parsed manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The BASE file, if any.
    pub base: Option<AofFile>,
    /// INCR files, in sequence order.
    pub incrs: Vec<AofFile>,
    /// Files to delete.
    pub history: Vec<AofFile>,
    /// Highest base sequence number used.
    pub base_seq: u64,
    /// Highest incr sequence number used.
    pub incr_seq: u64,
}

/// Quotes a file name the way Redis's `sdscatrepr` does when it contains
/// spaces, quotes or non-printable bytes.
fn repr_name(name: &str) -> String {
    let needs = name
        .bytes()
        .any(|b| b == b' ' || b == b'"' || b == b'\'' || b == b'\\' || !b.is_ascii_graphic());
    if !needs {
        return name.to_string();
    }
    let mut out = String::from("\"");
    for b in name.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            b if b.is_ascii_graphic() || b == b' ' => out.push(b as char),
            b => out.push_str(&format!("\\x{:02x}", b)),
        }
    }
    out.push('"');
    out
}

impl Manifest {
    /// The manifest as Redis writes it: base, history, then incr files.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let all = self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incrs.iter());
        for f in all {
            out.push_str(&format!(
                "file {} seq {} type {}\n",
                repr_name(&f.name),
                f.seq,
                f.kind.code()
            ));
        }
        out
    }

    /// Parses a manifest. Errors are Redis's texts.
    pub fn parse(text: &[u8]) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        let mut last_incr_seq = 0u64;
        for raw in text.split(|&b| b == b'\n') {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            let trimmed = line.trim_ascii();
            if trimmed.is_empty() || trimmed[0] == b'#' {
                continue;
            }
            if line.len() > 1024 {
                return Err("The AOF manifest file contains too long line".into());
            }
            let Some(args) = crate::resp::parser::split_args(trimmed) else {
                return Err("Invalid AOF manifest file format".into());
            };
            if args.len() < 6 || args.len() % 2 != 0 {
                return Err("Invalid AOF manifest file format".into());
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in args.chunks(2) {
                let v = String::from_utf8_lossy(&pair[1]).into_owned();
                match pair[0].as_slice() {
                    b"file" => name = Some(v),
                    b"seq" => seq = crate::util::numfmt::parse_i64(&pair[1]),
                    b"type" => {
                        kind = match pair[1].as_slice() {
                            b"b" => Some(FileKind::Base),
                            b"h" => Some(FileKind::History),
                            b"i" => Some(FileKind::Incr),
                            _ => None,
                        }
                    }
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err("Invalid AOF manifest file format".into());
            };
            if seq < 0 || name.contains('/') || name.is_empty() {
                return Err("Invalid AOF manifest file format".into());
            }
            let f = AofFile {
                name,
                seq: seq as u64,
                kind,
            };
            match kind {
                FileKind::Base => {
                    if m.base.is_some() {
                        return Err("Found duplicate base file information".into());
                    }
                    m.base_seq = f.seq;
                    m.base = Some(f);
                }
                FileKind::History => m.history.push(f),
                FileKind::Incr => {
                    if f.seq <= last_incr_seq {
                        return Err("Found a non-monotonic sequence number".into());
                    }
                    last_incr_seq = f.seq;
                    m.incr_seq = f.seq;
                    m.incrs.push(f);
                }
            }
        }
        Ok(m)
    }

    /// Reads and parses `path`; `Ok(None)` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<Manifest>, String> {
        match fs::read(path) {
            Ok(bytes) => {
                if bytes.is_empty() {
                    return Err("Found an empty AOF manifest".into());
                }
                Manifest::parse(&bytes).map(Some)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!(
                "Fail to open AOF manifest file: {}",
                crate::config::strerror(&e)
            )),
        }
    }

    /// Writes the manifest into `dir` as `name`: through `temp-<name>`,
    /// fsynced and renamed, then the directory is fsynced.
    pub fn persist(&self, dir: &Path, name: &str) -> std::io::Result<()> {
        let tmp = dir.join(format!("temp-{}", name));
        {
            let mut f = File::create(&tmp)?;
            f.write_all(self.to_text().as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, dir.join(name))?;
        sync_dir(dir);
        Ok(())
    }

    /// Next base file name (`<fn>.<seq>.base.rdb|aof`), bumping the seq.
    pub fn next_base(&mut self, filename: &str, rdb: bool) -> AofFile {
        self.base_seq += 1;
        AofFile {
            name: format!(
                "{}.{}.base.{}",
                filename,
                self.base_seq,
                if rdb { "rdb" } else { "aof" }
            ),
            seq: self.base_seq,
            kind: FileKind::Base,
        }
    }

    /// Next incr file name (`<fn>.<seq>.incr.aof`), bumping the seq.
    pub fn next_incr(&mut self, filename: &str) -> AofFile {
        self.incr_seq += 1;
        AofFile {
            name: format!("{}.{}.incr.aof", filename, self.incr_seq),
            seq: self.incr_seq,
            kind: FileKind::Incr,
        }
    }
}

/// Fsyncs a directory so renames in it are durable.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_redis_format() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n";
        let m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.2.base.rdb");
        assert_eq!(m.incrs.len(), 2);
        assert_eq!((m.base_seq, m.incr_seq), (2, 3));
        assert_eq!(m.to_text(), text);
        let mut m2 = m.clone();
        assert_eq!(
            m2.next_incr("appendonly.aof").name,
            "appendonly.aof.4.incr.aof"
        );
        assert_eq!(
            m2.next_base("appendonly.aof", false).name,
            "appendonly.aof.3.base.aof"
        );
        let q = Manifest {
            base: Some(AofFile {
                name: "a b".into(),
                seq: 1,
                kind: FileKind::Base,
            }),
            ..Default::default()
        };
        assert_eq!(q.to_text(), "file \"a b\" seq 1 type b\n");
        assert_eq!(Manifest::parse(q.to_text().as_bytes()).unwrap(), {
            let mut q2 = q.clone();
            q2.base_seq = 1;
            q2
        });
    }

    #[test]
    fn bad_manifests_are_refused() {
        assert!(Manifest::parse(b"file x seq 1\n").is_err());
        assert!(Manifest::parse(b"file x seq 1 type z\n").is_err());
        assert!(Manifest::parse(b"file a seq 1 type b\nfile b seq 2 type b\n").is_err());
        assert!(Manifest::parse(b"file a seq 2 type i\nfile b seq 1 type i\n").is_err());
        assert!(Manifest::parse(b"# comment\n\nfile a seq 1 type i\n").is_ok());
    }
}
