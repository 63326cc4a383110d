//! The content checksum of a table: the row count and the sum (mod 2^128) of each row's
//! SHA-256 over its canonical values. A sum does not depend on row order, so the source (read
//! in rowid order) and the target (read in heap order) compare without sorting, and without
//! depending on how either side collates text.

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checksum {
    pub rows: u64,
    pub sum: u128,
}

impl Checksum {
    pub fn add(&mut self, canonical_row: &[u8]) {
        let digest = Sha256::digest(canonical_row);
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(first));
        self.rows += 1;
    }

    /// The sum as 32 hex digits.
    pub fn hex(&self) -> String {
        format!("{:032x}", self.sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_content_does() {
        let mut a = Checksum::default();
        let mut b = Checksum::default();
        a.add(b"one");
        a.add(b"two");
        b.add(b"two");
        b.add(b"one");
        assert_eq!(a, b);
        let mut c = Checksum::default();
        c.add(b"one");
        c.add(b"twO");
        assert_ne!(a, c);
        assert_eq!(a.rows, 2);
        assert_eq!(a.hex().len(), 32);
    }
}
