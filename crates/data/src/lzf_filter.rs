//! Decoder for the HDF5 LZF filter (registered id 32000, the h5py/PyTables filter that the
//! APS correlator boost-corr uses for every two-time matrix).
//!
//! `hdf5-reader` has a filter-registration hook ([`FilterRegistry::register`]), so the
//! decoder plugs into the reader's own chunk pipeline: shuffle, fletcher32 and the chunk
//! index keep working, and chunks the writer stored unfiltered (the LZF filter is
//! optional, so incompressible chunks are written raw with the filter-mask bit set) are
//! passed through by the reader itself.
//!
//! The h5py filter stores a bare LZF stream (no header). Its client data are
//! `[filter version, LZF version, chunk size in bytes]`; the third value sizes the output
//! buffer. Without it the buffer grows geometrically as h5py does, bounded by the largest
//! chunk the HDF5 format permits.

use hdf5_reader::FilterRegistry;
use hdf5_reader::error::Error as Hdf5Error;

/// HDF5 filter id of LZF.
pub(crate) const FILTER_LZF: u16 = 32000;

/// Largest decoded chunk accepted when the filter's client data do not give the size.
const MAX_LZF_OUTPUT: usize = u32::MAX as usize;

/// Decode one LZF-compressed chunk. `expected_len`, when known, is the decoded size.
pub(crate) fn decode_lzf_chunk(
    data: &[u8],
    expected_len: Option<usize>,
) -> Result<Vec<u8>, String> {
    if data.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(len) = expected_len.filter(|&n| n > 0) {
        return lzf::decompress(data, len).map_err(|e| format!("LZF chunk: {e}"));
    }
    // Unknown size: start at 4x the input (typical ratio) and grow like h5py does.
    let mut capacity = data.len().saturating_mul(4).max(1024);
    loop {
        match lzf::decompress(data, capacity) {
            Ok(out) => return Ok(out),
            Err(lzf::LzfError::BufferTooSmall) if capacity < MAX_LZF_OUTPUT => {
                capacity = capacity.saturating_mul(2).min(MAX_LZF_OUTPUT);
            }
            Err(e) => return Err(format!("LZF chunk: {e}")),
        }
    }
}

/// The reader's built-in filters plus LZF.
pub(crate) fn registry_with_lzf() -> FilterRegistry {
    let mut registry = FilterRegistry::new();
    registry.register(
        FILTER_LZF,
        Box::new(|filter, data, _element_size| {
            let expected = filter.client_data.get(2).map(|&n| n as usize);
            decode_lzf_chunk(data, expected).map_err(Hdf5Error::DecompressionError)
        }),
    );
    registry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_and_without_size() {
        let raw: Vec<u8> = (0..10_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        let packed = lzf::compress(&raw).unwrap();
        assert_eq!(decode_lzf_chunk(&packed, Some(raw.len())).unwrap(), raw);
        assert_eq!(decode_lzf_chunk(&packed, None).unwrap(), raw);
    }

    #[test]
    fn corrupt_stream_is_an_error() {
        assert!(decode_lzf_chunk(&[0xff, 0xff, 0xff], Some(100)).is_err());
        let raw = vec![7u8; 4096];
        let packed = lzf::compress(&raw).unwrap();
        assert!(decode_lzf_chunk(&packed, Some(10)).is_err());
    }
}
