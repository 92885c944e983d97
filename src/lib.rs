//! poolmerge: a git merge driver that keeps a fork's pinned SQLAlchemy pool
//! configuration through upstream merges, and merges everything else exactly as git.

pub mod app;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod conflict;
pub mod exit;
pub mod fsutil;
pub mod merge;
pub mod policy;
pub mod python;
pub mod region;
pub mod repo;
pub mod report;
pub mod resolve;
