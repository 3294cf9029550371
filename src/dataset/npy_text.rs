//! Text in `.npy` payloads: condition names stored as `name_<c>` in an `.npz`.
//!
//! numpy saves a Python string (`np.savez(f, name_0="mu = 0.5")`) as a 0-d array of dtype
//! `<U<n>` (n UTF-32 code units, zero-padded); byte strings are `|S<n>`. ndarray-npy reads
//! numeric element types only, so these two are parsed here from the format's header
//! (version 1, 2 or 3) and payload. Arrays of shape `()`, `(1,)` or `(1, 1)` hold one name.

const MAGIC: &[u8] = b"\x93NUMPY";

/// The header dictionary's value for `key`, as written by numpy (`'descr': '<U6'`).
fn header_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else if let Some(quoted) = rest.strip_prefix('\'') {
        quoted.find('\'')? + 2
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

/// Read one string from an `.npy` payload; `Err` carries a message for the user.
pub fn read_text(bytes: &[u8]) -> std::result::Result<String, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("is not an .npy array".into());
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return Err(format!("has .npy format version {v}, which this reader does not know")),
    };
    let header =
        bytes.get(start..start + len).and_then(|h| std::str::from_utf8(h).ok()).ok_or("has a damaged .npy header")?;
    let payload = &bytes[start + len..];
    let descr = header_value(header, "descr").ok_or("has no dtype in its .npy header")?.trim_matches('\'');
    let shape = header_value(header, "shape").ok_or("has no shape in its .npy header")?;
    let dims: Vec<&str> = shape.trim_matches(['(', ')']).split(',').map(str::trim).filter(|d| !d.is_empty()).collect();
    if dims.iter().any(|d| *d != "1") {
        return Err(format!("has shape {shape}; a name is one string (save it as np.str_(...) or a Python str)"));
    }
    let width: usize = descr.get(2..).and_then(|w| w.parse().ok()).unwrap_or(0);
    let text = match descr.get(..2) {
        Some("<U") | Some("=U") if payload.len() >= 4 * width => {
            let units = payload[..4 * width].chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            units.take_while(|&u| u != 0).map(char::from_u32).collect::<Option<String>>().ok_or("holds invalid text")?
        }
        Some("|S") if payload.len() >= width => {
            let raw: Vec<u8> = payload[..width].iter().copied().take_while(|&b| b != 0).collect();
            String::from_utf8(raw).map_err(|_| "holds bytes that are not UTF-8 text")?
        }
        _ => return Err(format!("has dtype {descr}; a name is text (numpy dtype <U or S)")),
    };
    Ok(text)
}

/// One string as a 0-d `<U<n>` `.npy` payload, as numpy writes a Python `str`.
pub fn write_text(text: &str) -> Vec<u8> {
    let chars: Vec<char> = text.chars().collect();
    let width = chars.len().max(1);
    let mut header = format!("{{'descr': '<U{width}', 'fortran_order': False, 'shape': (), }}");
    // Magic (6) + version (2) + length (2) + header + '\n', padded to a multiple of 64.
    let total = (10 + header.len() + 1).div_ceil(64) * 64;
    header.push_str(&" ".repeat(total - 10 - header.len() - 1));
    header.push('\n');
    let mut out = Vec::with_capacity(total + 4 * width);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for c in &chars {
        out.extend_from_slice(&(*c as u32).to_le_bytes());
    }
    out.resize(total + 4 * width, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An .npy payload as numpy writes it: header padded to 64 bytes, then `payload`.
    fn npy(descr: &str, shape: &str, payload: &[u8]) -> Vec<u8> {
        let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        let total = (10 + h.len() + 1).div_ceil(64) * 64;
        h.push_str(&" ".repeat(total - 10 - h.len() - 1));
        h.push('\n');
        let mut v = b"\x93NUMPY\x01\x00".to_vec();
        v.extend_from_slice(&(h.len() as u16).to_le_bytes());
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn text_round_trips_and_reads_numpy_layouts() {
        for name in ["mu = 0.5", "target 45°", "x"] {
            assert_eq!(read_text(&write_text(name)).unwrap(), name);
        }
        // `np.save(f, np.array(["ab"]))`: shape (1,), <U2, UTF-32 code units.
        assert_eq!(read_text(&npy("<U2", "(1,)", &[b'a', 0, 0, 0, b'b', 0, 0, 0])).unwrap(), "ab");
        // Byte strings, zero-padded.
        assert_eq!(read_text(&npy("|S4", "()", b"ab\0\0")).unwrap(), "ab");
        // Several names in one array are refused with the shape; numbers are not names.
        assert!(read_text(&npy("<U1", "(2,)", &[b'a', 0, 0, 0, b'b', 0, 0, 0])).unwrap_err().contains("(2,)"));
        assert!(read_text(&npy("<f8", "()", &[0; 8])).unwrap_err().contains("<f8"));
    }
}
