//! poolmerge's integration tests: one binary, one module per suite.

mod cases;
mod cli;
mod commands;
mod differential;
mod e2e;
mod generate;
mod limits;
mod setup;
mod support;
mod swap;
