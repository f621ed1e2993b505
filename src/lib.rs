//! # dlfs — Deep Learning from Scratch, chapters 5–7, in Rust
//!
//! The reusable parts of the book's `common/` folder: layers with `forward`/`backward`,
//! optimizers, weight initialisation, networks, a trainer, MNIST loading and plots.
//! The chapter notebooks under `notebooks/` tell the story; this crate computes.

pub use ndarray;

pub mod data;
