use super::profile::pin_from_decl;
use super::*;
use crate::policy::Pin;
use crate::python::scan;

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

fn declared(toml: &str) -> Pin {
    let c = parse(toml, ".poolmerge.toml").unwrap().unwrap();
    pin_from_decl(&c.pins[0]).unwrap()
}

#[test]
fn declared_pins_apply_by_their_rule() {
    let pg = declared(
        "[[pin]]\ncall = \"sqlalchemy.create_engine\"\nwhen = \"server\"\nset = { pool_pre_ping = \"True\", pool_recycle = \"1800\" }\n",
    );
    assert_eq!(
        (pg.call.as_str(), pg.pool_keyword.as_deref()),
        ("create_engine", None)
    );
    assert!(!pg.needs_import());
    let calls = |src: &str| scan(src.as_bytes(), &pg.targets()).unwrap().statements;
    let s = calls(
        "a = create_engine(U, pool_size=5)\nb = create_engine(\"postgresql://h/db\")\nc = create_engine(\"sqlite:///x.db\")\nd = create_engine(U)\n",
    );
    let applies: Vec<bool> = s.iter().map(|s| pg.applies(&s.calls[0])).collect();
    assert_eq!(applies, [true, true, false, false]);
    let c = &s[0].calls[0];
    assert_eq!(
        pg.missing(&c.args),
        [
            "pool_pre_ping=True is missing",
            "pool_recycle=1800 is missing"
        ]
    );

    let sm = declared(
        "[[pin]]\ncall = \"sessionmaker\"\nset = { expire_on_commit = \"False\" }\nimports = [\"from sqlalchemy.orm import sessionmaker\"]\n",
    );
    let import = sm.import.as_ref().unwrap();
    assert_eq!(
        (import.module.as_str(), import.name.as_str()),
        ("sqlalchemy.orm", "sessionmaker")
    );
    let s = scan(b"S = sessionmaker(bind=e)\n", &sm.targets()).unwrap();
    assert!(sm.applies(&s.statements[0].calls[0]), "always");
    let builtin = Pin::builtin();
    let s = scan(b"e = create_engine(U, pool_size=5)\n", &builtin.targets()).unwrap();
    assert!(!builtin.applies(&s.statements[0].calls[0]));
    let two = parse("[[pin]]\ncall = \"f\"\nset = { a = \"1\" }\nimports = [\"from m import a\", \"from n import b\"]\n", ".poolmerge.toml").unwrap().unwrap();
    assert!(pin_from_decl(&two.pins[0]).is_err());
}

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

#[test]
fn a_profile_holds_its_files_directories_only() {
    let profile = Profile::from_config(
        parse(SESSION, "pyproject.toml").unwrap().unwrap(),
        "t".into(),
    )
    .unwrap();
    for path in ["database/auth_db.py", "database/sub/x.py"] {
        assert!(profile.owns(path), "{path}");
        for (i, _) in path.match_indices('/') {
            assert!(profile.may_hold(&path[..=i]), "{path}");
        }
    }
    assert!(!profile.may_hold("docs/") && !profile.may_hold("data/"));
}
