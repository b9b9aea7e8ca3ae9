//! Identifiers. The shell supplies random bytes (from `crypto.getRandomValues`,
//! which, unlike `crypto.randomUUID`, also exists outside secure contexts).

use alloc::string::String;


/// Formats 16 random bytes as a lowercase UUID version 4 (RFC 9562).
pub fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        for nibble in [byte >> 4, byte & 0xf] {
            out.push(char::from_digit(nibble as u32, 16).unwrap_or('0'));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_version_and_variant() {
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let u = uuid_v4(*b"\x12\x34\x56\x78\x9a\xbc\xde\xf0\x12\x34\x56\x78\x9a\xbc\xde\xf0");
        assert_eq!(u, "12345678-9abc-4ef0-9234-56789abcdef0");
        assert!(crate::codec::is_uuid(&u));
    }
}
