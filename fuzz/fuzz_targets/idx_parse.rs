//! Feeds arbitrary bytes to the IDX parser (raw and gzip paths): it must return, never panic,
//! and what it returns must be consistent with the header.
#![no_main]

use dlfs::data::{decode_idx, encode_idx, parse_idx};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for parsed in [parse_idx(bytes), decode_idx(bytes)] {
        if let Ok(idx) = parsed {
            let n: usize = idx.dims.iter().product();
            assert_eq!(n, idx.data.len());
            // What parsed re-encodes to a file that parses to the same thing.
            let again = encode_idx(&idx.dims, &idx.data).expect("parsed dims re-encode");
            assert_eq!(parse_idx(&again).as_ref(), Ok(&idx));
        }
    }
});
