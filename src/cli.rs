//! Command-line definitions (clap). Raw arguments only: resolving them into configuration
//! is the commands' job.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "protogen",
    version,
    about = "Contract-first gRPC for Rust: scaffold tonic crates from shared .proto packages, and guard the contract in CI",
    long_about = None,
    after_help = "Examples:\n  protogen new shop --proto proto/            scaffold server + client crates\n  protogen sync                               after the contract changed, or protogen: add stubs, keep your code\n  protogen check proto --against main         CI: compile, breaking changes, consumer impact\n  protogen diff origin/main HEAD --format markdown   pull requests: what changed, what breaks\n  protogen lint proto                         CI: buf's lint rules\n  protogen build proto -o image.binpb         the compiled contract, as buf build writes it"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Compile every file instead of reusing compiled files from the cache
    /// ($PROTOGEN_CACHE_DIR, else ~/.cache/protogen; PROTOGEN_CACHE_MAX_MB bounds its size,
    /// PROTOGEN_NO_CACHE=1 does what this flag does). Results are the same bytes either way
    #[arg(long, global = true)]
    pub no_cache: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a Cargo workspace (api, server and client crates) from .proto files
    New(NewArgs),
    /// Bring scaffolded crates along: stubs for a changed contract, protogen's files up to this
    /// protogen; never touches your code
    Sync(SyncArgs),
    /// Fail when the contract breaks compatibility with a baseline or with a deployed consumer
    Check(CheckArgs),
    /// Summarise every change between two versions of the contract, breaking ones first
    Diff(DiffArgs),
    /// Check the contract against buf's lint rules (style, layout, documentation)
    Lint(LintArgs),
    /// Compile the contract into a FileDescriptorSet (buf build's image), for grpcurl,
    /// Envoy's transcoder, reflection or any tool that reads descriptors
    Build(BuildArgs),
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  protogen new shop --proto fixtures/proto\n  protogen new shop --proto proto/users/v1/users.proto --proto proto/orders/v1/orders.proto --out services/shop\n\nA folder is the contract's import root and every .proto file below it is part of the contract.\nWith files, the import root is where the folders of their package begin (users/v1/ for package\nusers.v1), and only their services are scaffolded. DIR (default ./NAME) is the workspace itself."
)]
pub struct NewArgs {
    /// Name of the workspace; crates are named NAME-api, NAME-server and NAME-client
    pub name: String,
    /// A .proto file or a directory of them (its import root); repeat for more
    #[arg(long = "proto", value_name = "PATH", required = true)]
    pub protos: Vec<PathBuf>,
    /// Folder to create the workspace in (default: ./NAME)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write into an existing non-empty folder: replaces only the files protogen owns, keeps
    /// yours (handlers, Cargo.toml, README) as they are, and deletes nothing
    #[arg(long)]
    pub force: bool,
    /// Copy the .proto files into the workspace instead of referring to them by relative path
    #[arg(long)]
    pub vendor: bool,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "What sync changes:\n  \
    - Your code: stubs for new RPCs at the end of their handler's impl block, a handler file,\n    \
      module and router registration for each new service, a stub per new subscribed event.\n    \
      Nothing you wrote is rewritten; a file sync cannot edit safely is an error naming it.\n  \
    - protogen's files (their header says \"protogen owns this file\": NAME-api/src/runtime/;\n    \
      NAME-api's build.rs, Cargo.toml, src/lib.rs, src/events.rs and proto/; vendor/): brought\n    \
      up to this protogen, so a fix in the runtime reaches the service with one command.\n    \
      protogen.owned.toml records what protogen wrote and its version; a file edited by hand\n    \
      since is refused by name (nothing is written) unless --force.\n  \
    - Cargo.toml (yours): [workspace.dependencies] entries the runtime needs are added, entries\n    \
      still as protogen wrote them are updated, entries you changed are kept and reported.\n\n\
Examples:\n  \
  protogen sync --dry-run | less     the diff of every change; the summary goes to stderr\n  \
  protogen sync                      write them (all or nothing) and list what changed\n  \
  protogen sync --lock               also refresh each crate's protogen.lock")]
pub struct SyncArgs {
    /// The scaffolded workspace (default: the current folder)
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Print what would change as a diff, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Also refresh each crate's protogen.lock to the current contract
    #[arg(long)]
    pub lock: bool,
    /// Replace protogen's files even where they were edited by hand (the edits are lost;
    /// see them first with --dry-run)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "BASELINE is a directory, a git ref of the repository around PATH (main, origin/main, a sha, HEAD~1),\nor a FileDescriptorSet file (protoc --descriptor_set_out, buf build -o image.binpb).\n\nExit codes: 0 no breaking change, 1 breaking changes found, 2 the inputs could not be read or compiled."
)]
pub struct CheckArgs {
    /// The module root: the import root of the .proto files
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// What to compare against
    #[arg(long, value_name = "BASELINE", required_unless_present = "list_rules")]
    pub against: Option<String>,
    /// Configuration file (default: PATH/protogen.toml, then PATH/buf.yaml)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print every rule with its categories and meaning, then exit
    #[arg(long)]
    pub list_rules: bool,
    /// Lock files (or crate folders) of deployed consumers to judge; default: the locks of the
    /// workspaces whose protogen.toml names PATH as their contract, anywhere in its git repository
    #[arg(long, value_name = "GLOB")]
    pub consumers: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Rules and settings come from PATH/protogen.toml [lint] or PATH/buf.yaml `lint:` (v1beta1, v1, v2),\nwith buf's rule IDs and categories; default STANDARD. Silence one finding with a leading comment\n`// buf:lint:ignore RULE_ID` on the element or on an enclosing one (v2; v1 with allow_comment_ignores).\nA workspace (PATH/buf.work.yaml, or a buf.yaml v2 with `modules:`) lints each module with its own\nsettings, as buf does; paths are printed from PATH.\n\nExamples:\n  protogen lint proto\n  protogen lint proto --format github\n  protogen lint --list-rules\n\nExit codes: 0 no findings, 1 findings, 2 the contract or the configuration could not be read."
)]
pub struct LintArgs {
    /// The module root (the import root of the .proto files), or a workspace's folder
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Configuration file (default: PATH/protogen.toml, then PATH/buf.work.yaml, then PATH/buf.yaml)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print every lint rule with its categories (v2) and purpose, then exit
    #[arg(long)]
    pub list_rules: bool,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "The output is the module's files compiled, each after the files it imports, with the files they\nimport from outside the module (well-known types, vendored dependencies) unless --exclude-imports,\nand with source info (locations and comments) unless --exclude-source-info: what `buf build -o FILE`\nwrites for the same module. FILE ending in .json gets the protobuf JSON form, any other name the\nbinary form (.binpb); `-` writes the binary form to stdout. Configuration (build roots, excludes,\nworkspace modules, vendored deps) comes from PATH/protogen.toml, buf.work.yaml or buf.yaml.\n\nExamples:\n  protogen build proto -o image.binpb\n  protogen build proto -o - | grpcurl -protoset /dev/stdin list\n  protogen build proto -o image.json --exclude-source-info\n\nExit codes: 0 written, 2 the contract could not be read or compiled, or FILE not written."
)]
pub struct BuildArgs {
    /// The module root (the import root of the .proto files), or a workspace's folder
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Where to write the FileDescriptorSet: FILE.binpb (binary), FILE.json (protobuf JSON), - (stdout)
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Leave out the files the module imports from elsewhere (well-known types, dependencies)
    #[arg(long)]
    pub exclude_imports: bool,
    /// Leave out source info (locations and comments): a smaller file
    #[arg(long)]
    pub exclude_source_info: bool,
    /// Configuration file (default: PATH/protogen.toml, then PATH/buf.work.yaml, then PATH/buf.yaml)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "OLD and NEW take the same inputs as `check --against`. Exit code 0 whether or not anything changed\n(use `protogen check` to gate), 2 when an input could not be read."
)]
pub struct DiffArgs {
    /// The old contract
    pub old: String,
    /// The new contract (default: the working tree)
    pub new: Option<String>,
    /// The module root, used to resolve git refs and find configuration
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// Configuration file (default: PATH/protogen.toml, then PATH/buf.yaml)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Also list changes to comments
    #[arg(long)]
    pub include_docs: bool,
    /// Link locations in Markdown to this URL (e.g. https://github.com/org/repo/blob/SHA/proto)
    #[arg(long, value_name = "URL")]
    pub link_base: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style, with the source line and a caret
    Text,
    /// one JSON object: {"findings":[...]}
    Json,
    /// GitHub Actions workflow annotations
    Github,
    Markdown,
    /// SARIF 2.1.0, for code-scanning upload
    Sarif,
    /// JUnit XML, one test case per rule
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}
