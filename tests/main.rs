//! poolmerge's integration tests: one binary, one module per suite.

mod atomic;
mod badinput;
mod cases;
mod cli;
mod commands;
mod conventions;
mod corpus;
mod differential;
mod e2e;
mod flows;
mod frontdoor;
mod fuzzed;
#[path = "../crates/linemerge/tests/generate.rs"]
#[allow(dead_code)] // Fields the line merge's own differential test reads.
mod generate;
mod invariants;
mod limits;
mod optout;
mod profiles;
mod properties;
mod security;
mod setup;
mod strategy;
mod support;
mod workflows;
