//! `kelisim-collector [--addr 127.0.0.1:8080] [--www DIR] [--dist DIR] [--db PATH] [--cors-origin ORIGIN]... [--cors-header NAME]... [--quiet]`

use std::io::Write;
use std::process::ExitCode;

use kelisim_collector::{Command, Config, USAGE};

fn main() -> ExitCode {
    let cli: Vec<String> = std::env::args().skip(1).collect();
    let args = if cli.first().map(String::as_str) == Some("verify") {
        cli
    } else {
        let mut all = Config::env_args(|k| std::env::var(k).ok());
        all.extend(cli);
        all
    };
    let config = match Config::from_args(args) {
        Ok(Command::Run(config)) => config.with_env(|k| std::env::var(k).ok()),
        Ok(Command::Verify { export, key }) => {
            return kelisim_collector::verify::main(&export, &key);
        }
        Ok(Command::Help) => {
            let _ = std::io::stdout().write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            let _ = write!(std::io::stderr(), "kelisim-collector: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match kelisim_collector::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "kelisim-collector: {e}");
            ExitCode::FAILURE
        }
    }
}
