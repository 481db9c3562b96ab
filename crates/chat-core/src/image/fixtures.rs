//! Test fixtures shared by the format modules' tests: the sample files, the secrets written
//! into their metadata, and small builders for segments and chunks.

pub const META_JPG: &[u8] = include_bytes!("../../tests/fixtures/meta.jpg");
pub const PROGRESSIVE_JPG: &[u8] = include_bytes!("../../tests/fixtures/progressive_meta.jpg");
pub const PLAIN_JPG: &[u8] = include_bytes!("../../tests/fixtures/plain.jpg");
pub const META_PNG: &[u8] = include_bytes!("../../tests/fixtures/meta.png");
pub const PLAIN_PNG: &[u8] = include_bytes!("../../tests/fixtures/plain.png");
pub const META_WEBP: &[u8] = include_bytes!("../../tests/fixtures/meta.webp");
pub const PLAIN_WEBP: &[u8] = include_bytes!("../../tests/fixtures/plain.webp");
pub const LOSSLESS_WEBP: &[u8] = include_bytes!("../../tests/fixtures/lossless.webp");
pub const META_GIF: &[u8] = include_bytes!("../../tests/fixtures/meta.gif");
pub const ANIM_GIF: &[u8] = include_bytes!("../../tests/fixtures/anim_meta.gif");
pub const PLAIN_GIF: &[u8] = include_bytes!("../../tests/fixtures/plain.gif");

pub const ALL: [&[u8]; 11] = [
    META_JPG,
    PROGRESSIVE_JPG,
    PLAIN_JPG,
    META_PNG,
    PLAIN_PNG,
    META_WEBP,
    PLAIN_WEBP,
    LOSSLESS_WEBP,
    META_GIF,
    ANIM_GIF,
    PLAIN_GIF,
];

/// Words written into the fixtures' EXIF, XMP, text chunks and comments.
const SECRETS: [&[u8]; 4] = [
    b"Secret Person",
    b"FoundryCam",
    b"secret comment",
    b"secret",
];

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    super::find(haystack, needle).is_some()
}

pub fn assert_no_secrets(bytes: &[u8]) {
    for secret in SECRETS {
        assert!(
            !contains(bytes, secret),
            "{:?} survived",
            String::from_utf8_lossy(secret)
        );
    }
}

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(&[0, 0, 0, 0]);
    chunk
}

pub fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, marker];
    segment.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    segment.extend_from_slice(payload);
    segment
}

/// `base` with `insert` spliced in at `at`.
pub fn spliced(base: &[u8], at: usize, insert: &[u8]) -> Vec<u8> {
    let mut out = base[..at].to_vec();
    out.extend_from_slice(insert);
    out.extend_from_slice(&base[at..]);
    out
}

/// Deterministic xorshift bytes for fuzz-style tests.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
