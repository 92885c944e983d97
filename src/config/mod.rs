//! A repository's pin configuration: `[tool.poolmerge]` in `pyproject.toml`, or the same
//! keys at the top level of `.poolmerge.toml`. Read and checked whole: an unknown key, a
//! value that is not a Python expression or an empty pin is one error naming the file
//! and line, never a configuration applied in part.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::policy::When;

/// The files a configuration may live in, in the order they are looked at.
pub(crate) const FILES: [&str; 2] = [".poolmerge.toml", "pyproject.toml"];

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

    /// One `[[pin]]` table, checked whole.
    // Long on purpose: one arm per key of a `[[pin]]` table, each value checked where it
    // is read so that its error names its own line.
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

mod pathspec;
mod profile;
mod syntax;
#[cfg(test)]
mod tests;

pub use profile::Profile;
pub(crate) use profile::{load, load_for_driver};
pub(crate) use syntax::{is_expression, is_identifier, parse_import};
