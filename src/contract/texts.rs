//! Source texts read when first needed, and the stat cache: a warm run knows most files by
//! their git blob id (from `git ls-tree`, or from the stat cache for a work tree) and reads
//! only the few it compiles or quotes.
//!
//! The stat cache holds, per module root, each file's size, mtime, ctime, inode and device
//! with the blob id of its bytes, as git's index does. An entry is trusted only when all of
//! them match and the file was modified before the second the entry was taken in (git's rule
//! for racy timestamps: a file changed again within that second could keep its size and
//! mtime), else the file is read and hashed again.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::Context;

use super::cache;
use super::compile::Meta;
use super::Fingerprint;

/// What the last run learnt of a file besides its blob id: its package and imports (which
/// follow from the blob id) and the fingerprint whose compiled entry it found in the cache.
/// A warm run then needs neither to look them up nor to check the entry is there (an entry
/// that went missing since is found out when it is read, and compiled again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    pub meta: Meta,
    pub fingerprint: Fingerprint,
}

/// One stat cache entry: the stat, the second it was taken in, the blob id, what else is known.
type Entry = (Stat, i64, String, Option<Remembered>);
/// A source file's text, read on first use.
pub struct Text {
    from: From,
    text: OnceLock<Arc<str>>,
}

enum From {
    Memory,
    Disk(PathBuf),
    /// A blob of the repository at `repo`, by id.
    Blob {
        repo: Arc<PathBuf>,
        id: String,
    },
}

impl Text {
    pub fn loaded(text: Arc<str>) -> Text {
        Text {
            from: From::Memory,
            text: OnceLock::from(text),
        }
    }

    pub fn on_disk(path: PathBuf) -> Text {
        Text {
            from: From::Disk(path),
            text: OnceLock::new(),
        }
    }

    pub fn blob(repo: Arc<PathBuf>, id: String) -> Text {
        Text {
            from: From::Blob { repo, id },
            text: OnceLock::new(),
        }
    }

    /// The text, read now if it was not yet.
    pub fn get(&self) -> anyhow::Result<Arc<str>> {
        if let Some(text) = self.text.get() {
            return Ok(text.clone());
        }
        let text: Arc<str> = match &self.from {
            From::Memory => unreachable!("a text in memory is set when made"),
            From::Disk(path) => read(path)?,
            From::Blob { repo, id } => {
                let wanted = [(id.clone(), id.clone())];
                super::git::read_blobs(repo, &wanted)?
                    .remove(id)
                    .context("git cat-file gave no text")?
            }
        };
        Ok(self.text.get_or_init(|| text).clone())
    }
}

/// Texts by import name.
pub type Texts = BTreeMap<String, Text>;

/// Reads the texts of `names` that are not read yet: git blobs through one `git cat-file`.
pub fn load<'a>(texts: &Texts, names: impl IntoIterator<Item = &'a String>) -> anyhow::Result<()> {
    let mut blobs: HashMap<&Path, Vec<(String, String)>> = HashMap::new();
    for name in names {
        let Some(text) = texts.get(name).filter(|t| t.text.get().is_none()) else {
            continue;
        };
        match &text.from {
            From::Blob { repo, id } => blobs
                .entry(repo.as_path())
                .or_default()
                .push((name.clone(), id.clone())),
            _ => {
                text.get()?;
            }
        }
    }
    for (repo, wanted) in blobs {
        for (name, text) in super::git::read_blobs(repo, &wanted)? {
            let _ = texts[&name].text.set(text);
        }
    }
    Ok(())
}

pub fn read(path: &Path) -> anyhow::Result<Arc<str>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.into())
}

/// What the stat cache compares: size, mtime, ctime (seconds, nanoseconds), inode, device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
}

impl Stat {
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Option<Stat> {
        use std::os::unix::fs::MetadataExt;
        Some(Stat {
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            ino: meta.ino(),
            dev: meta.dev(),
        })
    }

    /// Without inode and ctime there is too little to trust: every file is read.
    #[cfg(not(unix))]
    pub fn of(_: &std::fs::Metadata) -> Option<Stat> {
        None
    }
}

/// One module root's stat cache, loaded at the start of a run and saved at its end.
pub struct StatCache {
    store: cache::Cache,
    key: cache::Key,
    /// Seconds since the epoch when this run started, before it looked at any file.
    now: i64,
    /// From the last run, by path.
    before: HashMap<String, Entry>,
    /// This run's, saved at the end.
    after: BTreeMap<String, Entry>,
}

impl StatCache {
    /// The stat cache of the folder `root`, when the process has a cache.
    pub fn open(root: &Path) -> Option<StatCache> {
        let store = cache::current()?.clone();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs() as i64;
        let root = root.canonicalize().ok()?;
        let key = cache::key("stat2", &[root.as_os_str().as_encoded_bytes()]);
        let before = store
            .get(&key)
            .and_then(|payload| String::from_utf8(payload).ok())
            .map(|text| text.lines().filter_map(parse_line).collect())
            .unwrap_or_default();
        Some(StatCache {
            store,
            key,
            now,
            before,
            after: BTreeMap::new(),
        })
    }

    /// The blob id of the file at `path` (relative to the root), and what else the last run
    /// learnt of it, if its entry can be trusted.
    pub fn id(&mut self, path: &str, stat: Stat) -> Option<(String, Option<Remembered>)> {
        let entry = self.before.get(path)?;
        let (known, taken, id, remembered) = entry;
        if *known != stat || stat.mtime.0 >= *taken {
            return None;
        }
        let found = (id.clone(), remembered.clone());
        self.after.insert(path.to_string(), entry.clone());
        Some(found)
    }

    /// Records what `path` held when it had `stat`.
    pub fn record(&mut self, path: &str, stat: Stat, id: String) {
        if !path.contains(['\t', '\n']) {
            self.after
                .insert(path.to_string(), (stat, self.now, id, None));
        }
    }

    /// Records what this run learnt of the file at `path` (by its blob id).
    pub fn remember(&mut self, path: &str, remembered: Remembered) {
        let plain = |text: &str| !text.contains(['\t', '\n']);
        let usable = plain(&remembered.meta.package)
            && remembered
                .meta
                .imports
                .iter()
                .all(|i| plain(i) && !i.is_empty());
        if let Some(entry) = self.after.get_mut(path).filter(|_| usable) {
            entry.3 = Some(remembered);
        }
    }

    /// Stores this run's entries, when they differ from the last run's.
    pub fn save(self) {
        let same = self.before.len() == self.after.len()
            && self
                .after
                .iter()
                .all(|(path, entry)| self.before.get(path) == Some(entry));
        if same {
            return;
        }
        let mut out = String::new();
        for (path, (s, taken, id, remembered)) in &self.after {
            out.push_str(&format!(
                "{path}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{taken}\t{id}",
                s.size, s.mtime.0, s.mtime.1, s.ctime.0, s.ctime.1, s.ino, s.dev
            ));
            // Then the fingerprint, whether it mentions events, the package and the imports,
            // each after a tab.
            if let Some(r) = remembered {
                out.push_str(&format!(
                    "\t{}\t{}\t{}",
                    cache::hex(&r.fingerprint),
                    if r.meta.events { "events" } else { "-" },
                    r.meta.package
                ));
                for import in &r.meta.imports {
                    out.push('\t');
                    out.push_str(import);
                }
            }
            out.push('\n');
        }
        self.store.put(&self.key, out.as_bytes());
    }
}

fn parse_line(line: &str) -> Option<(String, Entry)> {
    let mut parts = line.split('\t');
    let path = parts.next()?.to_string();
    let mut number = || parts.next()?.parse::<i64>().ok();
    let stat = Stat {
        size: number()? as u64,
        mtime: (number()?, number()?),
        ctime: (number()?, number()?),
        ino: number()? as u64,
        dev: number()? as u64,
    };
    let taken = number()?;
    let id = parts.next()?.to_string();
    let remembered = match parts.next() {
        None => None,
        Some(hex) => Some(Remembered {
            fingerprint: unhex(hex)?,
            meta: Meta {
                events: match parts.next()? {
                    "events" => true,
                    "-" => false,
                    _ => return None,
                },
                package: parts.next()?.to_string(),
                imports: parts.map(str::to_string).collect(),
            },
        }),
    };
    (id.len() == 40).then_some((path, (stat, taken, id, remembered)))
}

fn unhex(hex: &str) -> Option<Fingerprint> {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    bytes.try_into().ok()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn stat(mtime: i64, ctime: i64) -> Stat {
        Stat {
            size: 10,
            mtime: (mtime, 5),
            ctime: (ctime, 5),
            ino: 7,
            dev: 1,
        }
    }

    fn cache_at(dir: &Path, now: i64, before: &[(&str, Stat, i64)]) -> StatCache {
        StatCache {
            store: cache::Cache::at(dir.to_path_buf(), 1 << 20),
            key: cache::key("test", &[]),
            now,
            before: before
                .iter()
                .map(|(p, s, t)| (p.to_string(), (*s, *t, "a".repeat(40), None)))
                .collect(),
            after: BTreeMap::new(),
        }
    }

    #[test]
    fn entries_are_trusted_only_when_everything_matches_and_the_timestamp_is_not_racy() {
        let dir = tempfile::tempdir().unwrap();
        let mut stats = cache_at(dir.path(), 2000, &[("a", stat(100, 100), 200)]);
        assert!(stats.id("a", stat(100, 100)).is_some());
        assert!(stats.id("a", stat(101, 101)).is_none(), "modified");
        assert!(
            stats.id("a", stat(100, 150)).is_none(),
            "written with mtime set back"
        );
        let mut other = stat(100, 100);
        other.ino = 8;
        assert!(stats.id("a", other).is_none(), "replaced by another file");
        assert!(stats.id("b", stat(100, 100)).is_none(), "unknown");
        // Taken in the second the file was modified in: the file may have changed again
        // within that second with the same size and mtime, so it is read again.
        let mut racy = cache_at(dir.path(), 2000, &[("a", stat(200, 200), 200)]);
        assert!(racy.id("a", stat(200, 200)).is_none());
    }

    #[test]
    fn saved_entries_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut stats = cache_at(dir.path(), 2000, &[]);
        stats.record("x/a.proto", stat(100, 100), "b".repeat(40));
        stats.record("x/b.proto", stat(100, 100), "c".repeat(40));
        stats.record("bad\tname", stat(100, 100), "b".repeat(40));
        let remembered = Remembered {
            meta: Meta {
                package: "x.v1".into(),
                imports: vec!["x/a.proto".into(), "google/api/http.proto".into()],
                events: true,
            },
            fingerprint: [9; 32],
        };
        stats.remember("x/b.proto", remembered.clone());
        let store = stats.store.clone();
        stats.save();
        let text = String::from_utf8(store.get(&cache::key("test", &[])).unwrap()).unwrap();
        let parsed: Vec<_> = text.lines().filter_map(parse_line).collect();
        assert_eq!(
            parsed,
            vec![
                (
                    "x/a.proto".to_string(),
                    (stat(100, 100), 2000, "b".repeat(40), None)
                ),
                (
                    "x/b.proto".to_string(),
                    (stat(100, 100), 2000, "c".repeat(40), Some(remembered))
                ),
            ]
        );
    }
}
