//! Reads a module root as it was at a git ref, straight from the object database: the work
//! tree and the index are never touched. Blobs are read only when a file is compiled or
//! decoded: `ls-tree` gives every file's blob id, which is its key in the cache.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use super::compile::{import_name, prepare, Placed, Prepared, Sharing, SourceFiles};
use super::texts::Text;
use super::LoadOptions;

/// The repository's top level and `module_root` relative to it.
pub fn locate(module_root: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let root = module_root
        .canonicalize()
        .with_context(|| format!("cannot find {}", module_root.display()))?;
    let top = git(&root, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(String::from_utf8_lossy(&top).trim()).canonicalize()?;
    let subdir = root
        .strip_prefix(&top)
        .unwrap_or(Path::new(""))
        .to_path_buf();
    Ok((top, subdir))
}

/// Fails with a helpful message when `reference` does not name a commit, and says how to
/// fix a shallow CI clone, the usual cause.
pub fn verify_ref(repo: &Path, reference: &str) -> anyhow::Result<()> {
    let commit = format!("{reference}^{{commit}}");
    if git(repo, &["rev-parse", "--verify", "--quiet", &commit]).is_ok() {
        return Ok(());
    }
    let shallow = git(repo, &["rev-parse", "--is-shallow-repository"])
        .map(|out| out.starts_with(b"true"))
        .unwrap_or(false);
    if shallow {
        bail!(
            "'{reference}' is not a directory, a file or a commit of this repository.\n\
             This is a shallow clone, so the baseline's history is probably missing.\n\
             help: fetch it with `git fetch --unshallow origin` (or `git fetch origin {reference}`), \
             or in GitHub Actions set `fetch-depth: 0` on actions/checkout"
        );
    }
    bail!(
        "'{reference}' is not a directory, a file or a commit of the repository at {}\n\
         help: use a branch (`main`, `origin/main`), a tag, a sha or `HEAD~1`; for a remote branch run `git fetch origin` first",
        repo.display()
    )
}

pub fn load(
    repo: &Path,
    reference: &str,
    subdir: &Path,
    options: &LoadOptions,
    sharing: Option<Sharing>,
) -> anyhow::Result<Prepared> {
    let prefix = import_name(subdir);
    let tree = if prefix.is_empty() {
        reference.to_string()
    } else {
        format!("{reference}:{prefix}")
    };
    let listing = git(repo, &["ls-tree", "-r", "-z", &tree])
        .with_context(|| format!("'{prefix}' does not exist at {reference}"))?;

    // Entries are "<mode> blob <sha>\t<path>\0", paths relative to `tree`.
    let mut wanted: Vec<(String, String)> = Vec::new();
    let mut placed = Placed::default();
    for entry in listing.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ');
        let (_, kind, sha) = (meta.next(), meta.next(), meta.next());
        let hidden = path.split('/').any(|part| part.starts_with('.'));
        if kind == Some("blob") && path.ends_with(".proto") && !hidden {
            wanted.push((path.to_string(), sha.unwrap_or_default().to_string()));
        }
    }
    let origin = if prefix.is_empty() {
        format!("git ref {reference}")
    } else {
        format!("git ref {reference}, {prefix}/")
    };
    let shared_repo = std::sync::Arc::new(repo.to_path_buf());
    for (path, sha) in wanted {
        // Blob ids are content ids: the cache knows these files without reading them.
        placed.add_with_id(&path, options, || {
            Ok((Text::blob(shared_repo.clone(), sha.clone()), sha))
        })?;
    }
    // Vendored dependencies are read from the work tree: they are pinned, not versioned here.
    prepare(origin, placed, &repo.join(subdir), options, sharing)
}

/// The text of the file at `relative` (to the module root `subdir`) at `reference`, `None`
/// when the tree there has no such file: how a baseline's own configuration is read.
pub fn read_file(
    repo: &Path,
    reference: &str,
    subdir: &Path,
    relative: &Path,
) -> anyhow::Result<Option<String>> {
    let path = import_name(&subdir.join(relative));
    let object = format!("{reference}:{path}");
    // `cat-file -e` tells a missing file (exit 1, no message) from a failing git.
    let exists = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "-e", &object])
        .stderr(Stdio::null())
        .status()
        .context("cannot run git; is it installed?")?;
    if !exists.success() {
        return Ok(None);
    }
    let bytes = git(repo, &["cat-file", "blob", &object])?;
    String::from_utf8(bytes)
        .map(Some)
        .with_context(|| format!("{path} at {reference} is not UTF-8"))
}

/// Reads the blobs `wanted` (name, blob id) through one `git cat-file --batch` process.
pub(super) fn read_blobs(repo: &Path, wanted: &[(String, String)]) -> anyhow::Result<SourceFiles> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run git")?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let request: String = wanted.iter().map(|(_, sha)| format!("{sha}\n")).collect();
    // Write from another thread so a large answer cannot deadlock against a full pipe.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut output = Vec::new();
    child
        .stdout
        .take()
        .expect("stdout is piped")
        .read_to_end(&mut output)?;
    writer.join().expect("writer thread does not panic")?;
    let status = child.wait()?;
    if !status.success() {
        bail!("git cat-file failed");
    }

    let mut sources = SourceFiles::new();
    let mut rest = output.as_slice();
    for (path, _) in wanted {
        // Header: "<sha> blob <size>\n", then the content and a newline.
        let header_end = rest
            .iter()
            .position(|b| *b == b'\n')
            .context("truncated git output")?;
        let header = String::from_utf8_lossy(&rest[..header_end]);
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .context("bad git header")?;
        let body = rest
            .get(header_end + 1..header_end + 1 + size)
            .context("truncated git output")?;
        let text = String::from_utf8(body.to_vec())
            .with_context(|| format!("{path} is not valid UTF-8"))?;
        sources.insert(path.clone(), text.into());
        rest = &rest[(header_end + 2 + size).min(rest.len())..];
    }
    Ok(sources)
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context("cannot run git; is it installed?")?;
    if !output.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}
