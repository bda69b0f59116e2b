//! Which encoding a file of reference data is in. Destatis ships the
//! GV100AD in Windows-1252, German spreadsheets save "CSV" in it, newer
//! tools write UTF-8 (or UTF-16 with a byte-order mark): one reading for
//! every import, so that all of them read the same file the same way and
//! can say how they read it.

/// How a file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// With its byte-order mark.
    Utf16,
    Windows1252,
    /// UTF-8 up to `line` (1-based), not there, and UTF-8 elsewhere: the
    /// text is read as Windows-1252, which garbles the UTF-8 in it.
    Mixed {
        line: usize,
    },
}

/// The text of `bytes` and how it was read: UTF-16 where a byte-order
/// mark says so, UTF-8 where it is valid, else Windows-1252 (every byte
/// is a character there, through `encoding_rs`, which follows the WHATWG
/// table).
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    let utf16 = [
        (&[0xff, 0xfe][..], encoding_rs::UTF_16LE),
        (&[0xfe, 0xff][..], encoding_rs::UTF_16BE),
    ];
    if let Some((_, encoding)) = utf16.iter().find(|(bom, _)| bytes.starts_with(bom)) {
        return (encoding.decode(bytes).0.into_owned(), Encoding::Utf16);
    }
    let first_bad = match std::str::from_utf8(bytes) {
        Ok(text) => return (text.to_owned(), Encoding::Utf8),
        Err(error) => error.valid_up_to(),
    };
    let text = encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned();
    let has_utf8 = std::str::from_utf8(&bytes[..first_bad]).is_ok_and(|text| !text.is_ascii())
        || String::from_utf8_lossy(&bytes[first_bad..])
            .chars()
            .any(|c| !c.is_ascii() && c != char::REPLACEMENT_CHARACTER);
    let encoding = if has_utf8 {
        let line = bytes[..first_bad].iter().filter(|b| **b == b'\n').count() + 1;
        Encoding::Mixed { line }
    } else {
        Encoding::Windows1252
    };
    (text, encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_in_the_encoding_it_says_or_is_written_in() {
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("Köln".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16), ("Köln".to_owned(), Encoding::Utf16));
        assert_eq!(
            decode(b"K\xf6ln"),
            ("Köln".to_owned(), Encoding::Windows1252)
        );
        assert_eq!(
            decode("Köln".as_bytes()),
            ("Köln".to_owned(), Encoding::Utf8)
        );
        let mixed = ["Köln\n".as_bytes(), b"M\xfcnchen\n"].concat();
        assert_eq!(decode(&mixed).1, Encoding::Mixed { line: 2 });
    }
}
