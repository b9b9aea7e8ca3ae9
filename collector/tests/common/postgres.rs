//! A real PostgreSQL server for the collector's tests and its benchmark,
//! started on a temporary data directory and a free port (Debian's
//! `postgresql` package; `scripts/setup.sh` installs it), stopped on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::TempDir;

/// A running PostgreSQL server.
pub struct Postgres {
    dir: TempDir,
    bin: PathBuf,
    pub port: u16,
}

/// Why [`Postgres::try_start`] did not give a server.
#[derive(Debug)]
pub enum NoPostgres {
    /// The server binaries are not installed.
    Missing(String),
    /// They are, but the server did not start.
    Failed(String),
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root
/// (initdb and postgres refuse to run as root).
fn pg_tool(bin: &Path, tool: &str, args: &[&str]) -> Result<std::process::Output, String> {
    let exe = bin.join(tool);
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    cmd.args(args)
        .output()
        .map_err(|e| format!("{}: {e}", exe.display()))
}

impl Postgres {
    /// Starts a server, or skips (saying so, and returning `None`) when the
    /// server binaries are missing and `KELISIM_REQUIRE_SHARED` is not 1.
    /// Panics when they are installed but the server does not start.
    pub fn start() -> Option<Postgres> {
        match Postgres::try_start() {
            Ok(pg) => Some(pg),
            Err(NoPostgres::Missing(msg)) => {
                if std::env::var("KELISIM_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
                    panic!("{msg}; KELISIM_REQUIRE_SHARED=1 forbids skipping");
                }
                eprintln!("SKIPPED: the PostgreSQL tests: {msg}");
                None
            }
            Err(NoPostgres::Failed(msg)) => panic!("{msg}"),
        }
    }

    /// Starts a server on a temporary data directory and a free port.
    pub fn try_start() -> Result<Postgres, NoPostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").is_file())
            .max();
        let Some(bin) = bin else {
            return Err(NoPostgres::Missing(
                "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (install Debian's postgresql package; scripts/setup.sh does)".into(),
            ));
        };
        let failed = NoPostgres::Failed;
        let dir = TempDir::new("pg");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .map_err(|e| failed(format!("chown: {e}")))?;
            if !ok.success() {
                return Err(failed(format!("chown {} failed", dir.path().display())));
            }
        }
        let data = dir.path().join("data");
        let data_arg = data
            .to_str()
            .ok_or_else(|| failed("non-UTF-8 path".into()))?;
        let out = pg_tool(
            &bin,
            "initdb",
            &["-D", data_arg, "-A", "trust", "-U", "kelisim"],
        )
        .map_err(failed)?;
        if !out.status.success() {
            return Err(failed(format!(
                "initdb: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| failed(format!("a free port: {e}")))?
            .port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            dir.path().display()
        );
        let log = dir.path().join("log");
        let out = pg_tool(
            &bin,
            "pg_ctl",
            &[
                "-D",
                data_arg,
                "-l",
                log.to_str().unwrap_or_default(),
                "-o",
                &opts,
                "-w",
                "start",
            ],
        )
        .map_err(failed)?;
        if !out.status.success() {
            return Err(failed(format!(
                "pg_ctl start: {} {}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            )));
        }
        Ok(Postgres { dir, bin, port })
    }

    /// A fresh database; its URL.
    pub fn database(&self, name: &str) -> String {
        let admin = format!("postgres://kelisim@127.0.0.1:{}/postgres", self.port);
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("connect");
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        format!("postgres://kelisim@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = pg_tool(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "stop",
            ],
        );
    }
}
