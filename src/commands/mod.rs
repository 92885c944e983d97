//! One module per subcommand: each reads its inputs, calls the engine, writes outputs.

pub mod merge;
