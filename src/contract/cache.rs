//! A content-addressed store of compiled files on disk, shared by every command that loads a
//! contract: an entry's key covers everything that can change it, so it is never stale.
//!
//! Two kinds of entries, both keyed by sha256 ([`Key`]):
//! - the package and imports of a file, keyed by its content id (the git blob id of its
//!   bytes), because they follow from the bytes alone; they let a run compute every file's key
//!   (and decide what a comparison can skip) before compiling or decoding anything;
//! - a compiled file (prost-encoded `FileDescriptorProto`, with source info), keyed by its
//!   [`Fingerprint`](super::Fingerprint): name, bytes, options, protogen's version, and the
//!   fingerprints of the files it imports, transitively.
//!
//! On disk an entry is `<dir>/v1/<2 hex>/<62 hex>`: a header (magic, protogen's version, the
//! payload's length and CRC-32) then the payload. Writes go to a temp file renamed into place,
//! so parallel runs and interrupted ones never leave a half entry; an entry that fails its
//! header or checksum (truncated, another version, foreign) is a miss and gets rewritten.
//! After a run that wrote entries the folder is trimmed to its size bound, oldest first.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

/// A cache key: sha256 of a domain tag and the inputs.
pub type Key = [u8; 32];

const MAGIC: &[u8; 8] = b"PGCACHE1";
/// Bumped when the layout of entries or of keys changes (and part of the folder name).
const LAYOUT: &str = "v1";
/// Default size bound; `PROTOGEN_CACHE_MAX_MB` overrides it. Google's protos (two trees) take
/// about 300 MiB.
const DEFAULT_LIMIT_MB: u64 = 2048;

/// The process-wide cache: set once by the command line (`--no-cache` turns it off). Library
/// callers that never call [`enable`] (unit tests, embedders) get no cache.
static CACHE: OnceLock<Option<Cache>> = OnceLock::new();

/// Turns the cache on (at its usual location) or off for this process. The first call wins.
pub fn enable(on: bool) {
    let _ = CACHE.set(if on { Cache::from_env() } else { None });
}

/// The cache this process uses, if any.
pub fn current() -> Option<&'static Cache> {
    CACHE.get().and_then(Option::as_ref)
}

/// Writers started by [`Cache::put_all_in_background`], until [`finish`] joins them.
static WRITERS: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Waits for the entries still being written in the background; the process calls it before
/// exiting, so a run leaves every entry it compiled.
pub fn finish() {
    let writers = std::mem::take(&mut *WRITERS.lock().unwrap_or_else(|e| e.into_inner()));
    for writer in writers {
        let _ = writer.join();
    }
}

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    limit: u64,
}

impl Cache {
    /// `$PROTOGEN_CACHE_DIR`, else the platform's user cache folder (`$XDG_CACHE_HOME/protogen`,
    /// `~/.cache/protogen`); none when neither can be found, or when `PROTOGEN_NO_CACHE` is set
    /// (what `--no-cache` does, for a whole CI job or test suite).
    pub fn from_env() -> Option<Cache> {
        if std::env::var_os("PROTOGEN_NO_CACHE").is_some_and(|v| !v.is_empty()) {
            return None;
        }
        let dir = match std::env::var_os("PROTOGEN_CACHE_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => dirs::cache_dir()?.join("protogen"),
        };
        let limit_mb = std::env::var("PROTOGEN_CACHE_MAX_MB")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(DEFAULT_LIMIT_MB);
        Some(Cache::at(dir, limit_mb * 1024 * 1024))
    }

    /// A cache in `dir` (created on first write) holding at most about `limit` bytes.
    pub fn at(dir: PathBuf, limit: u64) -> Cache {
        Cache { dir, limit }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &Key) -> PathBuf {
        let hex = hex(key);
        self.dir.join(LAYOUT).join(&hex[..2]).join(&hex[2..])
    }

    /// The payload stored under `key`, if an intact entry of this version is there.
    pub fn get(&self, key: &Key) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        unwrap_entry(bytes)
    }

    /// Whether an entry is stored under `key` (it may still prove damaged when read).
    pub fn contains(&self, key: &Key) -> bool {
        self.path(key).is_file()
    }

    /// Deletes the entry under `key`, if any (a damaged one, found after `contains`).
    pub fn remove(&self, key: &Key) {
        let _ = std::fs::remove_file(self.path(key));
    }

    /// Stores `payload` under `key`. Failing to write (read-only or full disk) only costs the
    /// next run some time, so errors are swallowed.
    pub fn put(&self, key: &Key, payload: &[u8]) {
        let _ = self.try_put(key, payload);
    }

    /// Stores `entries` on a thread of their own and then counts them ([`Cache::wrote`]): a
    /// cold run creates two files per compiled file, and that file-system work overlaps
    /// compiling and judging instead of adding to them. [`finish`] waits for it.
    pub fn put_all_in_background(&self, entries: Vec<(Key, Arc<[u8]>)>) {
        let cache = self.clone();
        let writer = std::thread::spawn(move || {
            let mut written = 0;
            // Each payload is dropped once written: the run may have freed its own copy.
            for (key, payload) in entries {
                cache.put(&key, &payload);
                written += payload.len() as u64;
            }
            cache.wrote(written);
        });
        WRITERS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(writer);
    }

    fn try_put(&self, key: &Key, payload: &[u8]) -> std::io::Result<()> {
        let path = self.path(key);
        let folder = path.parent().expect("an entry has a folder");
        std::fs::create_dir_all(folder)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(folder)?;
        temp.write_all(&wrap_entry(payload))?;
        // Rename is atomic: readers see the old entry, none, or the whole new one.
        temp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }

    /// Counts `bytes` just written, and trims the folder once the writes since the last trim
    /// add up to a sixteenth of the bound: walking every entry costs more than a small run.
    /// (The counter is approximate under concurrent runs; the bound is too.)
    pub fn wrote(&self, bytes: u64) {
        let counter = self.dir.join(LAYOUT).join("written");
        let before: u64 = std::fs::read_to_string(&counter)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        let total = before.saturating_add(bytes);
        let total = if total >= self.limit / 16 {
            self.trim();
            0
        } else {
            total
        };
        let _ = tempfile::NamedTempFile::new_in(self.dir.join(LAYOUT)).and_then(|mut temp| {
            temp.write_all(total.to_string().as_bytes())?;
            temp.persist(&counter).map(drop).map_err(|e| e.error)
        });
    }

    /// Deletes the oldest entries until the folder holds at most 90% of the bound. Leftover
    /// temp files of interrupted runs older than an hour go too.
    pub fn trim(&self) {
        let mut entries = Vec::new();
        let mut total = 0u64;
        let hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
        for entry in walkdir::WalkDir::new(self.dir.join(LAYOUT))
            .min_depth(2)
            .max_depth(2)
            .into_iter()
            .filter_map(Result::ok)
        {
            let Ok(meta) = entry.metadata() else { continue };
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                if modified < hour_ago {
                    let _ = std::fs::remove_file(entry.path());
                }
                continue;
            }
            total += meta.len();
            entries.push((modified, meta.len(), entry.into_path()));
        }
        if total <= self.limit {
            return;
        }
        entries.sort();
        let target = self.limit / 10 * 9;
        for (_, len, path) in entries {
            if total <= target {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

/// Header: magic, protogen's version (length-prefixed), payload length, CRC-32 of the payload.
fn wrap_entry(payload: &[u8]) -> Vec<u8> {
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let mut out = Vec::with_capacity(payload.len() + 32 + version.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(version.len() as u32).to_le_bytes());
    out.extend_from_slice(version);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of an entry written by this version, or `None` for anything else.
fn unwrap_entry(mut bytes: Vec<u8>) -> Option<Vec<u8>> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (len, rest) = rest.split_first_chunk::<4>()?;
    let (version, rest) = rest.split_at_checked(u32::from_le_bytes(*len) as usize)?;
    if version != env!("CARGO_PKG_VERSION").as_bytes() {
        return None;
    }
    let (len, rest) = rest.split_first_chunk::<8>()?;
    let (crc, payload) = rest.split_first_chunk::<4>()?;
    if payload.len() as u64 != u64::from_le_bytes(*len)
        || crc32fast::hash(payload) != u32::from_le_bytes(*crc)
    {
        return None;
    }
    let start = bytes.len() - payload.len();
    bytes.drain(..start);
    Some(bytes)
}

/// sha256 over a domain tag, protogen's version, the compiler (its crates' versions, a hash of
/// protogen's patches to them) and `parts`,
/// each length-prefixed so that no two different inputs hash alike.
pub fn key(tag: &str, parts: &[&[u8]]) -> Key {
    let mut hasher = Sha256::new();
    for part in [
        tag.as_bytes(),
        env!("CARGO_PKG_VERSION").as_bytes(),
        env!("PROTOGEN_COMPILER").as_bytes(),
    ]
    .into_iter()
    .chain(parts.iter().copied())
    {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

pub fn hex(bytes: &[u8]) -> String {
    // (Not `format!` per byte: every cache lookup names its file with this.)
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// The id git gives these bytes as a blob (`git hash-object`): a file read from disk and the
/// same file read from a git ref share cache entries.
pub fn blob_id(bytes: &[u8]) -> String {
    use sha1::Sha1;
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0, 9, 10, 255, 0x4f]), "00090aff4f");
    }

    #[test]
    fn blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn entries_round_trip_and_damage_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf(), 1 << 30);
        let k = key("test", &[b"a"]);
        assert_eq!(cache.get(&k), None);
        cache.put(&k, b"payload");
        assert_eq!(cache.get(&k).as_deref(), Some(b"payload".as_slice()));

        let path = cache.path(&k);
        let whole = std::fs::read(&path).unwrap();
        for cut in [0, 5, whole.len() - 1] {
            std::fs::write(&path, &whole[..cut]).unwrap();
            assert_eq!(cache.get(&k), None, "truncated to {cut} bytes");
        }
        let mut flipped = whole.clone();
        *flipped.last_mut().unwrap() ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        assert_eq!(cache.get(&k), None, "a flipped payload bit");
        let other_version = String::from_utf8_lossy(&whole)
            .replace(env!("CARGO_PKG_VERSION"), "9.9.9")
            .into_bytes();
        std::fs::write(&path, other_version).unwrap();
        assert_eq!(cache.get(&k), None, "another version's entry");
        cache.put(&k, b"payload");
        assert_eq!(cache.get(&k).as_deref(), Some(b"payload".as_slice()));
    }

    #[test]
    fn trim_evicts_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![7u8; 1000];
        let cache = Cache::at(dir.path().to_path_buf(), 2500);
        let keys: Vec<Key> = (0..4u8).map(|i| key("test", &[&[i]])).collect();
        for (i, k) in keys.iter().enumerate() {
            cache.put(k, &big);
            let when =
                SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000 * (i as u64 + 1));
            std::fs::File::options()
                .write(true)
                .open(cache.path(k))
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
        cache.trim();
        let kept: Vec<bool> = keys.iter().map(|k| cache.get(k).is_some()).collect();
        assert_eq!(kept, [false, false, true, true]);
    }
}
