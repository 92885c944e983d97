use super::*;
use crate::merge::regions::find_regions;
use crate::policy::Pin;
use crate::python::scan;

fn names(v: &[&str]) -> Vec<ImportedName> {
    v.iter()
        .map(|n| ImportedName {
            name: n.to_string(),
            alias: None,
        })
        .collect()
}

fn import(src: &str) -> PoolImport {
    scan(src.as_bytes(), &Pin::builtin().targets())
        .unwrap()
        .imports[0]
        .clone()
}

#[test]
fn names_merge_as_sets() {
    let b = import("from sqlalchemy.pool import NullPool\n");
    let f = import("from sqlalchemy.pool import StaticPool\n");
    let u = import("from sqlalchemy.pool import NullPool, QueuePool\n");
    assert_eq!(
        merge_names(Some(&b), Some(&f), Some(&u)),
        names(&["StaticPool", "QueuePool"])
    );
}

#[test]
fn renders_in_the_sides_style() {
    let pin = Pin::builtin();
    for (src, want) in [
        (
            "from sqlalchemy.pool import NullPool  # x\n",
            "from sqlalchemy.pool import StaticPool, QueuePool  # x",
        ),
        (
            "from sqlalchemy.pool import (NullPool)\n",
            "from sqlalchemy.pool import (StaticPool, QueuePool)",
        ),
        (
            "from sqlalchemy.pool import (\n    NullPool,\n)\n",
            "from sqlalchemy.pool import (\n    StaticPool,\n    QueuePool,\n)",
        ),
    ] {
        let s = scan(src.as_bytes(), &pin.targets()).unwrap();
        let r = find_regions(src.as_bytes(), &s, &pin.call, pin.import_module()).unwrap();
        let side = ImportSide {
            text: src.as_bytes(),
            region: &r[0],
            import: &s.imports[0],
        };
        let out = render(side, &names(&["StaticPool", "QueuePool"]));
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
}

#[test]
fn finds_uses_outside_comment_lines() {
    assert!(name_used(
        b"e = create_engine(u, poolclass=NullPool)\n",
        "NullPool"
    ));
    assert!(!name_used(
        b"    # NullPool was here\nx = NullPoolish\n",
        "NullPool"
    ));
    // Strings, docstrings and trailing comments are no use.
    for text in [
        &b"\"\"\"Engines: once NullPool, now StaticPool.\"\"\"\nx = 1\n"[..],
        b"x = 1  # NullPool\n",
        b"msg = 'NullPool' + \"it's NullPool\"\n",
        b"s = r'''\\ NullPool '''\nt = b\"NullPool\\\"\"\n",
    ] {
        assert!(
            !name_used(text, "NullPool"),
            "{}",
            String::from_utf8_lossy(text)
        );
    }
    // Code after a string, and an f-string's braces, are.
    assert!(name_used(b"x = \"a\" if y else NullPool\n", "NullPool"));
    assert!(name_used(b"x = f\"{NullPool.__name__}\"\n", "NullPool"));
    assert!(name_used(b"'''doc'''\npool = NullPool\n", "NullPool"));
}

#[test]
fn the_pins_import_leaves_a_block_the_rest_of_the_file_needs() {
    let markers = crate::conflict::Markers::default();
    let text = b"import os\n<<<<<<<\nfrom sqlalchemy.pool import StaticPool\ndef f():\n    pass\n=======\n>>>>>>>\ne = create_engine(U, poolclass=StaticPool)\n";
    let (out, resolved) =
        lift_out_of_blocks(text, "sqlalchemy.pool", "StaticPool", &markers).unwrap();
    assert_eq!(resolved, 0);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "import os\nfrom sqlalchemy.pool import StaticPool\n<<<<<<<\ndef f():\n    pass\n=======\n>>>>>>>\ne = create_engine(U, poolclass=StaticPool)\n"
    );
    // A block that only held the import is resolved.
    let text = b"<<<<<<<\nfrom sqlalchemy.pool import StaticPool\n=======\n>>>>>>>\ne = create_engine(U, poolclass=StaticPool)\n";
    let (out, resolved) =
        lift_out_of_blocks(text, "sqlalchemy.pool", "StaticPool", &markers).unwrap();
    assert_eq!(resolved, 1);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "from sqlalchemy.pool import StaticPool\ne = create_engine(U, poolclass=StaticPool)\n"
    );
    // Imported outside already, or not used outside: nothing moves.
    let outside = b"from sqlalchemy.pool import StaticPool\n<<<<<<<\nfrom sqlalchemy.pool import StaticPool\n=======\n>>>>>>>\nx = StaticPool\n";
    assert!(lift_out_of_blocks(outside, "sqlalchemy.pool", "StaticPool", &markers).is_none());
    let unused = b"<<<<<<<\nfrom sqlalchemy.pool import StaticPool\n=======\n>>>>>>>\nx = 1\n";
    assert!(lift_out_of_blocks(unused, "sqlalchemy.pool", "StaticPool", &markers).is_none());
    // Used by the other side of a later block: it moves.
    let later = b"<<<<<<<\nfrom sqlalchemy.pool import StaticPool\n=======\nimport os\n>>>>>>>\nx = 1\n<<<<<<<\ne = 1\n=======\ne = StaticPool\n>>>>>>>\n";
    let (out, _) = lift_out_of_blocks(later, "sqlalchemy.pool", "StaticPool", &markers).unwrap();
    assert!(
        out.starts_with(b"from sqlalchemy.pool import StaticPool\n<<<<<<<\n=======\nimport os\n")
    );
    // Imported in parentheses by the side that uses it: nothing moves.
    let both = b"<<<<<<<\nfrom sqlalchemy.pool import StaticPool\n=======\nfrom sqlalchemy.pool import (\n    NullPool,\n    StaticPool,\n)\n>>>>>>>\nx = 1\n<<<<<<<\ne = 1\n=======\ne = StaticPool\n>>>>>>>\n";
    assert!(lift_out_of_blocks(both, "sqlalchemy.pool", "StaticPool", &markers).is_none());
}

#[test]
fn new_imports_go_after_the_package_imports() {
    let text = b"import os\nfrom sqlalchemy import (\n    a,\n)\nfrom x import y\n\ncode()\n";
    assert_eq!(insertion_point(text, "sqlalchemy.pool", "StaticPool"), 44);
    assert_eq!(
        insertion_point(b"import os\nx = 1\n", "sqlalchemy.pool", "StaticPool"),
        10
    );
    // Never after the first use: before the statement that makes it.
    let late = b"import os\ne = create_engine(\n    U,\n    poolclass=StaticPool,\n)\nfrom sqlalchemy import text\n";
    assert_eq!(insertion_point(late, "sqlalchemy.pool", "StaticPool"), 10);
    let first = b"e = create_engine(U, poolclass=StaticPool)\nimport os\n";
    assert_eq!(insertion_point(first, "sqlalchemy.pool", "StaticPool"), 0);
    assert_eq!(
        insertion_point(
            b"#!/usr/bin/env python\nx = 1\n",
            "sqlalchemy.pool",
            "StaticPool"
        ),
        22
    );
}

#[test]
fn a_deleted_import_goes_back_after_its_neighbour_at_the_top_level_only() {
    // In its own version the import follows the `)` that closes the engine in `else`.
    let text = "from sqlalchemy.pool import NullPool\nif not sqlite:\n    e = f(\n        1,\n    )\nelse:\n    e = g(\n        2,\n    )\nfrom sqlalchemy.pool import StaticPool\nx = 1\n";
    let pin = Pin::builtin();
    let s = scan(text.as_bytes(), &pin.targets()).unwrap();
    let regions = find_regions(text.as_bytes(), &s, &pin.call, pin.import_module()).unwrap();
    let region = regions.last().unwrap();
    // In the merge, an earlier `)` closes the first branch: not a place for an import.
    let out = "from sqlalchemy.pool import NullPool\nif not sqlite:\n    e = f(\n        1,\n    )\nelse:\n    e = g(\n        2,\n    )\nx = 1\n";
    let at = near_neighbour(out.as_bytes(), text.as_bytes(), region).unwrap();
    assert_eq!(&out[at..], "x = 1\n");
    // Where the merge does not parse (a conflict block), the matching line whose
    // earlier lines go on matching longest: the `)` of the `else`, not of the `if`.
    let broken = format!("{out}<<<<<<<\n");
    let at = near_neighbour(broken.as_bytes(), text.as_bytes(), region).unwrap();
    assert_eq!(&broken[at..at + 5], "x = 1");
}

#[test]
fn imports_name_reads_only_top_level_import_lines() {
    let m = "sqlalchemy.pool";
    assert!(imports_name(
        b"from sqlalchemy.pool import StaticPool\n",
        m,
        "StaticPool"
    ));
    assert!(imports_name(
        b"\xef\xbb\xbffrom sqlalchemy.pool import NullPool as N, StaticPool  # c\n",
        m,
        "StaticPool"
    ));
    assert!(imports_name(
        b"from sqlalchemy.pool import N as StaticPool\n",
        m,
        "StaticPool"
    ));
    // A parenthesised list over several lines, comments in it.
    let text = b"import os\nfrom sqlalchemy.pool import (\n    NullPool,  # old\n    StaticPool,\n)\nx = 1\n";
    assert!(imports_name(text, m, "StaticPool"));
    assert!(!imports_name(text, m, "QueuePool"));
    // Not at the start of a line: inside a function, or in a string.
    assert!(!imports_name(
        b"def f():\n    from sqlalchemy.pool import StaticPool\n",
        m,
        "StaticPool"
    ));
    assert!(!imports_name(
        b"x = 'from sqlalchemy.pool import StaticPool'\n",
        m,
        "StaticPool"
    ));
    // An open list at the end of the text, and the line after a list read again.
    assert!(!imports_name(
        b"from sqlalchemy.pool import (\n    NullPool,",
        m,
        "StaticPool"
    ));
    assert!(imports_name(
        b"from sqlalchemy.pool import (NullPool)\nfrom sqlalchemy.pool import StaticPool\n",
        m,
        "StaticPool"
    ));
}
