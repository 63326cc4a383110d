//! `pgshift verify`: being written.
