//! protogen's entry point: parse the command line, run the command, map the outcome to an
//! exit code (0 fine, 1 breaking changes found, 2 bad input). Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = protogen::cli::Cli::parse();
    match protogen::commands::run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{}", protogen::commands::render_error(&error));
            ExitCode::from(2)
        }
    }
}
