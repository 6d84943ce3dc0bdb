//! Key builders.
