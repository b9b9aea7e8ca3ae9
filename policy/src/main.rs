//! The `kelisim-policy` command line. See `kelisim-policy help`.

use kelisim_core::config::Lang;
use kelisim_policy::{import, merge, parse_edition, read_doc, write_doc, ImportOptions, Meta, MergeOptions, Note, Outcome, Severity};
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  kelisim-policy import FILE --lang kk|ru [--out policy.json] [options]
  kelisim-policy merge KK.json RU.json [--out policy.json] [options]
  kelisim-policy check policy.json

import reads plain text or Markdown and writes one language of the kelisim
policy format; merge joins a Kazakh and a Russian file into one bilingual
policy; check validates a policy file. Without --out the JSON goes to stdout.
The report goes to stderr, one line per finding: FILE[:LINE]: SEVERITY: MESSAGE.
Exit status: 0 written (warnings are only warnings), 1 errors, 2 bad usage.

import options:
  --force              import even when the text looks like the other language
  --no-links           leave URLs and e-mail addresses as plain text
  --title TEXT         the title (default: found in the text, else a standard one)
  --controller NAME    the operator's name (default: found in the text)
both commands:
  --version V          edition label
  --effective DATE     effective date, YYYY-MM-DD
  --prevails kk|ru     which text prevails on a discrepancy
  --bin DIGITS         the operator's BIN (12 digits)
  --previous V,DATE,URL  an earlier edition (repeatable; DATE may be empty)
merge options:
  --controller-kk NAME, --controller-ru NAME   the operator's name per language
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(usage) => {
            eprintln!("kelisim-policy: {usage}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

struct Args {
    positional: Vec<String>,
    flags: Vec<(String, Option<String>)>,
}

const SWITCHES: &[&str] = &["--force", "--no-links"];
const VALUED: &[&str] = &[
    "--lang", "--out", "--title", "--controller", "--version", "--effective", "--prevails", "--bin", "--previous",
    "--controller-kk", "--controller-ru",
];

fn split_args(args: &[String]) -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut flags = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if SWITCHES.contains(&a.as_str()) {
            flags.push((a.clone(), None));
        } else if VALUED.contains(&a.as_str()) {
            let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
            flags.push((a.clone(), Some(v.clone())));
        } else if a.starts_with("--") {
            return Err(format!("unknown option {a}"));
        } else {
            positional.push(a.clone());
        }
    }
    Ok(Args { positional, flags })
}

impl Args {
    fn one(&self, name: &str) -> Option<String> {
        self.flags.iter().rev().find(|(f, _)| f == name).and_then(|(_, v)| v.clone())
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.flags.iter().filter(|(f, _)| f == name).filter_map(|(_, v)| v.clone()).collect()
    }
    fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(f, _)| f == name)
    }
    /// Refuses options that the command does not take.
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self.flags.iter().find(|(f, _)| !allowed.contains(&f.as_str())) {
            Some((f, _)) => Err(format!("{f} is not an option of this command")),
            None => Ok(()),
        }
    }
}

fn lang(s: &str, what: &str) -> Result<Lang, String> {
    Lang::from_code(s).ok_or_else(|| format!("{what} must be kk or ru, got \"{s}\""))
}

fn meta(a: &Args) -> Result<Meta, String> {
    let previous = a.all("--previous").iter().map(|p| parse_edition(p)).collect::<Result<Vec<_>, _>>()?;
    Ok(Meta {
        version: a.one("--version"),
        effective: a.one("--effective"),
        prevails: a.one("--prevails").map(|p| lang(&p, "--prevails")).transpose()?,
        bin: a.one("--bin"),
        previous,
    })
}

const META: &[&str] = &["--out", "--version", "--effective", "--prevails", "--bin", "--previous"];

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err("no command given".into());
    };
    let a = split_args(rest)?;
    let outcome: Outcome = match cmd.as_str() {
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        "import" => {
            a.only(&[META, &["--lang", "--force", "--no-links", "--title", "--controller"]].concat())?;
            let [file] = &a.positional[..] else {
                return Err("import takes one FILE".into());
            };
            let code = a.one("--lang").ok_or("import needs --lang kk or --lang ru")?;
            let mut opts = ImportOptions::new(lang(&code, "--lang")?);
            opts.force = a.has("--force");
            opts.links = !a.has("--no-links");
            opts.title = a.one("--title");
            opts.controller = a.one("--controller");
            opts.meta = meta(&a)?;
            match read(file) {
                Ok(source) => import(file, &source, &opts),
                Err(n) => Err(vec![n]),
            }
        }
        "merge" => {
            a.only(&[META, &["--controller-kk", "--controller-ru"]].concat())?;
            let [kk, ru] = &a.positional[..] else {
                return Err("merge takes two files: KK.json RU.json".into());
            };
            let opts = MergeOptions { controller_kk: a.one("--controller-kk"), controller_ru: a.one("--controller-ru"), meta: meta(&a)? };
            let docs = read(kk)
                .and_then(|t| read_doc(kk, &t))
                .and_then(|k| Ok((k, read(ru).and_then(|t| read_doc(ru, &t))?)));
            match docs {
                Ok((k, r)) => merge(kk, k, ru, r, &opts),
                Err(n) => Err(vec![n]),
            }
        }
        "check" => {
            a.only(&[])?;
            let [file] = &a.positional[..] else {
                return Err("check takes one FILE".into());
            };
            match read(file).and_then(|t| read_doc(file, &t)) {
                Ok(doc) => {
                    report(&[]);
                    let langs: Vec<&str> = [("kk", doc.kk.is_some()), ("ru", doc.ru.is_some())].iter().filter(|l| l.1).map(|l| l.0).collect();
                    eprintln!("{file}: ok: version {}, texts {}", doc.version, langs.join(", "));
                    return Ok(ExitCode::SUCCESS);
                }
                Err(n) => Err(vec![n]),
            }
        }
        other => return Err(format!("unknown command \"{other}\"")),
    };
    match outcome {
        Ok((doc, notes)) => {
            report(&notes);
            let json = write_doc(&doc);
            match a.one("--out") {
                Some(out) => {
                    if let Err(e) = std::fs::write(&out, json) {
                        eprintln!("{out}: error: cannot write: {e}");
                        return Ok(ExitCode::FAILURE);
                    }
                }
                None => print!("{json}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(notes) => {
            report(&notes);
            Ok(ExitCode::FAILURE)
        }
    }
}

fn report(notes: &[Note]) {
    for n in notes {
        eprintln!("{n}");
    }
}

/// Reads a UTF-8 file; the error names the file (and the line of a bad byte).
fn read(file: &str) -> Result<String, Note> {
    let bytes = std::fs::read(file).map_err(|e| note(file, None, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        note(file, Some(line), "not UTF-8 text".into())
    })
}

fn note(file: &str, line: Option<usize>, message: String) -> Note {
    Note { file: file.into(), line, severity: Severity::Error, message }
}
