//! A repository's pin configuration: `[tool.poolmerge]` in `pyproject.toml`, or the same
//! keys at the top level of `.poolmerge.toml`. Read and checked whole: an unknown key, a
//! value that is not a Python expression or an empty pin is one error naming the file
//! and line, never a configuration applied in part.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The files a configuration may live in, in the order they are looked at.
pub const FILES: [&str; 2] = [".poolmerge.toml", "pyproject.toml"];

/// Which calls a pin applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// SQLite engine calls only (SPEC's evidence rule).
    Sqlite,
    /// Calls configured for a server pool: server-pool keywords, or a first argument
    /// that is a database URL literal of another scheme than SQLite.
    Server,
    /// Every call.
    Always,
}

impl When {
    /// The name used in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            When::Sqlite => "sqlite",
            When::Server => "server",
            When::Always => "always",
        }
    }
}

/// One `[[tool.poolmerge.pin]]` as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinDecl {
    /// The call: a name, or a dotted name such as `sqlalchemy.create_engine`.
    pub call: String,
    /// Which calls it applies to.
    pub when: When,
    /// Keywords set to Python expressions, in the order declared.
    pub set: Vec<(String, String)>,
    /// Dictionary keywords and the entries they must hold, in the order declared.
    pub dict: Vec<(String, Vec<(String, String)>)>,
    /// Import statements the file must hold.
    pub imports: Vec<String>,
    /// Names whose import goes once nothing uses them.
    pub retire: Vec<String>,
    /// The line of its `[[...pin]]` header.
    pub line: usize,
}

/// A configuration as declared in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file it came from, as shown to the user.
    pub file: String,
    /// The files `install`, `check` and `fix` own (globs); empty: git's attributes.
    pub files: Vec<String>,
    /// Whether the built-in StaticPool pin applies beside the declared ones.
    pub include_builtin: bool,
    /// The declared pins.
    pub pins: Vec<PinDecl>,
}

/// What is wrong with a configuration: the file, the line (1-based) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as shown to the user.
    pub file: String,
    /// The line, 1-based.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Reads a configuration file's text. `file` is its name as shown (its last component
/// decides the layout: `pyproject.toml` keeps it under `[tool.poolmerge]`). `Ok(None)`:
/// a `pyproject.toml` without a `[tool.poolmerge]` table.
pub fn parse(text: &str, file: &str) -> Result<Option<Config>, ConfigError> {
    let reader = Reader { text, file };
    let doc = DeTable::parse(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        let message = e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .trim()
            .to_string();
        reader.error(at, format!("not valid TOML: {message}"))
    })?;
    let pyproject = file.ends_with("pyproject.toml");
    let (table, at) = if pyproject {
        let Some(tool) = doc.get_ref().get("tool") else {
            return Ok(None);
        };
        let DeValue::Table(tool) = tool.get_ref() else {
            return Err(reader.error(tool.span().start, "`tool` is not a table".into()));
        };
        let Some(own) = tool.get("poolmerge") else {
            return Ok(None);
        };
        let DeValue::Table(own) = own.get_ref() else {
            return Err(reader.error(own.span().start, "`tool.poolmerge` is not a table".into()));
        };
        (own, own_span(tool, "poolmerge"))
    } else {
        (doc.get_ref(), 0..0)
    };
    reader.config(table, at).map(Some)
}

fn own_span(table: &DeTable, key: &str) -> Range<usize> {
    table
        .iter()
        .find(|(k, _)| k.get_ref() == key)
        .map_or(0..0, |(k, _)| k.span())
}

struct Reader<'a> {
    text: &'a str,
    file: &'a str,
}

type Entry<'i> = (
    &'i Spanned<std::borrow::Cow<'i, str>>,
    &'i Spanned<DeValue<'i>>,
);

impl Reader<'_> {
    fn line(&self, at: usize) -> usize {
        self.text.as_bytes()[..at.min(self.text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn error(&self, at: usize, message: String) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            line: self.line(at),
            message,
        }
    }

    fn config(&self, table: &DeTable, at: Range<usize>) -> Result<Config, ConfigError> {
        let mut config = Config {
            file: self.file.to_string(),
            files: Vec::new(),
            include_builtin: true,
            pins: Vec::new(),
        };
        let mut include_builtin = None;
        for (key, value) in table {
            match key.get_ref().as_ref() {
                "files" => {
                    config.files = self.strings((key, value), "files")?;
                    for glob in &config.files {
                        if glob.is_empty() || glob.starts_with('/') || glob.contains("..") {
                            return Err(self.error(
                                value.span().start,
                                format!(
                                    "files: {glob:?} is not a path pattern inside the repository"
                                ),
                            ));
                        }
                    }
                }
                "include_builtin" => match value.get_ref() {
                    DeValue::Boolean(b) => include_builtin = Some(*b),
                    _ => {
                        return Err(self.error(
                            value.span().start,
                            "include_builtin must be true or false".into(),
                        ));
                    }
                },
                "pin" => {
                    let DeValue::Array(pins) = value.get_ref() else {
                        return Err(self.error(
                            key.span().start,
                            "pin must be an array of tables: [[tool.poolmerge.pin]]".into(),
                        ));
                    };
                    for pin in pins {
                        config.pins.push(self.pin(pin)?);
                    }
                }
                other => {
                    return Err(self.error(
                        key.span().start,
                        format!("unknown key `{other}` (known: files, include_builtin, pin)"),
                    ));
                }
            }
        }
        // With pins and no include_builtin, only the declared pins apply.
        config.include_builtin = include_builtin.unwrap_or(config.pins.is_empty());
        if !config.include_builtin && config.pins.is_empty() {
            return Err(self.error(
                at.start,
                "nothing to pin: include_builtin is false and no pin is declared".into(),
            ));
        }
        Ok(config)
    }

    fn pin(&self, value: &Spanned<DeValue>) -> Result<PinDecl, ConfigError> {
        let at = value.span().start;
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.error(at, "each pin must be a table".into()));
        };
        let mut pin = PinDecl {
            call: String::new(),
            when: When::Always,
            set: Vec::new(),
            dict: Vec::new(),
            imports: Vec::new(),
            retire: Vec::new(),
            line: self.line(at),
        };
        for entry in table {
            let (key, value) = entry;
            match key.get_ref().as_ref() {
                "call" => {
                    let call = self.string(entry, "call")?;
                    if !call.split('.').all(is_identifier) {
                        return Err(self.error(
                            value.span().start,
                            format!("call: {call:?} is not a Python name or dotted name"),
                        ));
                    }
                    pin.call = call;
                }
                "when" => {
                    pin.when = match self.string(entry, "when")?.as_str() {
                        "sqlite" => When::Sqlite,
                        "server" => When::Server,
                        "always" => When::Always,
                        other => {
                            return Err(self.error(
                                value.span().start,
                                format!("when: {other:?} is not one of \"sqlite\", \"server\", \"always\""),
                            ));
                        }
                    }
                }
                "set" => pin.set = self.expressions(entry, "set", true)?,
                "dict" => {
                    let DeValue::Table(dicts) = value.get_ref() else {
                        return Err(self.error(
                            value.span().start,
                            "dict must be a table of keyword = { key = \"expression\" }".into(),
                        ));
                    };
                    for dict in dicts {
                        let name = dict.0.get_ref().to_string();
                        let what = format!("dict.{name}");
                        if !is_identifier(&name) {
                            return Err(self.error(
                                dict.0.span().start,
                                format!("{what}: not a keyword argument name"),
                            ));
                        }
                        let entries = self.expressions(dict, &what, false)?;
                        if entries.is_empty() {
                            return Err(self.error(dict.0.span().start, format!("{what} is empty")));
                        }
                        pin.dict.push((name, entries));
                    }
                }
                "imports" => {
                    pin.imports = self.strings(entry, "imports")?;
                    for (i, import) in pin.imports.iter().enumerate() {
                        if parse_import(import).is_none() {
                            let at = match value.get_ref() {
                                DeValue::Array(a) => a
                                    .into_iter()
                                    .nth(i)
                                    .map_or(value.span().start, |v| v.span().start),
                                _ => value.span().start,
                            };
                            return Err(self.error(
                                at,
                                format!("imports: {import:?} is not `from MODULE import NAME[, NAME...]`"),
                            ));
                        }
                    }
                }
                "retire" => {
                    pin.retire = self.strings(entry, "retire")?;
                    if let Some(bad) = pin.retire.iter().find(|n| !is_identifier(n)) {
                        return Err(self.error(
                            value.span().start,
                            format!("retire: {bad:?} is not a Python name"),
                        ));
                    }
                }
                other => {
                    return Err(self.error(
                        key.span().start,
                        format!("unknown key `{other}` in a pin (known: call, when, set, dict, imports, retire)"),
                    ));
                }
            }
        }
        if pin.call.is_empty() {
            return Err(self.error(at, "a pin without `call`".into()));
        }
        if pin.set.is_empty() && pin.dict.is_empty() {
            return Err(self.error(
                at,
                format!("the pin of {} sets nothing: give `set` or `dict`", pin.call),
            ));
        }
        let mut names: Vec<&str> = pin
            .set
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(pin.dict.iter().map(|(k, _)| k.as_str()))
            .collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(self.error(at, format!("the pin of {} sets {} twice", pin.call, w[0])));
        }
        Ok(pin)
    }

    fn string(&self, (key, value): Entry, what: &str) -> Result<String, ConfigError> {
        match value.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            _ => Err(self.error(key.span().start, format!("{what} must be a string"))),
        }
    }

    fn strings(&self, (key, value): Entry, what: &str) -> Result<Vec<String>, ConfigError> {
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.error(
                key.span().start,
                format!("{what} must be an array of strings"),
            ));
        };
        items
            .into_iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) => Ok(s.to_string()),
                _ => Err(self.error(
                    item.span().start,
                    format!("{what} must be an array of strings"),
                )),
            })
            .collect()
    }

    /// A table of `name = "Python expression"`; with `keywords`, each name must be a
    /// keyword argument's (a dictionary's keys may be any string).
    fn expressions(
        &self,
        (key, value): Entry,
        what: &str,
        keywords: bool,
    ) -> Result<Vec<(String, String)>, ConfigError> {
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.error(
                key.span().start,
                format!("{what} must be a table of name = \"Python expression\""),
            ));
        };
        let mut out = Vec::new();
        for (name, expr) in table {
            let DeValue::String(source) = expr.get_ref() else {
                return Err(self.error(
                    expr.span().start,
                    format!(
                        "{what}.{}: the value must be a string holding a Python expression",
                        name.get_ref()
                    ),
                ));
            };
            if keywords && !is_identifier(name.get_ref()) {
                return Err(self.error(
                    name.span().start,
                    format!("{what}.{}: not a keyword argument name", name.get_ref()),
                ));
            }
            if !is_expression(source) {
                return Err(self.error(
                    expr.span().start,
                    format!(
                        "{what}.{}: {source:?} is not a Python expression",
                        name.get_ref()
                    ),
                ));
            }
            out.push((name.get_ref().to_string(), source.trim().to_string()));
        }
        Ok(out)
    }
}

/// Whether `s` is a Python identifier (ASCII letters, digits, underscores).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !is_keyword(s)
}

fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "False"
            | "None"
            | "True"
            | "and"
            | "as"
            | "assert"
            | "async"
            | "await"
            | "break"
            | "class"
            | "continue"
            | "def"
            | "del"
            | "elif"
            | "else"
            | "except"
            | "finally"
            | "for"
            | "from"
            | "global"
            | "if"
            | "import"
            | "in"
            | "is"
            | "lambda"
            | "nonlocal"
            | "not"
            | "or"
            | "pass"
            | "raise"
            | "return"
            | "try"
            | "while"
            | "with"
            | "yield"
    )
}

/// Whether `source` is exactly one Python expression.
pub fn is_expression(source: &str) -> bool {
    let source = source.trim();
    if source.is_empty() || source.contains('\n') || source.contains('#') {
        return false;
    }
    let text = format!("{source}\n");
    let Some(tree) = crate::python::parse(text.as_bytes()) else {
        return false;
    };
    let root = tree.root_node();
    if root.has_error() || root.named_child_count() != 1 {
        return false;
    }
    let statement = root.named_child(0).expect("one child");
    statement.kind() == "expression_statement"
        && statement.named_child_count() == 1
        && statement
            .named_child(0)
            .is_some_and(|e| !matches!(e.kind(), "assignment" | "augmented_assignment" | "yield"))
}

/// `from MODULE import NAME[, NAME...]`: the module and the names.
pub fn parse_import(statement: &str) -> Option<(String, Vec<String>)> {
    let rest = statement.trim().strip_prefix("from ")?;
    let (module, names) = rest.split_once(" import ")?;
    let module = module.trim();
    if !module.split('.').all(is_identifier) {
        return None;
    }
    let names: Vec<String> = names.split(',').map(|n| n.trim().to_string()).collect();
    names
        .iter()
        .all(|n| is_identifier(n))
        .then(|| (module.to_string(), names))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = r#"
[project]
name = "openalgo"

[tool.poolmerge]
files = ["database/*.py"]

[[tool.poolmerge.pin]]
call = "sessionmaker"
when = "always"
set = { expire_on_commit = "False" }
imports = ["from sqlalchemy.orm import sessionmaker"]
"#;

    #[test]
    fn reads_the_schema_from_pyproject() {
        let c = parse(SESSION, "pyproject.toml").unwrap().unwrap();
        assert_eq!(c.files, ["database/*.py"]);
        assert!(
            !c.include_builtin,
            "pins and no include_builtin: only the pins"
        );
        assert_eq!(
            c.pins,
            [PinDecl {
                call: "sessionmaker".into(),
                when: When::Always,
                set: vec![("expire_on_commit".into(), "False".into())],
                dict: Vec::new(),
                imports: vec!["from sqlalchemy.orm import sessionmaker".into()],
                retire: Vec::new(),
                line: 8,
            }]
        );
        assert_eq!(
            parse("[project]\nname = \"x\"\n", "pyproject.toml"),
            Ok(None)
        );
    }

    #[test]
    fn reads_the_same_keys_at_the_top_of_its_own_file() {
        let text = "include_builtin = true\n\n[[pin]]\ncall = \"sqlalchemy.create_engine\"\nwhen = \"server\"\nset = { pool_pre_ping = \"True\", pool_recycle = \"1800\" }\ndict = { connect_args = { connect_timeout = \"10\" } }\nretire = [\"NullPool\"]\n";
        let c = parse(text, ".poolmerge.toml").unwrap().unwrap();
        assert!(c.include_builtin);
        let p = &c.pins[0];
        assert_eq!(
            (p.call.as_str(), p.when, p.line),
            ("sqlalchemy.create_engine", When::Server, 3)
        );
        assert_eq!(
            p.set[1],
            ("pool_recycle".into(), "1800".into()),
            "declared order"
        );
        assert_eq!(
            p.dict,
            [(
                "connect_args".into(),
                vec![("connect_timeout".into(), "10".into())]
            )]
        );
        let empty = parse("files = [\"db/*.py\"]\n", ".poolmerge.toml")
            .unwrap()
            .unwrap();
        assert!(empty.include_builtin && empty.pins.is_empty());
    }

    #[test]
    fn each_error_names_the_file_and_line() {
        let cases: &[(&str, usize, &str)] = &[
            ("[tool.poolmerge]\nfile = []\n", 2, "unknown key `file`"),
            (
                "[tool.poolmerge]\n[[tool.poolmerge.pin]]\ncall = \"f\"\nsett = { a = \"1\" }\n",
                4,
                "unknown key `sett`",
            ),
            (
                "[tool.poolmerge]\n[[tool.poolmerge.pin]]\ncall = \"f\"\nset = { a = \"1 +\" }\n",
                4,
                "is not a Python expression",
            ),
            (
                "[tool.poolmerge]\n[[tool.poolmerge.pin]]\ncall = \"f\"\nset = { a = \"x)(\" }\n",
                4,
                "is not a Python expression",
            ),
            (
                "[tool.poolmerge]\n[[tool.poolmerge.pin]]\ncall = \"f\"\nset = { a = \"1; import os\" }\n",
                4,
                "is not a Python expression",
            ),
            (
                "[tool.poolmerge]\n[[tool.poolmerge.pin]]\ncall = \"f\"\nset = { a = 1 }\n",
                4,
                "must be a string",
            ),
            (
                "[tool.poolmerge]\n\n[[tool.poolmerge.pin]]\ncall = \"f\"\n",
                3,
                "sets nothing",
            ),
            (
                "[tool.poolmerge]\n[[tool.poolmerge.pin]]\nset = { a = \"1\" }\n",
                2,
                "without `call`",
            ),
            (
                "[tool.poolmerge]\n[[tool.poolmerge.pin]]\ncall = \"f(x)\"\nset = { a = \"1\" }\n",
                3,
                "not a Python name",
            ),
            (
                "[tool.poolmerge]\n[[tool.poolmerge.pin]]\ncall = \"f\"\nwhen = \"mysql\"\nset = { a = \"1\" }\n",
                4,
                "is not one of",
            ),
            (
                "[tool.poolmerge]\n[[tool.poolmerge.pin]]\ncall = \"f\"\nset = { a = \"1\" }\nimports = [\"import os\"]\n",
                5,
                "imports",
            ),
            (
                "[tool.poolmerge]\ninclude_builtin = false\n",
                1,
                "nothing to pin",
            ),
            (
                "[tool.poolmerge]\ninclude_builtin = \"yes\"\n",
                2,
                "true or false",
            ),
            (
                "[tool.poolmerge]\nfiles = [\"../x.py\"]\n",
                2,
                "inside the repository",
            ),
            ("[tool.poolmerge\n", 1, "not valid TOML"),
            (
                "[tool.poolmerge]\n[[tool.poolmerge.pin]]\ncall = \"f\"\nset = { a = \"1\" }\ndict = { a = { b = \"2\" } }\n",
                2,
                "sets a twice",
            ),
        ];
        for (text, line, message) in cases {
            let e = parse(text, "pyproject.toml").expect_err(text);
            assert_eq!(
                (e.file.as_str(), e.line),
                ("pyproject.toml", *line),
                "{text}: {e}"
            );
            assert!(e.message.contains(message), "{text}: {e}");
            assert_eq!(e.to_string().lines().count(), 1);
        }
    }

    #[test]
    fn the_printed_profile_reads_back_as_the_same_pins() {
        let three = r#"include_builtin = true
[[pin]]
call = "sqlalchemy.create_engine"
when = "server"
set = { pool_recycle = "1800", echo = "'a\\b\"c'" }
dict = { connect_args = { "connect timeout" = "10" } }
[[pin]]
call = "sessionmaker"
set = { expire_on_commit = "False" }
imports = ["from sqlalchemy.orm import sessionmaker"]
retire = ["scoped_session"]
"#;
        let declared = parse(three, ".poolmerge.toml").unwrap().unwrap();
        for profile in [
            Profile::builtin(),
            Profile::from_config(declared, "t".into()).unwrap(),
        ] {
            let printed = profile.to_toml();
            let again = parse(&printed, "pyproject.toml").unwrap().unwrap();
            let again = Profile::from_config(again, "t".into()).unwrap();
            let sorted = |p: &Profile| {
                p.pins
                    .iter()
                    .map(|pin| {
                        let mut pin = pin.clone();
                        pin.keywords.sort_by(|a, b| a.name.cmp(&b.name));
                        pin
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(sorted(&again), sorted(&profile), "{printed}");
        }
    }

    #[test]
    fn two_pins_of_one_call_must_take_disjoint_calls() {
        let profile = |text: &str| {
            Profile::from_config(parse(text, ".poolmerge.toml").unwrap().unwrap(), "t".into())
        };
        let pin = |when: &str| {
            format!(
                "[[pin]]\ncall = \"create_engine\"\nwhen = \"{when}\"\nset = {{ echo = \"False\" }}\n"
            )
        };
        assert!(profile(&format!("include_builtin = true\n{}", pin("server"))).is_ok());
        let e = profile(&format!("include_builtin = true\n{}", pin("always"))).unwrap_err();
        assert!(
            e.message
                .contains("the built-in pin applies to the same calls"),
            "{e}"
        );
        assert_eq!(e.line, 2);
        let e = profile(&format!("{}{}", pin("server"), pin("server"))).unwrap_err();
        assert!(e.message.contains("another pin of create_engine"), "{e}");
    }

    #[test]
    fn expressions_and_imports_are_checked_with_the_python_grammar() {
        for ok in [
            "False",
            "20.0",
            "StaticPool",
            "{\"a\": 1}",
            "f(x, y=2)",
            "1800",
            "-1",
            "'s'",
        ] {
            assert!(is_expression(ok), "{ok}");
        }
        for bad in [
            "",
            "1 +",
            "a = 1",
            "x)(",
            "1\n2",
            "import os",
            "# c",
            "1, 2)",
        ] {
            assert!(!is_expression(bad), "{bad:?}");
        }
        assert_eq!(
            parse_import("from sqlalchemy.orm import sessionmaker, Session"),
            Some((
                "sqlalchemy.orm".into(),
                vec!["sessionmaker".into(), "Session".into()]
            ))
        );
        for bad in [
            "import os",
            "from . import x",
            "from a import *",
            "from a import (b)",
        ] {
            assert_eq!(parse_import(bad), None, "{bad}");
        }
    }
}

/// The profile every command applies: the pins, the files they own, and where it came
/// from.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The pins, the built-in one first when it applies.
    pub pins: Vec<crate::merge::pin::Pin>,
    /// The configuration it was made from (`None`: the built-in profile).
    pub config: Option<Config>,
    /// Where it came from, as shown to the user.
    pub source: String,
}

impl Profile {
    /// The built-in profile: the StaticPool pin, the files git's attributes route.
    pub fn builtin() -> Profile {
        Profile {
            pins: vec![crate::merge::pin::Pin::builtin()],
            config: None,
            source: "the built-in profile".into(),
        }
    }

    /// The profile a configuration declares.
    pub fn from_config(config: Config, source: String) -> Result<Profile, ConfigError> {
        use crate::merge::pin::Pin;
        let mut pins = Vec::new();
        if config.include_builtin {
            pins.push(Pin::builtin());
        }
        for decl in &config.pins {
            let pin = Pin::from_decl(decl).map_err(|message| ConfigError {
                file: config.file.clone(),
                line: decl.line,
                message,
            })?;
            // Two pins may share a call only for disjoint calls (sqlite and server):
            // otherwise which one a statement takes would depend on their order.
            if let Some(other) = pins.iter().find(|p: &&Pin| {
                p.call == pin.call
                    && !matches!(
                        (p.when, pin.when),
                        (When::Sqlite, When::Server) | (When::Server, When::Sqlite)
                    )
            }) {
                let what = if *other == Pin::builtin() {
                    "the built-in pin".to_string()
                } else {
                    format!("another pin of {}", other.declared)
                };
                return Err(ConfigError {
                    file: config.file.clone(),
                    line: decl.line,
                    message: format!(
                        "{what} applies to the same calls (when = {} and {}): give them \"sqlite\" and \"server\"",
                        other.when.name(),
                        pin.when.name()
                    ),
                });
            }
            pins.push(pin);
        }
        Ok(Profile {
            pins,
            config: Some(config),
            source,
        })
    }

    /// The file patterns the configuration owns (empty: git's attributes decide).
    pub fn files(&self) -> &[String] {
        self.config.as_ref().map_or(&[], |c| &c.files)
    }

    /// Whether `path` (relative to the work tree) is one of the configured files.
    pub fn owns(&self, path: &str) -> bool {
        let files = self.files();
        if files.is_empty() {
            return false;
        }
        git2::Pathspec::new(files.iter()).is_ok_and(|spec| {
            spec.matches_path(std::path::Path::new(path), git2::PathspecFlags::DEFAULT)
        })
    }

    /// The profile as TOML, the built-in pin written out in full. Values are written
    /// by the `toml` crate; the layout (one inline table a key, comments) is ours.
    pub fn to_toml(&self) -> String {
        use crate::merge::pin::PinValue;
        use toml::Value;
        let string = |s: &str| Value::String(s.to_string());
        let list = |items: &[String]| Value::Array(items.iter().map(|s| string(s)).collect());
        let table = |entries: Vec<(String, Value)>| Value::Table(entries.into_iter().collect());
        let mut out = format!(
            "# The profile poolmerge applies here, from {}, every pin written out.\n[tool.poolmerge]\n",
            self.source.replace('\n', " ")
        );
        if !self.files().is_empty() {
            out.push_str(&format!("files = {}\n", list(self.files())));
        }
        out.push_str("include_builtin = false\n");
        let builtin = crate::merge::pin::Pin::builtin();
        for pin in &self.pins {
            out.push_str("\n[[tool.poolmerge.pin]]\n");
            if *pin == builtin {
                out.push_str("# the built-in pin\n");
            }
            out.push_str(&format!("call = {}\n", string(&pin.declared)));
            out.push_str(&format!("when = {}\n", string(pin.when.name())));
            let (mut set, mut dict) = (Vec::new(), Vec::new());
            for k in &pin.keywords {
                match &k.value {
                    PinValue::Expr(e) => set.push((k.name.clone(), string(e))),
                    PinValue::Dict(entries) => {
                        let entries = entries.iter().map(|(key, v)| (key.clone(), string(v)));
                        dict.push((k.name.clone(), table(entries.collect())));
                    }
                }
            }
            if !set.is_empty() {
                out.push_str(&format!("set = {}\n", table(set)));
            }
            if !dict.is_empty() {
                out.push_str(&format!("dict = {}\n", table(dict)));
            }
            if pin.needs_import() {
                let import = format!("from {} import {}", pin.import_module, pin.import_name);
                out.push_str(&format!("imports = {}\n", list(&[import])));
            }
            out.push_str(&format!("retire = {}\n", list(&pin.retire)));
        }
        out
    }
}

/// The profile for a repository: HEAD's committed configuration, else the work
/// tree's, else the built-in one. Without a repository, the built-in one.
pub fn load(repo: Option<&git2::Repository>) -> Result<Profile, ConfigError> {
    let Some(repo) = repo else {
        return Ok(Profile::builtin());
    };
    let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    if let Some(tree) = head {
        let mut found = Vec::new();
        for name in FILES {
            let Ok(entry) = tree.get_path(std::path::Path::new(name)) else {
                continue;
            };
            let Ok(blob) = repo.find_blob(entry.id()) else {
                continue;
            };
            let shown = format!("HEAD:{name}");
            found.extend(read_one(blob.content(), &shown)?.map(|c| (c, shown)));
        }
        if let Some(profile) = pick(found)? {
            return Ok(profile);
        }
    }
    if let Some(dir) = repo.workdir() {
        let mut found = Vec::new();
        for name in FILES {
            if let Ok(Some(text)) = crate::fsutil::read_worktree_file(dir, name) {
                let shown = format!("{name} in the work tree");
                found.extend(read_one(&text, name)?.map(|c| (c, shown)));
            }
        }
        if let Some(profile) = pick(found)? {
            return Ok(profile);
        }
    }
    Ok(Profile::builtin())
}

/// The profile for the merge driver, which git runs at the top of the work tree. To
/// start fast, the repository is opened only when the work tree holds a
/// `.poolmerge.toml` or a `pyproject.toml` that mentions poolmerge; otherwise the
/// built-in profile applies (even if HEAD still holds a configuration the work tree
/// has dropped).
pub fn load_for_driver() -> Result<Profile, ConfigError> {
    let configured = std::path::Path::new(FILES[0]).exists()
        || std::fs::read(FILES[1]).is_ok_and(|t| crate::python::contains(&t, b"poolmerge"));
    if !configured {
        return Ok(Profile::builtin());
    }
    load(git2::Repository::open_from_env().ok().as_ref())
}

fn read_one(bytes: &[u8], shown: &str) -> Result<Option<Config>, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ConfigError {
        file: shown.to_string(),
        line: bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
        message: "not UTF-8".into(),
    })?;
    parse(text, shown)
}

fn pick(mut found: Vec<(Config, String)>) -> Result<Option<Profile>, ConfigError> {
    if found.len() > 1 {
        let (_, first) = &found[0];
        return Err(ConfigError {
            file: found[1].1.clone(),
            line: 1,
            message: format!("a configuration here and in {first}: keep one"),
        });
    }
    found
        .pop()
        .map(|(config, source)| Profile::from_config(config, source))
        .transpose()
}
