//! The IDX file format of MNIST, read by hand (the format is 4 header bytes and a few sizes).
//!
//! Layout: `0x00 0x00 <type> <ndims>`, then `ndims` big-endian `u32` sizes, then the values
//! in row-major order. Only the unsigned-byte type (`0x08`) is supported, which is all that
//! MNIST and Fashion-MNIST use. Files may be gzip-compressed; [`decode_idx`] detects that.
//!
//! The parser never panics and never allocates more than the input can fill, so it can be
//! fed arbitrary bytes (see `fuzz/`).

use std::io::{self, Read};

use flate2::read::GzDecoder;

/// The type code for unsigned bytes, the third byte of the magic number.
pub const IDX_TYPE_U8: u8 = 0x08;

/// Largest payload accepted (4 GiB): larger headers are rejected rather than trusted.
pub const MAX_IDX_BYTES: u64 = 1 << 32;

/// A parsed IDX file of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idx {
    /// Sizes from the header, outermost first (e.g. `[60000, 28, 28]`).
    pub dims: Vec<usize>,
    /// The values in row-major order; `data.len()` is the product of `dims`.
    pub data: Vec<u8>,
}

/// What is wrong with IDX bytes. [`crate::data::DataError::Idx`] adds the file name.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum IdxError {
    /// Fewer bytes than the header needs.
    #[error("too short for an IDX header: needs {needed} bytes, has {found}")]
    HeaderTruncated { needed: usize, found: usize },
    /// The first two bytes are not zero: not an IDX file.
    #[error(
        "wrong magic number 0x{found:08x}: an IDX file starts with 0x0000 then a type byte and a dimension count (MNIST images: 0x00000803, labels: 0x00000801)"
    )]
    BadMagic { found: u32 },
    /// A value type other than unsigned bytes.
    #[error(
        "unsupported IDX value type 0x{code:02x} (magic 0x{magic:08x}); only unsigned bytes (0x08) are supported"
    )]
    UnsupportedType { code: u8, magic: u32 },
    /// Zero dimensions.
    #[error("IDX header declares 0 dimensions (magic 0x{magic:08x})")]
    NoDims { magic: u32 },
    /// The sizes multiply to more than [`MAX_IDX_BYTES`].
    #[error("IDX header sizes {dims:?} describe more than {MAX_IDX_BYTES} bytes")]
    TooLarge { dims: Vec<u64> },
    /// The data ends before the header's sizes are filled.
    #[error("truncated: header {dims:?} needs {expected} data bytes, file has {found}")]
    Truncated {
        dims: Vec<usize>,
        expected: u64,
        found: u64,
    },
    /// Bytes left over after the data the header describes.
    #[error("{extra_hint} bytes after the {expected} data bytes that header {dims:?} describes")]
    TrailingData {
        dims: Vec<usize>,
        expected: u64,
        extra_hint: String,
    },
    /// The gzip stream is corrupt or cut short.
    #[error("gzip stream is corrupt or cut short: {0}")]
    Gzip(String),
    /// Reading failed for another reason.
    #[error("read error: {0}")]
    Io(String),
}

/// Parses IDX bytes, gzip-compressed (detected by the `1f 8b` gzip magic) or raw.
pub fn decode_idx(bytes: &[u8]) -> Result<Idx, IdxError> {
    if is_gzip(bytes) {
        // Deflate expands at most ~1032:1, which bounds what the input can fill.
        let bound = (bytes.len() as u64).saturating_mul(1032);
        read_idx(GzDecoder::new(bytes), true, bound)
    } else {
        parse_idx(bytes)
    }
}

/// Parses raw (uncompressed) IDX bytes.
pub fn parse_idx(bytes: &[u8]) -> Result<Idx, IdxError> {
    read_idx(bytes, false, bytes.len() as u64)
}

/// True when `bytes` starts with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

fn io_err(e: io::Error, gzip: bool) -> IdxError {
    if gzip {
        IdxError::Gzip(e.to_string())
    } else {
        IdxError::Io(e.to_string())
    }
}

/// Reads into `buf` until it is full or the reader ends; returns how many bytes were read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8], gzip: bool) -> Result<usize, IdxError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(e, gzip)),
        }
    }
    Ok(n)
}

/// Streams an IDX file from `r`. With `gzip`, read errors are
/// reported as gzip corruption. `bound` is the most data bytes the input could hold; the
/// output is never allocated beyond it, whatever the header claims.
pub fn read_idx<R: Read>(mut r: R, gzip: bool, bound: u64) -> Result<Idx, IdxError> {
    let mut magic = [0u8; 4];
    let got = read_full(&mut r, &mut magic, gzip)?;
    if got < 4 {
        return Err(IdxError::HeaderTruncated {
            needed: 4,
            found: got,
        });
    }
    let magic_u32 = u32::from_be_bytes(magic);
    if magic[0] != 0 || magic[1] != 0 {
        return Err(IdxError::BadMagic { found: magic_u32 });
    }
    if magic[2] != IDX_TYPE_U8 {
        return Err(IdxError::UnsupportedType {
            code: magic[2],
            magic: magic_u32,
        });
    }
    let ndims = magic[3] as usize;
    if ndims == 0 {
        return Err(IdxError::NoDims { magic: magic_u32 });
    }
    let mut sizes = vec![0u8; 4 * ndims];
    let got = read_full(&mut r, &mut sizes, gzip)?;
    if got < sizes.len() {
        return Err(IdxError::HeaderTruncated {
            needed: 4 + sizes.len(),
            found: 4 + got,
        });
    }
    let dims64: Vec<u64> = sizes
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    let expected = dims64
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_IDX_BYTES)
        .ok_or_else(|| IdxError::TooLarge {
            dims: dims64.clone(),
        })?;
    let dims: Vec<usize> = dims64.iter().map(|&d| d as usize).collect();

    // Allocate what the header says only as far as the input could fill it (and 256 MiB).
    let mut data = Vec::with_capacity(expected.min(bound).min(256 << 20) as usize);
    (&mut r)
        .take(expected)
        .read_to_end(&mut data)
        .map_err(|e| io_err(e, gzip))?;
    if (data.len() as u64) < expected {
        return Err(IdxError::Truncated {
            dims,
            expected,
            found: data.len() as u64,
        });
    }
    // Reading past the end also makes the gzip decoder check its CRC and length trailer.
    let mut extra = [0u8; 1];
    let more = read_full(&mut r, &mut extra, gzip)?;
    if more > 0 {
        let mut rest = Vec::new();
        let extra_hint = match r.take(1 << 20).read_to_end(&mut rest) {
            Ok(n) if n < 1 << 20 => (n + 1).to_string(),
            _ => "more than a million".to_string(),
        };
        return Err(IdxError::TrailingData {
            dims,
            expected,
            extra_hint,
        });
    }
    Ok(Idx { dims, data })
}

/// Builds the bytes of a raw IDX file of unsigned bytes (for tests and tools).
///
/// Returns `None` when a size does not fit in `u32`, there are more than 255 dimensions,
/// or `data.len()` differs from the product of `dims`.
pub fn encode_idx(dims: &[usize], data: &[u8]) -> Option<Vec<u8>> {
    let n: usize = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
    if n != data.len() || dims.len() > 255 || dims.iter().any(|&d| d > u32::MAX as usize) {
        return None;
    }
    let mut out = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    out.extend_from_slice(&[0, 0, IDX_TYPE_U8, dims.len() as u8]);
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_raw_and_gzip() {
        let data: Vec<u8> = (0..24).collect();
        let raw = encode_idx(&[2, 3, 4], &data).unwrap();
        assert_eq!(&raw[..4], &[0, 0, 8, 3]);
        let idx = parse_idx(&raw).unwrap();
        assert_eq!(idx.dims, vec![2, 3, 4]);
        assert_eq!(idx.data, data);

        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &raw).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(decode_idx(&gz).unwrap(), idx);
    }

    #[test]
    fn header_errors() {
        assert_eq!(
            parse_idx(&[0, 0]),
            Err(IdxError::HeaderTruncated {
                needed: 4,
                found: 2
            })
        );
        assert!(matches!(
            parse_idx(&[1, 2, 8, 1, 0, 0, 0, 0]),
            Err(IdxError::BadMagic { found: 0x0102_0801 })
        ));
        assert!(matches!(
            parse_idx(&[0, 0, 0x0d, 1, 0, 0, 0, 0]),
            Err(IdxError::UnsupportedType { code: 0x0d, .. })
        ));
        assert!(matches!(
            parse_idx(&[0, 0, 8, 0]),
            Err(IdxError::NoDims { .. })
        ));
        assert_eq!(
            parse_idx(&[0, 0, 8, 2, 0, 0, 0, 1]),
            Err(IdxError::HeaderTruncated {
                needed: 12,
                found: 8
            })
        );
        let huge = [
            0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 2,
        ];
        assert!(matches!(parse_idx(&huge), Err(IdxError::TooLarge { .. })));
    }

    #[test]
    fn data_length_errors() {
        let raw = encode_idx(&[2, 2], &[1, 2, 3, 4]).unwrap();
        assert_eq!(
            parse_idx(&raw[..raw.len() - 1]),
            Err(IdxError::Truncated {
                dims: vec![2, 2],
                expected: 4,
                found: 3
            })
        );
        let mut long = raw.clone();
        long.extend_from_slice(&[9, 9]);
        assert!(
            matches!(parse_idx(&long), Err(IdxError::TrailingData { ref extra_hint, .. }) if extra_hint == "2")
        );
        // A header claiming a large size with no data is an error, not a big allocation.
        let claim = [0, 0, 8, 1, 0x7f, 0xff, 0xff, 0xff];
        assert!(matches!(
            parse_idx(&claim),
            Err(IdxError::Truncated { found: 0, .. })
        ));
    }

    #[test]
    fn gzip_corruption_is_reported() {
        let raw = encode_idx(&[64], &[7u8; 64]).unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, &raw).unwrap();
        let gz = enc.finish().unwrap();
        // Cut short.
        assert!(matches!(
            decode_idx(&gz[..gz.len() / 2]),
            Err(IdxError::Gzip(_))
        ));
        // CRC trailer damaged.
        let mut bad = gz.clone();
        let n = bad.len();
        bad[n - 6] ^= 0xff;
        assert!(
            matches!(decode_idx(&bad), Err(IdxError::Gzip(_))),
            "{:?}",
            decode_idx(&bad)
        );
    }
}
