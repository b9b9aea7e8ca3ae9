//! `kelisim check-config FILE`: exit 0 when the SDK will accept the config,
//! 1 when it has problems (each printed as `path: message`), 2 when the
//! command is misused or the file cannot be read.

use std::process::ExitCode;

const USAGE: &str = "usage: kelisim check-config FILE\n\nChecks a kelisim site config (kelisim.config.json) as the SDK will read it and\nprints every problem as `path: message`. Exit status: 0 valid, 1 problems found,\n2 usage error or unreadable file.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["check-config", file] => check(file),
        ["--help" | "-h" | "help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn check(file: &str) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("kelisim check-config: cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    match kelisim_cli::check(&text) {
        Ok(()) => {
            println!("{file}: ok");
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                println!("{file}: {p}");
            }
            let n = problems.len();
            eprintln!("kelisim check-config: {n} problem{} in {file}", if n == 1 { "" } else { "s" });
            ExitCode::from(1)
        }
    }
}
