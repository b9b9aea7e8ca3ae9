//! Countersignatures: the collector signs, with Ed25519, what it stored for
//! each receipt: the receipt's hash, the time it received it and its chain
//! position (subject, seq, and the `prev` link it claims). The signature is
//! kept with the row, returned in the `201` answer and in every read, so the
//! visitor's browser and the site hold proof of what was acknowledged, and
//! an export can be checked offline against the public key alone
//! ([`crate::verify`]), without trusting the database.
//!
//! The key is a 32-byte Ed25519 seed kept as hex in a file beside the
//! database (`<db>.ed25519`, mode 0600, created on first start), or where
//! `--signing-key` / `KELISIM_SIGNING_KEY` says. Its public half is printed
//! at start and served at `GET /v1/key`.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier, VerifyingKey};

/// The first line of every signed message (domain separation).
pub const DOMAIN: &str = "kelisim-receipt-countersignature/v1";
/// The first line of a signed retention checkpoint.
pub const CHECKPOINT_DOMAIN: &str = "kelisim-retention-checkpoint/v1";

/// The bytes signed for a stored receipt: [`DOMAIN`], hash, receivedAt,
/// subject, seq and prev (`-` for none), one per line.
pub fn message(
    hash: &str,
    received_at: &str,
    subject: &str,
    seq: u64,
    prev: Option<&str>,
) -> Vec<u8> {
    format!(
        "{DOMAIN}\n{hash}\n{received_at}\n{subject}\n{seq}\n{}",
        prev.unwrap_or("-")
    )
    .into_bytes()
}

/// The signing key.
pub struct Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer(public {})", self.public_hex())
    }
}

/// Where the key lives when not configured: beside the database.
pub fn default_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".ed25519");
    db.with_file_name(name)
}

impl Signer {
    /// Reads the key at `path`, or creates it (mode 0600) when absent.
    /// Returns whether it was created.
    pub fn load_or_create(path: &Path) -> Result<(Signer, bool), String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let seed = parse_hex32(text.trim()).ok_or_else(|| {
                    format!(
                        "{}: expected 64 hex digits (an Ed25519 seed)",
                        path.display()
                    )
                })?;
                Ok((
                    Signer {
                        key: SigningKey::from_bytes(&seed),
                    },
                    false,
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                getrandom::getrandom(&mut seed).map_err(|e| format!("random seed: {e}"))?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts
                    .open(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                f.write_all(format!("{}\n", hex(&seed)).as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                Ok((
                    Signer {
                        key: SigningKey::from_bytes(&seed),
                    },
                    true,
                ))
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// A signer from a seed (tests).
    pub fn from_seed(seed: [u8; 32]) -> Signer {
        Signer {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The public key as 64 hex digits.
    pub fn public_hex(&self) -> String {
        hex(self.key.verifying_key().as_bytes())
    }

    /// Signs `msg`; the signature as 128 hex digits.
    pub fn sign(&self, msg: &[u8]) -> String {
        hex(&self.key.sign(msg).to_bytes())
    }
}

/// A public key given as 64 hex digits, or the path of a file holding them.
pub fn parse_public(given: &str) -> Result<VerifyingKey, String> {
    let text = if parse_hex32(given.trim()).is_some() {
        given.trim().to_string()
    } else {
        std::fs::read_to_string(given)
            .map_err(|e| format!("--key {given}: neither 64 hex digits nor a readable file ({e})"))?
            .trim()
            .to_string()
    };
    let bytes =
        parse_hex32(&text).ok_or_else(|| format!("--key {given}: expected 64 hex digits"))?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|e| format!("--key {given}: not an Ed25519 public key ({e})"))
}

/// Whether `sig_hex` is a valid signature of `msg` by `key`.
pub fn verify(key: &VerifyingKey, msg: &[u8], sig_hex: &str) -> bool {
    let Some(bytes) = parse_hex(sig_hex).filter(|b| b.len() == 64) else {
        return false;
    };
    let Ok(arr) = <[u8; 64]>::try_from(bytes.as_slice()) else {
        return false;
    };
    key.verify_strict(msg, &Signature::from_bytes(&arr)).is_ok()
        && key.verify(msg, &Signature::from_bytes(&arr)).is_ok()
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    parse_hex(s).and_then(|v| v.try_into().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_bind_every_field() {
        let s = Signer::from_seed([7; 32]);
        let key = parse_public(&s.public_hex()).unwrap();
        let msg = message(
            &"a".repeat(64),
            "2026-12-01T10:00:00.000Z",
            "subj",
            2,
            Some(&"b".repeat(64)),
        );
        let sig = s.sign(&msg);
        assert!(verify(&key, &msg, &sig));
        let other = message(
            &"a".repeat(64),
            "2026-12-01T10:00:00.000Z",
            "subj",
            3,
            Some(&"b".repeat(64)),
        );
        assert!(!verify(&key, &other, &sig));
        assert!(!verify(&key, &msg, &sig[..126]));
        assert!(!verify(&key, &msg, "zz"));
        let stranger = Signer::from_seed([8; 32]);
        assert!(!verify(&key, &msg, &stranger.sign(&msg)));
    }

    #[test]
    fn the_key_file_is_created_once_with_mode_0600() {
        let dir = std::env::temp_dir().join(format!("kelisim-key-{}", std::process::id()));
        let path = dir.join("k.ed25519");
        let _ = std::fs::remove_dir_all(&dir);
        let (a, created) = Signer::load_or_create(&path).unwrap();
        assert!(created);
        let (b, created) = Signer::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(a.public_hex(), b.public_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "nonsense").unwrap();
        assert!(Signer::load_or_create(&path)
            .unwrap_err()
            .contains("64 hex digits"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
