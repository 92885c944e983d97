//! poolmerge: a git merge driver that keeps a fork's pinned SQLAlchemy pool
//! configuration through upstream merges, and merges everything else exactly as git.

#![warn(unreachable_pub)]

// First: its macros (`out!`, `outln!`) serve every module after it.
#[macro_use]
pub mod output;
pub mod app;
pub mod check;
pub mod cli;
mod commands;
pub mod config;
pub mod conflict;
pub mod exit;
mod fsutil;
pub mod merge;
pub mod policy;
pub mod python;
mod region;
mod repo;
mod report;
mod resolve;

pub use commands::merge_safely;

/// Runs poolmerge as the merge strategy `git-merge-poolmerge` (git's arguments, without
/// the program name); the status follows git's convention for strategies.
pub fn merge_strategy(args: &[String]) -> u8 {
    commands::strategy::run(args)
}
