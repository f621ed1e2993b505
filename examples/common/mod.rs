//! Helpers shared by the chapter examples: tiny flag parsing and the output folder.
//!
//! Each example includes this file with `mod common;`; an example that saves no figure
//! leaves `out_dir` and `save` unused, hence the `allow`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::str::FromStr;

use dlfs::plot::Figure;

/// Command-line flags of the form `--name value`.
pub struct Args {
    args: Vec<String>,
    usage: &'static str,
}

impl Args {
    /// Reads `std::env::args()`; prints `usage` and exits on `--help`. Exits with the usage
    /// on a flag that `usage` does not list as `[--name …]`.
    pub fn parse(usage: &'static str) -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.iter().any(|a| a == "--help" || a == "-h") {
            println!("{usage}");
            std::process::exit(0);
        }
        // A mistyped flag (`--iter 200`) must not silently start the full-length run.
        for a in args.iter().filter(|a| a.starts_with("--")) {
            if !usage.contains(&format!("[{a} ")) {
                eprintln!("unknown flag {a}\nusage: {usage}");
                std::process::exit(2);
            }
        }
        Args { args, usage }
    }

    /// The value after `--name`, parsed, or `default` when the flag is absent. Exits with
    /// the usage text when the value is missing or does not parse.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> T {
        let flag = format!("--{name}");
        match self.args.iter().position(|a| *a == flag) {
            None => default,
            Some(i) => match self.args.get(i + 1).and_then(|v| v.parse().ok()) {
                Some(v) => v,
                None => {
                    eprintln!("{flag} needs a value\nusage: {}", self.usage);
                    std::process::exit(2);
                }
            },
        }
    }
}

/// `target/examples/<name>/` (under the crate root), created if missing.
pub fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("examples")
        .join(name);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Saves a figure as `dir/<stem>.<svg|png|gif>` (the extension of its kind) and says where.
pub fn save(fig: Figure, dir: &std::path::Path, stem: &str) {
    let path = dir.join(format!("{stem}.{}", fig.kind().extension()));
    match fig.save(&path) {
        Ok(()) => println!("saved {}", path.display()),
        Err(e) => {
            eprintln!("could not save {}: {e}", path.display());
            std::process::exit(1);
        }
    }
}
