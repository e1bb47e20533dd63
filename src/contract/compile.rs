//! Compiles `.proto` sources with protox, from disk or from memory (a git tree), through the
//! cache of compiled files, and turns protox's diagnostics into rustc-style messages.
//!
//! A module is first *prepared*: every file gets its [`Fingerprint`] (from its bytes and its
//! imports' fingerprints, known from the cache without compiling), the files the cache lacks
//! are compiled by two workers, in chunks whose descriptor pools are dropped in turn, and kept
//! (encoded when the cache stores them); a file identical on both sides of a comparison is
//! compiled once ([`Shared`]). Only then are the files a command needs decoded
//! ([`Prepared::contract`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use prost::Message;
use prost_types::FileDescriptorProto;
use protox::file::{
    ChainFileResolver, File, FileResolver, GoogleFileResolver, IncludeFileResolver,
};

use super::texts::{self, Remembered, Stat, StatCache, Text, Texts};
use super::{cache, Contract, FileOutline, Fingerprint, LoadOptions, Outline};

/// Source files by import name (`users/v1/users.proto`), as read from disk or from git.
pub type SourceFiles = BTreeMap<String, Arc<str>>;

/// Import names of a module's files, with their texts (read when needed) and content ids (git
/// blob ids), and where each file lives relative to the module root where that differs (files
/// under an import root other than the module root).
#[derive(Default)]
pub struct Placed {
    pub sources: Texts,
    pub ids: BTreeMap<String, String>,
    pub paths: BTreeMap<String, String>,
    /// What the stat cache remembers of some files, by import name.
    pub remembered: HashMap<String, Remembered>,
}

impl Placed {
    /// Adds the file at `path` (relative to the module root) if `options` place it under an
    /// import root; two files with one import name are an error, as in buf.
    #[cfg(test)]
    pub fn add(
        &mut self,
        path: &str,
        options: &LoadOptions,
        text: impl FnOnce() -> anyhow::Result<Arc<str>>,
    ) -> anyhow::Result<()> {
        self.add_with_id(path, options, || {
            let text = text()?;
            let id = cache::blob_id(text.as_bytes());
            Ok((Text::loaded(text), id))
        })
    }

    /// Every file's text, read now where it was not yet.
    pub fn texts(&self) -> anyhow::Result<HashMap<String, Arc<str>>> {
        texts::load(&self.sources, self.sources.keys())?;
        self.sources
            .iter()
            .map(|(name, text)| Ok((name.clone(), text.get()?)))
            .collect()
    }

    /// [`Placed::add`] for a text that may be read later, with its content id.
    pub fn add_with_id(
        &mut self,
        path: &str,
        options: &LoadOptions,
        text: impl FnOnce() -> anyhow::Result<(Text, String)>,
    ) -> anyhow::Result<()> {
        let Some(name) = import_name_in(path, options) else {
            return Ok(());
        };
        if let Some(other) = self
            .paths
            .get(&name)
            .map(String::as_str)
            .or_else(|| self.sources.contains_key(&name).then_some(name.as_str()))
        {
            bail!("{path} and {other} have the same import name {name} (they are in two import roots); rename or exclude one");
        }
        if name != path {
            self.paths.insert(name.clone(), path.to_string());
        }
        let (text, id) = text()?;
        self.sources.insert(name.clone(), text);
        self.ids.insert(name, id);
        Ok(())
    }
}

/// The import name of the file at `path` (relative to the module root): `path` below its
/// import root, `None` when it is excluded, vendored or under no root.
pub fn import_name_in(path: &str, options: &LoadOptions) -> Option<String> {
    let vendored = options
        .vendor
        .as_ref()
        .is_some_and(|v| is_excluded(path, std::slice::from_ref(v)));
    if vendored || is_excluded(path, &options.excludes) {
        return None;
    }
    if options.roots.is_empty() {
        return Some(path.to_string());
    }
    options.roots.iter().find_map(|root| {
        let root = import_name(root);
        let root = root.trim_end_matches('/');
        if root.is_empty() || root == "." {
            return Some(path.to_string());
        }
        path.strip_prefix(root)?
            .strip_prefix('/')
            .map(str::to_string)
    })
}

/// Reads every `.proto` file under `root` (skipping hidden folders, `options.excludes` and
/// the vendored dependencies) and compiles them under their import roots (`root` itself
/// unless `options.roots` names others).
pub fn compile_dir(
    root: &Path,
    options: &LoadOptions,
    sharing: Option<Sharing>,
) -> anyhow::Result<Prepared> {
    // Files whose stat is as the last run left them are known by their blob id, unread.
    let mut stats = StatCache::open(root);
    let read = crate::timing::span("read_dir");
    let placed = read_dir_with(root, options, stats.as_mut())?;
    drop(read);
    let _t = crate::timing::span("prepare");
    // By import name (stat entries are by path).
    let by_name: BTreeMap<String, String> = placed
        .sources
        .keys()
        .map(|name| (name.clone(), placed.paths.get(name).unwrap_or(name).clone()))
        .collect();
    let prepared = prepare(
        format!("directory {}", root.display()),
        placed,
        root,
        options,
        sharing,
    )?;
    if let Some(mut stats) = stats {
        for (name, path) in &by_name {
            if let Some(known) = prepared.remembered(name) {
                stats.remember(path, known);
            }
        }
        stats.save();
    }
    Ok(prepared)
}

/// Every `.proto` file under `root` (as [`compile_dir`] finds them) by import name, read.
pub fn read_dir(root: &Path, options: &LoadOptions) -> anyhow::Result<Placed> {
    read_dir_with(root, options, None)
}

/// [`read_dir`], leaving unread the files that `stats` knows.
fn read_dir_with(
    root: &Path,
    options: &LoadOptions,
    mut stats: Option<&mut StatCache>,
) -> anyhow::Result<Placed> {
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let mut placed = Placed::default();
    let mut remembered: HashMap<String, Remembered> = HashMap::new();
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry.with_context(|| format!("cannot read {}", root.display()))?;
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "proto") {
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .expect("walkdir yields paths under its root");
        let relative = import_name(relative);
        placed.add_with_id(&relative, options, || {
            // Stat before reading: a change after the stat makes the entry stale, not wrong.
            let stat = entry.metadata().ok().as_ref().and_then(Stat::of);
            let known = stats
                .as_deref_mut()
                .zip(stat)
                .and_then(|(s, stat)| s.id(&relative, stat));
            if let Some((id, known)) = known {
                remembered.extend(known.map(|k| (relative.clone(), k)));
                return Ok((Text::on_disk(path.to_path_buf()), id));
            }
            let text = texts::read(path)?;
            // A git blob id: a file read from disk and the same file read from a git ref
            // share their cache entries.
            let id = cache::blob_id(text.as_bytes());
            if let (Some(stats), Some(stat)) = (stats.as_deref_mut(), stat) {
                stats.record(&relative, stat, id.clone());
            }
            Ok((Text::loaded(text), id))
        })?;
    }
    if placed.sources.is_empty() {
        bail!("no .proto files found in directory {}", root.display());
    }
    // By import name (stat entries are by path).
    let names: Vec<(String, String)> = placed
        .sources
        .keys()
        .map(|name| (name.clone(), placed.paths.get(name).unwrap_or(name).clone()))
        .collect();
    placed.remembered = names
        .into_iter()
        .filter_map(|(name, path)| Some((name, remembered.remove(&path)?)))
        .collect();
    Ok(placed)
}

/// `a/b.proto` with forward slashes, whatever the platform.
pub fn import_name(relative: &Path) -> String {
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `name` lies under one of `excludes` (whole path components, like buf).
pub fn is_excluded(name: &str, excludes: &[PathBuf]) -> bool {
    excludes.iter().any(|ex| {
        let ex = import_name(ex);
        let ex = ex.trim_end_matches('/');
        ex.is_empty() || ex == "." || name == ex || name.starts_with(&format!("{ex}/"))
    })
}

/// Compiles a module's files and decodes all of them; imports resolve among them, then to the
/// vendored dependencies (`options.vendor` under `root`, on disk), then to the well-known
/// types, then to the files protogen carries (`known`). (Commands prepare, then decode what
/// they need; this is the whole of it at once, for tests of what the layers above read.)
#[cfg(test)]
pub fn compile_module(
    origin: String,
    placed: Placed,
    root: &Path,
    options: &LoadOptions,
) -> anyhow::Result<Contract> {
    prepare(origin, placed, root, options, None)?.contract(None)
}

/// What a file's bytes alone decide: its package, its imports (in order), and whether its
/// text mentions the events directive (only such a file can declare an event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub package: String,
    pub imports: Vec<String>,
    pub events: bool,
}

/// One module compiled, or found in the cache, and not yet decoded: every file's fingerprint
/// and [`Meta`], and the encoded descriptors of the files compiled in this run (the others
/// are read from the cache when asked for).
pub struct Prepared {
    origin: String,
    /// Shared with the compiler's resolver; read when a file is compiled or decoded.
    sources: Arc<Texts>,
    paths: BTreeMap<String, String>,
    /// Content ids (git blob ids) by file name.
    ids: BTreeMap<String, String>,
    meta: HashMap<String, Meta>,
    fingerprints: HashMap<String, Fingerprint>,
    /// Emptied by [`Prepared::contract_releasing`], as it decodes them.
    compiled: std::sync::Mutex<HashMap<String, Compiled>>,
    root: PathBuf,
    options: LoadOptions,
}

/// Compiles the files of `placed` that the cache does not hold (nor the other side of a
/// comparison, when `sharing`), with the cached ones as their imports, and stores them.
pub fn prepare(
    origin: String,
    placed: Placed,
    root: &Path,
    options: &LoadOptions,
    sharing: Option<Sharing>,
) -> anyhow::Result<Prepared> {
    let Placed {
        sources,
        ids,
        paths,
        remembered,
    } = placed;
    let sources = Arc::new(sources);
    if sources.is_empty() {
        bail!("no .proto files found in {origin}");
    }
    prepare_with(
        Prepared {
            origin,
            sources,
            paths,
            ids,
            meta: HashMap::new(),
            fingerprints: HashMap::new(),
            compiled: Default::default(),
            root: root.to_path_buf(),
            options: options.clone(),
        },
        cache::current(),
        remembered,
        sharing,
    )
}

fn prepare_with(
    mut module: Prepared,
    store: Option<&cache::Cache>,
    remembered: HashMap<String, Remembered>,
    sharing: Option<Sharing>,
) -> anyhow::Result<Prepared> {
    let outside = Outside::of(&module.root, &module.options);
    let mut meta: HashMap<String, Meta> = HashMap::new();
    if let Some(store) = store {
        for (name, id) in &module.ids {
            let m = match remembered.get(name) {
                Some(known) => Some(known.meta.clone()),
                None => store.get(&meta_key(id)).and_then(decode_meta),
            };
            meta.extend(m.map(|m| (name.clone(), m)));
        }
    }
    let known = fingerprints(&module.ids, &meta, &outside);
    // A fingerprint the last run found in the cache is taken to be there still (were it
    // trimmed since, reading it fails and the module is prepared again).
    let found =
        |name: &String, f: &Fingerprint| remembered.get(name).is_some_and(|k| k.fingerprint == *f);
    let hits: HashMap<String, Fingerprint> = match store {
        Some(store) => known
            .iter()
            .filter(|(n, f)| found(n, f) || store.contains(f))
            .map(|(n, f)| (n.clone(), *f))
            .collect(),
        None => HashMap::new(),
    };
    let pending: Vec<&String> = module
        .sources
        .keys()
        .filter(|n| !hits.contains_key(*n))
        .collect();
    let mut compiled: HashMap<String, Compiled> = HashMap::new();
    let mut all = known;
    if !pending.is_empty() {
        // Read at once what will be compiled (git blobs through one process).
        texts::load(&module.sources, pending.iter().copied())?;
        let work = Work {
            module: &module,
            store,
            hits: Arc::new(hits),
            wanted: pending.iter().map(|n| n.as_str()).collect(),
            ids: Ids::of(&module.ids),
            outside: &outside,
            imports_located: false,
        };
        let local = Shared::default();
        let (shared, from_end) = match sharing {
            Some(sharing) => (sharing.shared, sharing.from_end),
            None => (&local, false),
        };
        let heavy = |name: &str| {
            let text = module.sources.get(name).and_then(|t| t.get().ok());
            text.is_some_and(|t| t.len() >= HEAVY)
        };
        let parts = match pending.len() >= SPLIT {
            // Two workers (protox is single-threaded), one from each end of the files.
            true => {
                let queue = Queue::new(pending.clone(), from_end, &heavy);
                std::thread::scope(|scope| {
                    let second = scope.spawn(|| work.run(&queue, true, &meta, &all, shared));
                    let first = work.run(&queue, false, &meta, &all, shared);
                    let second = second.join().expect("compiling does not panic");
                    first.and_then(|first| Ok(vec![first, second?]))
                })
            }
            false => {
                let queue = Queue::new(pending.clone(), false, &heavy);
                work.run(&queue, false, &meta, &all, shared)
                    .map(|p| vec![p])
            }
        };
        drop(local);
        // A compile error is reported as a single walk in name order finds it, whichever
        // worker met which error first.
        let parts = match parts {
            Ok(parts) => parts,
            Err(_) => {
                let queue = Queue::new(pending, false, &|_| false);
                let work = Work {
                    imports_located: true,
                    ..work
                };
                vec![work.run(&queue, false, &meta, &all, &Shared::default())?]
            }
        };
        // Files compiled here (those borrowed from the other side are written to the store
        // by that side).
        let _t = crate::timing::span("merge parts");
        let mut stored = Vec::new();
        for part in parts {
            meta.extend(part.meta);
            compiled.extend(part.compiled);
            stored.extend(part.stored);
        }
        extend_fingerprints(&module.ids, &meta, &outside, &mut all, module.ids.keys());
        if let Some(store) = store {
            let mut entries = Vec::with_capacity(2 * stored.len());
            for (name, bytes) in stored {
                let (Some(id), Some(fingerprint)) = (module.ids.get(&name), all.get(&name)) else {
                    continue;
                };
                entries.push((meta_key(id), encode_meta(&meta[&name]).into()));
                entries.push((*fingerprint, bytes));
            }
            store.put_all_in_background(entries);
        }
    }
    module.meta = meta;
    module.fingerprints = all;
    module.compiled = compiled.into();
    Ok(module)
}

/// What a worker compiling part of a module's misses reads.
struct Work<'a> {
    module: &'a Prepared,
    store: Option<&'a cache::Cache>,
    hits: Arc<HashMap<String, Fingerprint>>,
    /// Every file to compile (a part's imports among them are kept too).
    wanted: HashSet<&'a str>,
    /// The module's blob ids by file name and back, for [`Shared`].
    ids: Ids<'a>,
    outside: &'a Outside,
    /// Whether files compiled by earlier chunks come back as imports with their source code
    /// info: only an error's labels in an import read it, so only the walk that reports an
    /// error pays for copying it.
    imports_located: bool,
}

/// A file compiled in this run: kept as compiled, or encoded, as an editions file stays
/// (prost-types' copy lacks its features). The cache gets its own encoding of each file
/// ([`Part::stored`]): decoding every file again to judge it was a sixth of a cold-cache run's
/// CPU.
#[derive(Clone)]
enum Compiled {
    Encoded(Arc<[u8]>),
    Decoded(Arc<FileDescriptorProto>),
}

/// The files a side's workers compile, in chunks taken from both ends: one worker walks from
/// the front, the other from the back, so each compiles neighbours (which share imports) and
/// neither waits for the other at the end (halves of equal counts took 1.2x to 2x longer one
/// than the other). Chunks shrink as the files run out, so the two workers end together.
struct Queue<'a> {
    files: Vec<&'a String>,
    /// The range not taken yet.
    left: std::sync::Mutex<(usize, usize)>,
}

impl<'a> Queue<'a> {
    /// `rotate`: start from the middle (the other side of a comparison does, so that the two
    /// sides' workers do not compile the files they share at the same time). The files
    /// `heavy` names come first, whatever their place.
    fn new(mut files: Vec<&'a String>, rotate: bool, heavy: &dyn Fn(&str) -> bool) -> Queue<'a> {
        if rotate {
            let middle = files.len() / 2;
            files.rotate_left(middle);
        }
        files.sort_by_key(|name| !heavy(name));
        let len = files.len();
        Queue {
            files,
            left: std::sync::Mutex::new((0, len)),
        }
    }

    /// How many files the next chunk should have: a quarter of those left, within bounds.
    fn chunk(&self) -> usize {
        let left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        ((left.1 - left.0) / 4).clamp(MIN_CHUNK, CHUNK)
    }

    /// Up to `at_most` files from the front or the back (none when none is left).
    fn take(&self, from_back: bool, at_most: usize) -> Vec<&'a String> {
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        let (front, back) = *left;
        let size = at_most.min(back - front);
        if from_back {
            left.1 -= size;
            self.files[back - size..back]
                .iter()
                .rev()
                .copied()
                .collect()
        } else {
            left.0 += size;
            self.files[front..front + size].to_vec()
        }
    }

    /// Leaves nothing to take (a worker met an error: the others stop at their next chunk).
    fn close(&self) {
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        left.0 = left.1;
    }
}

/// What a compiled file's prost-types form lacks, read from the pool before the files are
/// moved out of it.
#[derive(Default)]
struct Lacking {
    /// Edition 2024's `import option` files.
    option_imports: Vec<String>,
    /// An editions file in prost-reflect's encoding, which keeps its edition and features.
    editions: Option<Arc<[u8]>>,
}

/// What one worker compiled (and learnt).
struct Part {
    compiled: HashMap<String, Compiled>,
    meta: HashMap<String, Meta>,
    /// The encoding of each file this worker compiled itself (the others of `compiled` came
    /// from `shared`), for the store (none without one).
    stored: Vec<(String, Arc<[u8]>)>,
}

impl Work<'_> {
    /// Compiles the chunks it takes from `queue` (from its back when `from_back`), each with
    /// its own compiler whose pool is dropped before the next: files of earlier chunks come
    /// back as compiled imports (holding one pool for the whole module, and a decoded copy of
    /// it, was most of a cold run's memory). Before each chunk, the files another worker
    /// compiled are taken from `shared`; after it, this worker's are put there.
    fn run(
        &self,
        queue: &Queue,
        from_back: bool,
        meta: &HashMap<String, Meta>,
        known: &HashMap<String, Fingerprint>,
        shared: &Shared,
    ) -> anyhow::Result<Part> {
        let result = self.run_chunks(queue, from_back, meta, known, shared);
        if result.is_err() {
            queue.close();
        }
        result
    }

    fn run_chunks(
        &self,
        queue: &Queue,
        from_back: bool,
        meta: &HashMap<String, Meta>,
        known: &HashMap<String, Fingerprint>,
        shared: &Shared,
    ) -> anyhow::Result<Part> {
        let module = self.module;
        let _t = crate::timing::span("worker");
        let (mut meta, mut known) = (meta.clone(), known.clone());
        let mut compiled: HashMap<String, Compiled> = HashMap::new();
        let mut stored = Vec::new();
        // How much of the shared meta this worker has read.
        let mut seen = 0;
        loop {
            // A chunk of files not compiled yet (many were, as imports of earlier chunks, or
            // by another worker): each chunk adds what its files import to its pool again.
            let size = queue.chunk();
            let mut chunk: Vec<&String> = Vec::with_capacity(size);
            while chunk.len() < size {
                let mut more = queue.take(from_back, size - chunk.len());
                if more.is_empty() {
                    break;
                }
                more.retain(|n| !compiled.contains_key(*n));
                let taken = shared.take(
                    &self.ids,
                    &mut meta,
                    &mut seen,
                    self.outside,
                    &mut known,
                    &more,
                );
                compiled.extend(taken);
                more.retain(|n| !compiled.contains_key(*n));
                chunk.extend(more);
            }
            if chunk.is_empty() {
                break;
            }
            let mut resolver = ChainFileResolver::new();
            // Compiled files first: an import that is compiled is decoded, not parsed again.
            resolver.add(EncodedResolver {
                files: compiled.clone(),
                located: self.imports_located,
            });
            if let Some(store) = self.store {
                resolver.add(CachedResolver {
                    store: store.clone(),
                    hits: self.hits.clone(),
                });
            }
            resolver.add(TextResolver {
                files: module.sources.clone(),
            });
            if let Some(vendor) = &module.options.vendor {
                resolver.add(IncludeFileResolver::new(module.root.join(vendor)));
            }
            resolve_the_rest(&mut resolver);
            let mut compiler = protox::Compiler::with_file_resolver(resolver);
            compiler.include_source_info(true).include_imports(false);
            for name in &chunk {
                compiler.open_file(name).map_err(|e| {
                    let missing = e.is_file_not_found();
                    let mut message = render_diagnostic(e);
                    if missing && !module.options.deps.is_empty() {
                        message.push_str(&deps_help(
                            &module.options.deps,
                            module.options.vendor.as_deref(),
                        ));
                    }
                    anyhow!(message)
                })?;
            }
            let pool = compiler.descriptor_pool();
            drop(compiler);
            // Misses compiled here, as opened files or as imports (with source info either way):
            // what prost-types' form lacks is read first, then the files are moved out of the
            // pool (copying them was a tenth of a cold run's CPU).
            let mut lacking: HashMap<String, Lacking> = HashMap::new();
            for file in pool.files() {
                if !self.wanted.contains(file.name()) || compiled.contains_key(file.name()) {
                    continue;
                }
                // With edition 2024's `import option` files: a file's fingerprint follows
                // theirs as well.
                let option_imports = file
                    .option_dependencies()
                    .map(|d| d.name().to_string())
                    .collect();
                // prost-types' copy has no edition and no features: an editions file is kept
                // in prost-reflect's encoding, which has them.
                let editions = (file.syntax() == prost_reflect::Syntax::Editions)
                    .then(|| file.encode_to_vec().into());
                lacking.insert(
                    file.name().to_string(),
                    Lacking {
                        option_imports,
                        editions,
                    },
                );
            }
            let mut fresh = Vec::new();
            for proto in pool.into_file_descriptor_protos(|name| lacking.contains_key(name)) {
                let name = proto.name().to_string();
                let Lacking {
                    option_imports,
                    editions,
                } = lacking.remove(&name).unwrap_or_default();
                let events = module
                    .sources
                    .get(&name)
                    .and_then(|t| t.get().ok())
                    .is_none_or(|t| t.contains(super::events::DIRECTIVE));
                let mut imports = proto.dependency.clone();
                imports.extend(option_imports);
                meta.insert(
                    name.clone(),
                    Meta {
                        package: proto.package().to_string(),
                        imports,
                        events,
                    },
                );
                let kept = match editions {
                    Some(bytes) => Compiled::Encoded(bytes),
                    None => Compiled::Decoded(Arc::new(proto)),
                };
                if self.store.is_some() {
                    let bytes = match &kept {
                        Compiled::Encoded(bytes) => bytes.clone(),
                        Compiled::Decoded(file) => file.encode_to_vec().into(),
                    };
                    stored.push((name.clone(), bytes));
                }
                compiled.insert(name.clone(), kept);
                fresh.push(name);
            }
            extend_fingerprints(&module.ids, &meta, self.outside, &mut known, fresh.iter());
            shared.publish(&self.ids, &meta, &known, &compiled, &fresh);
        }
        Ok(Part {
            compiled,
            meta,
            stored,
        })
    }
}

impl Prepared {
    /// What the stat cache may remember of file `name`: its package, imports and fingerprint.
    pub fn remembered(&self, name: &str) -> Option<Remembered> {
        Some(Remembered {
            meta: self.meta.get(name)?.clone(),
            fingerprint: *self.fingerprints.get(name)?,
        })
    }

    /// The source text of file `name` (none if it can no longer be read).
    pub fn source(&self, name: &str) -> Option<Arc<str>> {
        self.sources.get(name)?.get().ok()
    }

    /// Where file `name` lives relative to the module root, where that differs from its name.
    pub fn path(&self, name: &str) -> Option<String> {
        self.paths.get(name).cloned()
    }

    /// How many compiled files are held, not yet released.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.compiled.lock().unwrap().len()
    }

    /// Every file's name, package, imports, place and fingerprint, without decoding any.
    pub fn outline(&self) -> Outline {
        let files = self
            .sources
            .keys()
            .map(|name| {
                let meta = self.meta.get(name);
                (
                    name.clone(),
                    FileOutline {
                        package: meta.map(|m| m.package.clone()).unwrap_or_default(),
                        imports: meta.map(|m| m.imports.clone()).unwrap_or_default(),
                        path: self.paths.get(name).unwrap_or(name).clone(),
                        fingerprint: self.fingerprints.get(name).copied(),
                        events: meta.is_none_or(|m| m.events),
                    },
                )
            })
            .collect();
        Outline {
            files,
            placed: true,
        }
    }

    /// Decodes the files named in `keep` (every file when `None`) into a contract. A cached
    /// entry that fails to decode (damaged after it was found) is deleted and the module
    /// prepared again, so a damaged cache never changes a result.
    pub fn contract(&self, keep: Option<&BTreeSet<String>>) -> anyhow::Result<Contract> {
        self.contract_with(keep, cache::current(), 2, false)
    }

    /// [`Prepared::contract`], dropping the encoded files as they are decoded (and those not
    /// decoded): a cold run's peak memory held both forms of every file. Meant for the last
    /// decoding: files compiled in this run are then read from the cache, or compiled again.
    pub fn contract_releasing(&self, keep: Option<&BTreeSet<String>>) -> anyhow::Result<Contract> {
        self.contract_with(keep, cache::current(), 2, true)
    }

    fn contract_with(
        &self,
        keep: Option<&BTreeSet<String>>,
        store: Option<&cache::Cache>,
        attempts: u8,
        release: bool,
    ) -> anyhow::Result<Contract> {
        let wanted = |name: &str| keep.is_none_or(|k| k.contains(name));
        let _t = crate::timing::span("decode");
        let mut files = Vec::new();
        let mut editions = BTreeMap::new();
        let mut damaged = Vec::new();
        // An editions file's features, which prost-types drops, from the same bytes.
        let mut decode = |bytes: &[u8]| {
            let file = FileDescriptorProto::decode(bytes).ok()?;
            if let Some(features) = super::features::EditionsFile::of(&file, bytes) {
                editions.insert(file.name().to_string(), Arc::new(features));
            }
            Some(file)
        };
        let mut compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        for name in self.sources.keys().filter(|n| wanted(n)) {
            let fingerprint = self.fingerprints.get(name);
            let kept = match release {
                true => compiled.remove(name),
                false => compiled.get(name).cloned(),
            };
            let was_compiled = kept.is_some();
            let file = match kept {
                Some(Compiled::Encoded(bytes)) => decode(&bytes[..]),
                // The other side may hold it too (a file both share).
                Some(Compiled::Decoded(file)) => {
                    Some(Arc::try_unwrap(file).unwrap_or_else(|file| (*file).clone()))
                }
                None => fingerprint
                    .and_then(|f| store.and_then(|s| s.get(f)))
                    .and_then(|b| decode(b.as_slice())),
            };
            match file {
                Some(file) if file.name() == name => files.push(file),
                _ if !was_compiled && fingerprint.is_some() => {
                    damaged.extend(fingerprint);
                }
                _ => bail!("internal error: {name} was compiled but cannot be decoded"),
            }
        }
        if release {
            *compiled = HashMap::new();
        }
        drop(compiled);
        if !damaged.is_empty() {
            // Entries found when preparing but unreadable now (damaged, or trimmed by another
            // run): delete them and prepare again, which compiles and rewrites them; should
            // that fail too, once more without the cache.
            if let Some(store) = store {
                for fingerprint in damaged {
                    store.remove(fingerprint);
                }
            }
            if attempts == 0 {
                bail!("internal error: compiled files went missing twice");
            }
            let again = Prepared {
                origin: self.origin.clone(),
                sources: self.sources.clone(),
                paths: self.paths.clone(),
                ids: self.ids.clone(),
                meta: HashMap::new(),
                fingerprints: HashMap::new(),
                compiled: Default::default(),
                root: self.root.clone(),
                options: self.options.clone(),
            };
            let store = store.filter(|_| attempts > 1);
            return prepare_with(again, store, HashMap::new(), None)?.contract_with(
                keep,
                store,
                attempts - 1,
                release,
            );
        }
        let names: Vec<&String> = self.sources.keys().filter(|n| wanted(n)).collect();
        texts::load(&self.sources, names.iter().copied())?;
        let sources = names
            .into_iter()
            .map(|n| Ok((n.clone(), self.sources[n].get()?)))
            .collect::<anyhow::Result<_>>()?;
        let mut contract = Contract::from_files(self.origin.clone(), files, sources);
        contract.paths = self
            .paths
            .iter()
            .filter(|(n, _)| wanted(n))
            .map(|(n, p)| (n.clone(), p.clone()))
            .collect();
        contract.editions = editions;
        Ok(contract)
    }
}

/// Files per compiler: small enough that one pool is a fraction of the module (the files
/// compiled so far are kept decoded beside it when there is no cache: 400 raised a cold
/// check's peak by up to 60 MB), and that a worker sees soon what the others compiled; large
/// enough that decoding the imports each chunk shares (google/api/..., common types) stays
/// cheap.
const CHUNK: usize = 250;

/// Files of this many bytes or more are compiled first: Google's compute.proto (4 MB) takes a
/// quarter of a second alone, and when it came last one worker waited that long for the other.
const HEAVY: usize = 1 << 20;

/// The smallest chunk, as the files run out.
const MIN_CHUNK: usize = 25;

/// From this many files to compile, two workers share them.
const SPLIT: usize = 200;

/// What the workers compiling a module, and the other side's when two are prepared at once,
/// share (in memory, with or without the cache): the package and imports of each blob, and
/// each compiled file by fingerprint, as the cache holds them. A file identical on both sides
/// with identical imports (one fingerprint) is compiled once, by the worker that reaches it
/// first: each half of the files is walked from one end by one side, from the other end by
/// the other, and each worker looks here before each chunk.
#[derive(Default)]
pub struct Shared {
    /// Meta by blob id, in the order learnt: a worker reads only what was added since it last
    /// looked (reading all of it before each chunk was a twentieth of a cold run).
    meta: std::sync::Mutex<Vec<(String, Meta)>>,
    compiled: std::sync::Mutex<HashMap<Fingerprint, Compiled>>,
}

/// One side's part in a [`Shared`] preparation.
#[derive(Clone, Copy)]
pub struct Sharing<'a> {
    pub shared: &'a Shared,
    /// Whether this side walks each half of its files from the end towards the other.
    pub from_end: bool,
}

impl Shared {
    /// The files of `pending` that the other side compiled, by name, with the meta learnt on
    /// the way (into `meta`; `seen` counts what of it this worker has read) and the
    /// fingerprints it lets this side compute (into `known`).
    fn take(
        &self,
        ids: &Ids,
        meta: &mut HashMap<String, Meta>,
        seen: &mut usize,
        outside: &Outside,
        known: &mut HashMap<String, Fingerprint>,
        pending: &[&String],
    ) -> Vec<(String, Compiled)> {
        {
            let shared = self.meta.lock().unwrap_or_else(|e| e.into_inner());
            for (id, m) in &shared[*seen..] {
                for name in ids.names(id) {
                    if !meta.contains_key(name) {
                        meta.insert(name.clone(), m.clone());
                    }
                }
            }
            *seen = shared.len();
        }
        extend_fingerprints(ids.by_name, meta, outside, known, pending.iter().copied());
        let compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        pending
            .iter()
            .filter_map(|name| {
                let bytes = compiled.get(known.get(*name)?)?;
                Some(((*name).clone(), bytes.clone()))
            })
            .collect()
    }

    /// Makes the files `fresh`, just compiled, known to the other side.
    fn publish(
        &self,
        ids: &Ids,
        meta: &HashMap<String, Meta>,
        known: &HashMap<String, Fingerprint>,
        compiled: &HashMap<String, Compiled>,
        fresh: &[String],
    ) {
        {
            let mut shared = self.meta.lock().unwrap_or_else(|e| e.into_inner());
            for name in fresh {
                if let (Some(id), Some(m)) = (ids.by_name.get(name), meta.get(name)) {
                    shared.push((id.clone(), m.clone()));
                }
            }
        }
        let mut shared = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        for name in fresh {
            if let (Some(f), Some(bytes)) = (known.get(name), compiled.get(name)) {
                shared.entry(*f).or_insert_with(|| bytes.clone());
            }
        }
    }
}

/// A module's blob ids by file name, and its file names by blob id.
struct Ids<'a> {
    by_name: &'a BTreeMap<String, String>,
    by_id: HashMap<&'a str, Vec<&'a String>>,
}

impl<'a> Ids<'a> {
    fn of(by_name: &'a BTreeMap<String, String>) -> Ids<'a> {
        let mut by_id: HashMap<&str, Vec<&String>> = HashMap::new();
        for (name, id) in by_name {
            by_id.entry(id.as_str()).or_default().push(name);
        }
        Ids { by_name, by_id }
    }

    /// The files whose content is blob `id`.
    fn names(&self, id: &str) -> impl Iterator<Item = &'a String> + '_ {
        self.by_id.get(id).into_iter().flatten().copied()
    }
}

/// Compile options and resolution order that shape every compiled file of a module.
const OPTIONS: &[u8] =
    b"source info; imports: module, vendor, protox's well-known types, contract::known";

fn meta_key(id: &str) -> cache::Key {
    cache::key("meta2", &[id.as_bytes()])
}

/// `events` or `-`, the package, then one import a line.
fn encode_meta(meta: &Meta) -> Vec<u8> {
    let mut lines = vec![
        if meta.events { "events" } else { "-" },
        meta.package.as_str(),
    ];
    lines.extend(meta.imports.iter().map(String::as_str));
    lines.join("\n").into_bytes()
}

fn decode_meta(payload: Vec<u8>) -> Option<Meta> {
    let text = String::from_utf8(payload).ok()?;
    let mut lines = text.split('\n').map(str::to_string);
    let events = match lines.next()?.as_str() {
        "events" => true,
        "-" => false,
        _ => return None,
    };
    Some(Meta {
        events,
        package: lines.next()?,
        imports: lines.collect(),
    })
}

/// What an import from outside the module resolves to, for fingerprints: the vendored
/// folder's files (hashed once, when the module has one), else a well-known type (versioned
/// with protox) or a file protogen carries (`known`, by its text).
struct Outside {
    vendor: Option<cache::Key>,
}

impl Outside {
    fn of(root: &Path, options: &LoadOptions) -> Outside {
        let vendor = options.vendor.as_ref().map(|vendor| {
            let mut parts: Vec<Vec<u8>> = Vec::new();
            let dir = root.join(vendor);
            for entry in walkdir::WalkDir::new(&dir)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
            {
                let name = import_name(entry.path().strip_prefix(&dir).unwrap_or(entry.path()));
                let bytes = std::fs::read(entry.path()).unwrap_or_default();
                parts.push(name.into_bytes());
                parts.push(cache::blob_id(&bytes).into_bytes());
            }
            let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            cache::key("vendor", &parts)
        });
        Outside { vendor }
    }

    fn part(&self, dep: &str) -> cache::Key {
        let mut parts: Vec<&[u8]> = vec![dep.as_bytes()];
        if let Some(vendor) = &self.vendor {
            parts.push(vendor);
        }
        let known = super::known::needed([dep]);
        if known.is_empty() {
            parts.push(b"well-known");
        }
        for (name, text) in &known {
            parts.push(name.as_bytes());
            parts.push(text.as_bytes());
        }
        cache::key("outside", &parts)
    }
}

/// The fingerprint of every file whose imports are known, transitively: a hash of its name, its
/// content id, the compile options and the fingerprints of its imports (see [`Outside`] for
/// imports from outside the module). Files in an import cycle have none.
fn fingerprints(
    ids: &BTreeMap<String, String>,
    meta: &HashMap<String, Meta>,
    outside: &Outside,
) -> HashMap<String, Fingerprint> {
    let mut known = HashMap::new();
    extend_fingerprints(ids, meta, outside, &mut known, ids.keys());
    known
}

/// Adds to `known` the fingerprints of `names` (and of what they import) that can be computed
/// now; those already in `known` are not computed again (meta only grows, so they stay true).
fn extend_fingerprints<'n>(
    ids: &BTreeMap<String, String>,
    meta: &HashMap<String, Meta>,
    outside: &Outside,
    known: &mut HashMap<String, Fingerprint>,
    names: impl Iterator<Item = &'n String>,
) {
    struct Walk<'a> {
        ids: &'a BTreeMap<String, String>,
        meta: &'a HashMap<String, Meta>,
        outside: &'a Outside,
        known: &'a mut HashMap<String, Fingerprint>,
        /// Files found without a fingerprint in this walk.
        unknown: HashSet<String>,
        visiting: HashSet<String>,
        /// By import name, for imports from outside the module (the same few, many times).
        outside_parts: HashMap<String, cache::Key>,
    }
    impl Walk<'_> {
        fn visit(&mut self, name: &str) -> Option<Fingerprint> {
            if let Some(known) = self.known.get(name) {
                return Some(*known);
            }
            if self.unknown.contains(name) || !self.visiting.insert(name.to_string()) {
                return None;
            }
            let result = self.compute(name);
            self.visiting.remove(name);
            match result {
                Some(f) => self.known.insert(name.to_string(), f),
                None => {
                    self.unknown.insert(name.to_string());
                    None
                }
            };
            result
        }

        fn compute(&mut self, name: &str) -> Option<Fingerprint> {
            let deps = &self.meta.get(name)?.imports;
            let id = self.ids.get(name)?;
            let mut parts: Vec<Vec<u8>> = vec![name.into(), id.clone().into(), OPTIONS.into()];
            for dep in deps {
                parts.push(dep.clone().into());
                if self.ids.contains_key(dep) {
                    parts.push(self.visit(dep)?.to_vec());
                } else {
                    let outside = self.outside;
                    let part = self
                        .outside_parts
                        .entry(dep.clone())
                        .or_insert_with(|| outside.part(dep));
                    parts.push(part.to_vec());
                }
            }
            let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            Some(cache::key("file", &parts))
        }
    }
    let mut walk = Walk {
        ids,
        meta,
        outside,
        known,
        unknown: HashSet::new(),
        visiting: HashSet::new(),
        outside_parts: HashMap::new(),
    };
    for name in names {
        walk.visit(name);
    }
}

/// How to make imports from buf dependencies (`deps:`), which protogen does not download,
/// available: vendor them with `buf export`.
fn deps_help(deps: &[String], vendor: Option<&Path>) -> String {
    let vendor = vendor.map_or("vendor".to_string(), import_name);
    let commands: Vec<String> = deps
        .iter()
        .map(|dep| {
            // `buf.build/owner/repo:v1.2` pins a version; buf export takes the same reference.
            format!("  buf export {dep} -o {vendor}/")
        })
        .collect();
    format!(
        "\nhelp: the import is not in the module; it probably comes from a dependency in buf.yaml \
         (deps: {}), and protogen does not download dependencies. Vendor them once, in the \
         folder that holds buf.yaml, and commit {vendor}/ (protogen resolves imports from it \
         and does not judge its files):\n{}",
        deps.join(", "),
        commands.join("\n")
    )
}

/// Renders a protox error the way rustc does: message, file:line:column, the source line
/// (an excerpt around the column when the line is long) and a caret.
pub fn render_diagnostic(error: protox::Error) -> String {
    super::snippet::diagnostic(&error)
}

/// What every compile of a contract resolves after the contract's own files: the well-known
/// types (protox's), then the files protogen carries (`known`).
pub(super) fn resolve_the_rest(resolver: &mut ChainFileResolver) {
    resolver.add(GoogleFileResolver::new());
    resolver.add(super::known::KnownFileResolver);
}

/// Source texts by file name.
pub(super) struct MemoryResolver {
    pub(super) files: Arc<HashMap<String, Arc<str>>>,
}

impl FileResolver for MemoryResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.files.get(name) {
            Some(text) => File::from_source(name, text),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// The module's source texts, read on first use.
struct TextResolver {
    files: Arc<Texts>,
}

impl FileResolver for TextResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.files.get(name).map(Text::get) {
            Some(Ok(text)) => File::from_source(name, &text),
            _ => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Compiled files from the cache, served to protox as already-built imports; an entry that
/// cannot be read falls through to the source text.
struct CachedResolver {
    store: cache::Cache,
    hits: Arc<HashMap<String, Fingerprint>>,
}

impl FileResolver for CachedResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        self.hits
            .get(name)
            .and_then(|f| self.store.get(f))
            .and_then(|bytes| File::decode_file_descriptor_proto(bytes.as_slice()).ok())
            .filter(|file| file.name() == name)
            .ok_or_else(|| protox::Error::file_not_found(name))
    }
}

/// Files compiled by earlier chunks of this run, served as already-built imports.
struct EncodedResolver {
    files: HashMap<String, Compiled>,
    /// Whether decoded files keep their source code info (see `Work::imports_located`).
    located: bool,
}

impl FileResolver for EncodedResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.files.get(name) {
            Some(Compiled::Encoded(bytes)) => File::decode_file_descriptor_proto(&bytes[..]).ok(),
            // Without its extension options (prost-types has no place for them): an
            // importer's compile reads its imports' types, not their options.
            Some(Compiled::Decoded(file)) if self.located => {
                Some(File::from_file_descriptor_proto((**file).clone()))
            }
            Some(Compiled::Decoded(file)) => {
                Some(File::from_file_descriptor_proto(unlocated(file)))
            }
            None => None,
        }
        .ok_or_else(|| protox::Error::file_not_found(name))
    }
}

/// A copy of `file` without its source code info (most of its size).
fn unlocated(file: &FileDescriptorProto) -> FileDescriptorProto {
    // Every field named: a field prost-types adds is a compile error here, not a loss.
    let FileDescriptorProto {
        name,
        package,
        dependency,
        public_dependency,
        weak_dependency,
        message_type,
        enum_type,
        service,
        extension,
        options,
        source_code_info: _,
        syntax,
    } = file;
    FileDescriptorProto {
        name: name.clone(),
        package: package.clone(),
        dependency: dependency.clone(),
        public_dependency: public_dependency.clone(),
        weak_dependency: weak_dependency.clone(),
        message_type: message_type.clone(),
        enum_type: enum_type.clone(),
        service: service.clone(),
        extension: extension.clone(),
        options: options.clone(),
        source_code_info: None,
        syntax: syntax.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module of `files` (name, text, blob id: a test may give two texts one id, to see
    /// which side's text a compiled file came from).
    fn placed(files: &[(&str, &str, &str)]) -> Placed {
        let mut placed = Placed::default();
        for (name, text, id) in files {
            placed
                .add_with_id(name, &LoadOptions::default(), || {
                    Ok((Text::loaded(Arc::from(*text)), id.to_string()))
                })
                .unwrap();
        }
        placed
    }

    fn messages(prepared: &Prepared, file: &str) -> Vec<String> {
        let contract = prepared.contract(None).unwrap();
        let file = contract.file(file).unwrap();
        file.message_type
            .iter()
            .map(|m| m.name().to_string())
            .collect()
    }

    #[test]
    fn a_file_identical_on_both_sides_with_identical_imports_is_compiled_once() {
        let shared = Shared::default();
        let sharing = |from_end| {
            Some(Sharing {
                shared: &shared,
                from_end,
            })
        };
        let root = Path::new(".");
        let old = placed(&[
            (
                "a.proto",
                "syntax = \"proto3\"; import \"b.proto\"; message A { B b = 1; }",
                "a1",
            ),
            ("b.proto", "syntax = \"proto3\"; message B {}", "b1"),
            (
                "c.proto",
                "syntax = \"proto3\"; import \"d.proto\"; message C { D d = 1; }",
                "c1",
            ),
            ("d.proto", "syntax = \"proto3\"; message D {}", "d1"),
        ]);
        let old = prepare(
            "old".into(),
            old,
            root,
            &LoadOptions::default(),
            sharing(true),
        );
        let old = old.unwrap();
        // The same ids with other texts: a file taken from the other side keeps its message
        // names; one compiled here gets the new ones.
        let new = placed(&[
            (
                "a.proto",
                "syntax = \"proto3\"; import \"b.proto\"; message A2 { B b = 1; }",
                "a1",
            ),
            (
                "b.proto",
                "syntax = \"proto3\"; message B2 {} message B {}",
                "b1",
            ),
            (
                "c.proto",
                "syntax = \"proto3\"; import \"d.proto\"; message C2 { D d = 1; }",
                "c1",
            ),
            (
                "d.proto",
                "syntax = \"proto3\"; message D2 {} message D {}",
                "d2",
            ),
        ]);
        let new = prepare(
            "new".into(),
            new,
            root,
            &LoadOptions::default(),
            sharing(false),
        );
        let new = new.unwrap();
        assert_eq!(messages(&old, "a.proto"), ["A"]);
        // Same blob, imports alike: compiled once.
        assert_eq!(messages(&new, "a.proto"), ["A"]);
        assert_eq!(messages(&new, "b.proto"), ["B"]);
        // Same blob, but it imports a file that differs: compiled on each side.
        assert_eq!(messages(&new, "c.proto"), ["C2"]);
        assert_eq!(messages(&new, "d.proto"), ["D2", "D"]);
        assert_eq!(
            new.fingerprints.get("a.proto"),
            old.fingerprints.get("a.proto")
        );
        assert_ne!(
            new.fingerprints.get("c.proto"),
            old.fingerprints.get("c.proto")
        );
    }

    #[test]
    fn two_workers_compile_a_large_module_and_report_the_first_error_by_name() {
        let texts: Vec<(String, String)> = (0..2 * SPLIT)
            .map(|i| {
                let name = format!("m{i:03}.proto");
                // Each file imports the one before it: the halves import across.
                let text = match i {
                    0 => "syntax = \"proto3\"; message M000 {}".to_string(),
                    i => format!(
                        "syntax = \"proto3\"; import \"m{:03}.proto\"; message M{i:03} {{ M{:03} m = 1; }}",
                        i - 1,
                        i - 1
                    ),
                };
                (name, text)
            })
            .collect();
        let module = |texts: &[(String, String)]| {
            let mut placed = Placed::default();
            for (name, text) in texts {
                placed
                    .add(name, &LoadOptions::default(), || {
                        Ok(Arc::from(text.as_str()))
                    })
                    .unwrap();
            }
            prepare(
                "m".into(),
                placed,
                Path::new("."),
                &LoadOptions::default(),
                None,
            )
        };
        let prepared = module(&texts).unwrap();
        let contract = prepared.contract(None).unwrap();
        assert_eq!(contract.files.len(), 2 * SPLIT);
        let last = contract
            .file(&format!("m{:03}.proto", 2 * SPLIT - 1))
            .unwrap();
        assert_eq!(
            last.message_type[0].field[0].type_name(),
            format!(".M{:03}", 2 * SPLIT - 2)
        );

        // One broken file in each half: the error is the one a walk in name order meets first.
        let mut broken = texts.clone();
        for i in [SPLIT / 2, SPLIT + SPLIT / 2] {
            broken[i].1 = format!("syntax = \"proto3\"; message Broken{i} {{ Missing{i} m = 1; }}");
        }
        let error = module(&broken).err().unwrap().to_string();
        assert!(error.contains(&format!("Missing{}", SPLIT / 2)), "{error}");
        assert!(
            !error.contains(&format!("Missing{}", SPLIT + SPLIT / 2)),
            "{error}"
        );
    }

    #[test]
    fn two_workers_take_every_file_once_from_the_two_ends() {
        let names: Vec<String> = (0..1000).map(|i| format!("f{i:04}.proto")).collect();
        for rotate in [false, true] {
            let queue = Queue::new(names.iter().collect(), rotate, &|_| false);
            let (mut front, mut back) = (Vec::new(), Vec::new());
            let first = queue.take(false, queue.chunk());
            let last = queue.take(true, queue.chunk());
            // The front starts where the files (or, rotated, their second half) start, the
            // back where they end; chunks are a quarter of what is left at most.
            let start = if rotate { 500 } else { 0 };
            assert_eq!(first[0], &names[start]);
            assert_eq!(last[0], &names[(start + 999) % 1000]);
            assert_eq!(first.len(), CHUNK.min(1000 / 4));
            front.extend(first);
            back.extend(last);
            loop {
                let (f, b) = (queue.take(false, queue.chunk()), queue.take(true, 7));
                if f.is_empty() && b.is_empty() {
                    break;
                }
                front.extend(f);
                back.extend(b);
            }
            let mut all: Vec<&String> = front.into_iter().chain(back).collect();
            all.sort();
            assert_eq!(all, names.iter().collect::<Vec<_>>());
        }
        let queue = Queue::new(names.iter().collect(), false, &|_| false);
        queue.close();
        assert!(queue.take(false, 10).is_empty());
    }

    #[test]
    fn heavy_files_come_first_the_others_in_their_order() {
        let names: Vec<String> = (0..100).map(|i| format!("f{i:02}.proto")).collect();
        let heavy = |name: &str| name == "f70.proto" || name == "f20.proto";
        for rotate in [false, true] {
            let queue = Queue::new(names.iter().collect(), rotate, &heavy);
            let first = queue.take(false, 4);
            let start = if rotate { 50 } else { 0 };
            let (a, b) = if rotate { (70, 20) } else { (20, 70) };
            let expected = [a, b, start, start + 1].map(|i| &names[i]);
            assert_eq!(first, expected);
        }
    }
}
