//! Static-file helpers: percent-decoding, safe path resolution under a root
//! folder, and content types.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// Why a request path could not be mapped to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The path tries to leave the root (`..`, NUL, backslash, drive or
    /// absolute component, or a symlink pointing outside the root).
    Forbidden,
    /// Nothing servable there.
    NotFound,
}

/// Result of a successful [`resolve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A regular file inside the root (canonical path) and its length.
    File(PathBuf, u64),
    /// A directory requested without a trailing `/`; the caller should
    /// redirect to the same path with a `/` appended.
    Dir,
}

/// Percent-decodes a URL path. Returns `None` for a malformed escape or if
/// the decoded bytes are not UTF-8. `+` is left alone (it only means space in
/// query strings).
pub fn percent_decode(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes anything outside printable ASCII (and `%` is kept as is,
/// since the input is an already-encoded request path). Used to build a
/// header-safe `Location` value.
pub fn encode_for_header(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if (0x21..0x7f).contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Maps a decoded, root-relative request path (`""`, `"a/b.js"`, `"docs/"`)
/// to a file under `root`.
///
/// An empty path or one ending in `/` means that folder's `index.html`.
/// Any `..` segment, NUL, backslash or non-plain component is refused, and the
/// final canonical path must still lie inside the canonical root.
pub fn resolve(root: &Path, rel: &str) -> Result<Resolved, Refusal> {
    if rel.contains('\0') || rel.contains('\\') {
        return Err(Refusal::Forbidden);
    }
    let wants_dir = rel.is_empty() || rel.ends_with('/');

    let mut relative = PathBuf::new();
    for seg in rel.split('/') {
        if seg.is_empty() || seg == "." {
            continue;
        }
        if seg == ".." {
            return Err(Refusal::Forbidden);
        }
        let mut comps = Path::new(seg).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(_)), None) => relative.push(seg),
            _ => return Err(Refusal::Forbidden),
        }
    }
    if wants_dir {
        relative.push("index.html");
    }

    let root = root.canonicalize().map_err(|_| Refusal::NotFound)?;
    let full = root
        .join(&relative)
        .canonicalize()
        .map_err(|_| Refusal::NotFound)?;
    if !full.starts_with(&root) {
        return Err(Refusal::Forbidden);
    }
    let meta = fs::metadata(&full).map_err(|_| Refusal::NotFound)?;
    if meta.is_file() {
        Ok(Resolved::File(full, meta.len()))
    } else if meta.is_dir() && !wants_dir {
        Ok(Resolved::Dir)
    } else {
        Err(Refusal::NotFound)
    }
}

/// Content type for a file name, by extension.
pub fn content_type(path: &Path) -> &'static str {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if name.ends_with(".d.ts") {
        return "text/plain; charset=utf-8";
    }
    let ext = match name.rsplit_once('.') {
        Some((_, ext)) => ext,
        None => return "application/octet-stream",
    };
    match ext {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("/a%20b").as_deref(), Some("/a b"));
        assert_eq!(percent_decode("/%2e%2E/x").as_deref(), Some("/../x"));
        assert_eq!(percent_decode("/a+b").as_deref(), Some("/a+b"));
        assert_eq!(percent_decode("/%"), None);
        assert_eq!(percent_decode("/%4"), None);
        assert_eq!(percent_decode("/%zz"), None);
        assert_eq!(percent_decode("/%ff"), None); // not UTF-8
        assert_eq!(percent_decode("/%D2%9B").as_deref(), Some("/қ"));
    }

    #[test]
    fn content_types() {
        let ct = |s: &str| content_type(Path::new(s));
        assert_eq!(ct("index.html"), "text/html; charset=utf-8");
        assert_eq!(ct("a.JS"), "text/javascript; charset=utf-8");
        assert_eq!(ct("a.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(ct("a.css"), "text/css; charset=utf-8");
        assert_eq!(ct("a.json"), "application/json");
        assert_eq!(ct("kelisim_bg.wasm"), "application/wasm");
        assert_eq!(ct("a.svg"), "image/svg+xml");
        assert_eq!(ct("a.png"), "image/png");
        assert_eq!(ct("favicon.ico"), "image/x-icon");
        assert_eq!(ct("a.txt"), "text/plain; charset=utf-8");
        assert_eq!(ct("kelisim.d.ts"), "text/plain; charset=utf-8");
        assert_eq!(ct("Makefile"), "application/octet-stream");
        assert_eq!(ct("a.bin"), "application/octet-stream");
    }

    #[test]
    fn refuses_escapes_before_touching_disk() {
        let root = Path::new("/nonexistent-root-for-test");
        for bad in ["..", "../x", "a/../../x", "a\\b", "a\0b", "a/../b"] {
            assert_eq!(resolve(root, bad), Err(Refusal::Forbidden), "{bad:?}");
        }
        assert_eq!(resolve(root, "ok.txt"), Err(Refusal::NotFound));
    }

    #[test]
    fn header_encoding() {
        assert_eq!(encode_for_header("/a b/қ"), "/a%20b/%D2%9B");
        assert_eq!(encode_for_header("/docs"), "/docs");
    }
}
