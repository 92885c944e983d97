//! The pin policy: what the fork pins (one struct, the data), which calls it applies
//! to (docs/RULES.md, the SQLite evidence rule), and how far a call already carries it.

mod side;

pub(crate) use side::{Evidence, Side, fork_side};

use crate::python::{Call, Container, EngineStatement, Item, ItemKey, Targets};

/// Which calls a pin applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// SQLite engine calls only (docs/RULES.md, the SQLite evidence rule).
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

/// A value the pin sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinValue {
    /// A keyword set to a Python expression (`poolclass=StaticPool`).
    Expr(String),
    /// A dictionary keyword holding these entries (`connect_args={"timeout": 20.0}`);
    /// other entries are kept.
    Dict(Vec<(String, String)>),
}

/// One keyword the pin sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedKeyword {
    /// The keyword's name.
    pub name: String,
    /// Its value.
    pub value: PinValue,
}

/// The fork's pin: which call, which keywords, which import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The call's name (the callee's last name).
    pub call: String,
    /// The call as declared (a name or a dotted name), for messages.
    pub declared: String,
    /// Which calls take the pin.
    pub when: When,
    /// The keywords set on every pinned call, in the order a new pin writes them.
    pub keywords: Vec<PinnedKeyword>,
    /// The keyword that selects the pool class, when the pin sets one: a call carrying
    /// the pin's pool class counts as pinned, and an upstream pool class the pin does
    /// not replace without asking is a conflict.
    pub pool_keyword: Option<String>,
    /// Pool classes the pin replaces without asking (SQLite pool experiments).
    pub replaceable_pools: Vec<String>,
    /// Keywords that mark a server pool: such a call is never pinned.
    pub server_keywords: Vec<String>,
    /// What a file whose engines carry the pin must import; `None`: nothing.
    pub import: Option<PinImport>,
    /// Names whose import goes once nothing in the file uses them.
    pub retire: Vec<String>,
    /// Other names the call goes by in the files at hand (`from sqlalchemy import
    /// create_engine as make_engine`), so that a statement scanned apart from its file
    /// is still known for what it is.
    pub aliases: Vec<String>,
}

/// `from MODULE import NAME`: what a file whose engines carry the pin must import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinImport {
    /// The module (`sqlalchemy.pool`).
    pub module: String,
    /// The name (`StaticPool`).
    pub name: String,
}

impl Default for Pin {
    fn default() -> Pin {
        Pin::builtin()
    }
}

impl Pin {
    /// The built-in profile: SQLite engines on `StaticPool` with a 20 s lock timeout and
    /// pre-ping, as the fork's write-up specifies.
    pub fn builtin() -> Pin {
        let s = |v: &str| v.to_string();
        Pin {
            call: s("create_engine"),
            declared: s("create_engine"),
            when: When::Sqlite,
            keywords: vec![
                PinnedKeyword {
                    name: s("poolclass"),
                    value: PinValue::Expr(s("StaticPool")),
                },
                PinnedKeyword {
                    name: s("connect_args"),
                    value: PinValue::Dict(vec![
                        (s("check_same_thread"), s("False")),
                        (s("timeout"), s("20.0")),
                    ]),
                },
                PinnedKeyword {
                    name: s("pool_pre_ping"),
                    value: PinValue::Expr(s("True")),
                },
            ],
            pool_keyword: Some(s("poolclass")),
            replaceable_pools: vec![s("NullPool"), s("StaticPool"), s("SingletonThreadPool")],
            server_keywords: vec![s("pool_size"), s("max_overflow"), s("pool_timeout")],
            import: Some(PinImport {
                module: s("sqlalchemy.pool"),
                name: s("StaticPool"),
            }),
            retire: vec![s("NullPool")],
            // SQLAlchemy's asyncio engines take the same pool arguments.
            aliases: vec![s("create_async_engine")],
        }
    }

    /// Whether `text` names the pin's call (or one of its aliases) or its module: only
    /// then can it hold pool code.
    pub(crate) fn mentioned_in(&self, text: &[u8]) -> bool {
        crate::python::contains(text, self.call.as_bytes())
            || self
                .aliases
                .iter()
                .any(|a| crate::python::contains(text, a.as_bytes()))
            || self
                .import_module()
                .is_some_and(|m| crate::python::contains(text, m.as_bytes()))
    }

    /// Whether the pin requires an import.
    pub(crate) fn needs_import(&self) -> bool {
        self.import.is_some()
    }

    /// The module the pin's name is imported from, whose imports are pool regions.
    pub fn import_module(&self) -> Option<&str> {
        self.import.as_ref().map(|i| i.module.as_str())
    }

    /// Whether `name` is the name the pin imports.
    pub fn imports(&self, name: &str) -> bool {
        self.import.as_ref().is_some_and(|i| i.name == name)
    }

    /// Whether the call takes the pin.
    pub fn applies(&self, call: &Call) -> bool {
        self.applies_to(Facts {
            server: self.server_evidence(call),
            sqlite: call.guarded || sqlite_evidence(&call.args),
        })
    }

    /// What a call is, from its own version's evidence (docs/RULES.md, the kind rule;
    /// this is the one place it is written): server evidence (a server-pool keyword or
    /// pool class, a URL of another scheme, a branch whose path excludes SQLite) beats
    /// SQLite evidence (a URL whose static start is `sqlite`, `check_same_thread`, a
    /// branch whose path implies SQLite); neither is unknown.
    pub fn kind(&self, call: &Call) -> EngineClass {
        if self.server_evidence(call) {
            EngineClass::Server
        } else if call.guarded || sqlite_evidence(&call.args) {
            EngineClass::Sqlite
        } else {
            EngineClass::Unknown
        }
    }

    /// The pinned keywords a `**splat` of `args` (in `text`) may pass among those
    /// `args` passes itself (`passed`), or among those it does not: the former make the
    /// call fail already, the latter would once the pin adds them. A splat passes any
    /// keyword unless it is a dictionary literal without it (`python::splat_keys`).
    pub(crate) fn splat_may_pass(
        &self,
        text: &[u8],
        splat: &str,
        args: &Container,
        passed: bool,
    ) -> Vec<&str> {
        let keys = crate::python::splat_keys(text, splat);
        self.keywords
            .iter()
            .map(|k| k.name.as_str())
            .filter(|k| keyword(args, k).is_some() == passed)
            .filter(|k| keys.as_ref().is_none_or(|keys| keys.iter().any(|x| x == k)))
            .collect()
    }

    /// Server evidence in a call and the branch around it.
    pub(crate) fn server_evidence(&self, call: &Call) -> bool {
        self.is_server(&call.args)
            || server_pool(&call.args)
            || server_url(&call.args)
            || call.server_branch
    }

    /// The pin's `when` rule, the one place it is written: whether a call with these
    /// facts takes the pin.
    pub(crate) fn applies_to(&self, facts: Facts) -> bool {
        match self.when {
            When::Sqlite => facts.sqlite && !facts.server,
            // Disjoint from `Sqlite`: server evidence beats SQLite evidence.
            When::Server => facts.server,
            When::Always => true,
        }
    }

    /// What the syntax layer looks for.
    pub fn targets(&self) -> Targets<'_> {
        Targets {
            call: &self.call,
            import_module: self.import_module(),
            aliases: &self.aliases,
            evidence: EVIDENCE,
        }
    }

    /// The pinned keyword called `name`, if any.
    pub fn keyword(&self, name: &str) -> Option<&PinnedKeyword> {
        self.keywords.iter().find(|k| k.name == name)
    }

    /// How many pin items (keywords, dictionary entries) there are.
    pub fn size(&self) -> usize {
        self.keywords
            .iter()
            .map(|k| match &k.value {
                PinValue::Expr(_) => 1,
                PinValue::Dict(entries) => entries.len(),
            })
            .sum()
    }

    /// How many pin items the call's arguments already carry.
    pub(crate) fn score(&self, args: &Container) -> usize {
        let mut score = 0;
        for kw in &self.keywords {
            let Some(item) = keyword(args, &kw.name) else {
                continue;
            };
            match &kw.value {
                PinValue::Expr(e) => score += usize::from(same_value(&item.norm, e)),
                PinValue::Dict(entries) => {
                    if let Some(dict) = &item.dict {
                        for (k, v) in entries {
                            score +=
                                usize::from(entry(dict, k).is_some_and(|i| same_value(&i.norm, v)));
                        }
                    }
                }
            }
        }
        score
    }

    /// Whether the call carries the whole pin.
    pub fn carries(&self, args: &Container) -> bool {
        self.score(args) == self.size()
    }

    /// What the call lacks of the pin, one phrase a keyword or entry (empty: it
    /// carries the whole pin).
    pub fn missing(&self, args: &Container) -> Vec<String> {
        let mut out = Vec::new();
        for kw in &self.keywords {
            let item = keyword(args, &kw.name);
            match (&kw.value, item) {
                (PinValue::Expr(e), None) => out.push(format!("{}={e} is missing", kw.name)),
                (PinValue::Expr(e), Some(i)) if !same_value(&i.norm, e) => {
                    out.push(format!("{} is {}, not {e}", kw.name, i.norm));
                }
                (PinValue::Expr(_), Some(_)) => {}
                (PinValue::Dict(_), None) => out.push(format!("{} is missing", kw.name)),
                (PinValue::Dict(_), Some(i)) if i.dict.is_none() => {
                    out.push(format!("{} is not a dict literal", kw.name));
                }
                (PinValue::Dict(entries), Some(i)) => {
                    let dict = i.dict.as_deref().expect("checked above");
                    for (k, v) in entries {
                        match entry(dict, k) {
                            None => out.push(format!("{} lacks \"{k}\": {v}", kw.name)),
                            Some(e) if !same_value(&e.norm, v) => {
                                out.push(format!("{} has \"{k}\": {}, not {v}", kw.name, e.norm));
                            }
                            Some(_) => {}
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether the call's pool class is the pin's (the mark of a call the fork pinned).
    pub(crate) fn has_pinned_pool(&self, args: &Container) -> bool {
        let Some(pool) = &self.pool_keyword else {
            return false;
        };
        match (self.keyword(pool), keyword(args, pool)) {
            (
                Some(PinnedKeyword {
                    value: PinValue::Expr(e),
                    ..
                }),
                Some(item),
            ) => same_value(&item.norm, e),
            _ => false,
        }
    }

    /// Whether the call was pinned (by the fork): it carries the whole pin, or the
    /// pin's pool class.
    pub fn is_pinned(&self, args: &Container) -> bool {
        self.has_pinned_pool(args) || self.carries(args)
    }

    /// Whether the call is configured for a server pool.
    pub fn is_server(&self, args: &Container) -> bool {
        args.items
            .iter()
            .any(|i| matches!(&i.key, ItemKey::Keyword(k) if self.server_keywords.contains(k)))
    }

    /// Whether a pool class expression is one the pin replaces without asking.
    pub(crate) fn is_replaceable_pool(&self, norm: &str) -> bool {
        let last = norm.rsplit(['.', ' ']).next().unwrap_or(norm);
        self.replaceable_pools.iter().any(|p| p == last)
    }

    /// What an engine statement is, from its own version's evidence: SQLite (evidence
    /// or the pin itself), a server engine (server-pool keywords, a server URL, the
    /// other branch of a test for `sqlite`), or unknown.
    pub fn class(&self, statement: &EngineStatement) -> EngineClass {
        let kinds = || statement.calls.iter().map(|c| self.kind(c));
        if kinds().any(|k| k == EngineClass::Sqlite) {
            EngineClass::Sqlite
        } else if kinds().any(|k| k == EngineClass::Server) {
            EngineClass::Server
        } else {
            EngineClass::Unknown
        }
    }

    /// The SQLite evidence rule (docs/RULES.md): not a server pool, and `connect_args`
    /// mentioning `check_same_thread`, or a first argument that is a `sqlite` string
    /// literal, or the call in the true branch of an `if` that mentions `sqlite`.
    pub fn is_sqlite(&self, call: &Call) -> bool {
        self.kind(call) == EngineClass::Sqlite
    }
}

/// The word that is evidence of a SQLite engine: a URL literal starting with it, or an
/// `if` test for it around the call (docs/RULES.md, the SQLite evidence rule).
pub(crate) const EVIDENCE: &str = "sqlite";

/// What decides whether a call takes a pin (see [`Pin::applies_to`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Facts {
    /// Server evidence: a server-pool keyword (`pool_size`, ...) or pool class, a URL
    /// of another scheme, a branch whose path excludes SQLite.
    pub server: bool,
    /// Evidence of SQLite: a `sqlite` URL, `check_same_thread`, or a branch whose path
    /// implies SQLite.
    pub sqlite: bool,
}

/// What an engine is, as far as one version tells (see [`Pin::class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineClass {
    /// No evidence either way.
    #[default]
    Unknown,
    /// A SQLite engine: the pin applies.
    Sqlite,
    /// A server engine: never pinned.
    Server,
}

/// Whether a statement opts out of poolmerge: a `# poolmerge: off` comment inside it
/// or trailing its last line. Such a statement is left to the plain merge and exempt
/// from `check` and `fix`.
pub(crate) fn opted_out(text: &[u8], statement: &std::ops::Range<usize>) -> bool {
    let end = text[statement.end.min(text.len())..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| statement.end + i);
    let span = &text[statement.start.min(end)..end];
    memchr::memchr_iter(b'#', span).any(|at| {
        let rest = span[at + 1..].trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b"poolmerge:") else {
            return false;
        };
        let rest = rest.trim_ascii_start();
        rest.strip_prefix(b"off").is_some_and(|after| {
            after
                .first()
                .is_none_or(|&b| !(b == b'_' || b.is_ascii_alphanumeric()))
        })
    })
}

/// The call's URL: its first positional argument, or `url=`.
fn url(args: &Container) -> Option<&Item> {
    args.items
        .iter()
        .find(|i| i.key == ItemKey::Positional(0))
        .or_else(|| keyword(args, "url"))
}

/// A URL whose static start names another scheme than SQLite.
pub(crate) fn server_url(args: &Container) -> bool {
    url(args).is_some_and(|i| i.server_url)
}

/// Pool classes only server engines take.
const SERVER_POOLS: &[&str] = &["QueuePool", "AsyncAdaptedQueuePool"];

/// A `poolclass` that only a server engine takes.
pub(crate) fn server_pool(args: &Container) -> bool {
    keyword(args, "poolclass").is_some_and(|i| is_server_pool(&i.norm))
}

/// Whether a pool class expression names a server-only pool.
pub(crate) fn is_server_pool(norm: &str) -> bool {
    let last = norm.rsplit(['.', ' ']).next().unwrap_or(norm);
    SERVER_POOLS.contains(&last)
}

/// Evidence in the arguments alone (the branch is the caller's to add): a `sqlite`
/// URL, or `connect_args` mentioning `check_same_thread`.
pub(crate) fn sqlite_evidence(args: &Container) -> bool {
    url(args).is_some_and(|i| i.evidence_literal)
        || keyword(args, "connect_args").is_some_and(|i| i.norm.contains("check_same_thread"))
}

/// The keyword argument `name`.
pub fn keyword<'a>(args: &'a Container, name: &str) -> Option<&'a Item> {
    args.items
        .iter()
        .find(|i| matches!(&i.key, ItemKey::Keyword(k) if k == name))
}

/// The dictionary entry with key `name`.
pub fn entry<'a>(dict: &'a Container, name: &str) -> Option<&'a Item> {
    dict.items
        .iter()
        .find(|i| matches!(&i.key, ItemKey::Entry(k) if k == name))
}

/// Whether a value's tokens equal a pinned expression: the same tokens, or the same
/// number (`20` and `20.0` are the same timeout).
pub(crate) fn same_value(norm: &str, expr: &str) -> bool {
    if norm == expr {
        return true;
    }
    match (parse_number(norm), parse_number(expr)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let s = s.replace('_', "");
    if s.is_empty()
        || !s
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
    {
        return None;
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::scan;

    fn first_call(src: &str) -> Call {
        let pin = Pin::builtin();
        let s = scan(src.as_bytes(), &pin.targets()).unwrap();
        s.statements[0].calls[0].clone()
    }

    #[test]
    fn scores_and_recognises_the_full_pin() {
        let pin = Pin::builtin();
        let c = first_call(
            "e = create_engine(U, poolclass=StaticPool, connect_args={\"check_same_thread\": False, 'timeout': 20}, pool_pre_ping=True)\n",
        );
        assert!(pin.carries(&c.args));
        let c = first_call(
            "e = create_engine(U, poolclass=NullPool, connect_args={\"check_same_thread\": False})\n",
        );
        assert_eq!(pin.score(&c.args), 1);
        assert!(pin.is_sqlite(&c));
        assert!(!pin.has_pinned_pool(&c.args));
    }

    #[test]
    fn says_what_is_missing() {
        let pin = Pin::builtin();
        let c = first_call(
            "e = create_engine(U, poolclass=NullPool, connect_args={\"check_same_thread\": False, \"timeout\": 5})\n",
        );
        assert_eq!(
            pin.missing(&c.args),
            vec![
                "poolclass is NullPool, not StaticPool",
                "connect_args has \"timeout\": 5, not 20.0",
                "pool_pre_ping=True is missing"
            ]
        );
        let c = first_call("e = create_engine(U, connect_args=ARGS)\n");
        assert_eq!(
            pin.missing(&c.args)[1],
            "connect_args is not a dict literal"
        );
    }

    #[test]
    fn sqlite_evidence_follows_spec() {
        let pin = Pin::builtin();
        assert!(pin.is_sqlite(&first_call("e = create_engine(\"sqlite:///x.db\")\n")));
        assert!(pin.is_sqlite(&first_call("e = create_engine(f\"sqlite:///{p}\")\n")));
        assert!(!pin.is_sqlite(&first_call(
            "e = create_engine(\"postgresql://h/db\", connect_args={\"check_same_thread\": False})\n"
        )));
        assert!(!pin.is_sqlite(&first_call(
            "e = create_engine(U, poolclass=QueuePool, connect_args={\"check_same_thread\": False})\n"
        )));
        assert!(pin.is_sqlite(&first_call("e = create_engine(url=\"sqlite://\")\n")));
        assert!(!pin.is_sqlite(&first_call("e = create_engine(U, poolclass=NullPool)\n")));
        assert!(!pin.is_sqlite(&first_call(
            "e = create_engine(\"sqlite://\", pool_size=5)\n"
        )));
        assert!(pin.is_sqlite(&first_call("if 'sqlite' in U:\n    e = create_engine(U)\n")));
        assert!(!pin.is_sqlite(&first_call(
            "if 'sqlite' in U:\n    pass\nelse:\n    e = create_engine(U)\n"
        )));
    }

    #[test]
    fn a_statement_opts_out_with_a_trailing_comment() {
        let at = |text: &str| {
            let start = text.find("e =").unwrap();
            let end = text.rfind(')').unwrap() + 1;
            opted_out(text.as_bytes(), &(start..end))
        };
        assert!(at("e = create_engine(U)  # poolmerge: off\n"));
        assert!(at("e = create_engine(U)  #poolmerge:off\nx = 1\n"));
        assert!(at(
            "e = create_engine(  # poolmerge: off -- server\n    U,\n)\n"
        ));
        assert!(at("e = create_engine(\n    U,  # poolmerge: off\n)\n"));
        assert!(
            !at("# poolmerge: off\ne = create_engine(U)\n"),
            "a comment above is not on it"
        );
        assert!(
            !at("e = create_engine(U)\nx = 1  # poolmerge: off\n"),
            "nor one on the next line"
        );
        assert!(!at("e = create_engine(U)  # poolmerge: offline\n"));
        assert!(!at("e = create_engine(U)  # poolmerge: on\n"));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(same_value("20", "20.0"));
        assert!(!same_value("10.0", "20.0"));
        assert!(!same_value("False", "0"));
    }
}
