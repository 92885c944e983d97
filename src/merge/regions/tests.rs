use super::*;
use crate::policy::Pin;
use crate::python::scan;

fn regions(src: &str) -> Vec<Region> {
    let pin = Pin::builtin();
    let s = scan(src.as_bytes(), &pin.targets()).unwrap();
    find_regions(src.as_bytes(), &s, &pin.call, pin.import_module()).unwrap()
}

#[test]
fn spans_cover_comment_run_and_whole_lines() {
    let src = "from sqlalchemy.pool import NullPool\r\n\r\n# a\r\n# b\r\ne = create_engine(\r\n    U)  # t\r\nx = 1\r\n";
    let r = regions(src);
    assert_eq!(r.len(), 2);
    assert_eq!(
        &src[r[0].span.clone()],
        "from sqlalchemy.pool import NullPool"
    );
    assert_eq!(
        &src[r[1].span.clone()],
        "# a\r\n# b\r\ne = create_engine(\r\n    U)  # t"
    );
    assert_eq!(&src[r[1].eol.clone()], "\r\n");
}

#[test]
fn a_blank_line_ends_the_comment_run() {
    let r = regions("# far\n\n# near\ne = create_engine(U)");
    assert_eq!(r[0].span.start, 7);
    assert_eq!(r[0].eol, 34..34);
}

#[test]
fn matches_by_key_then_by_order() {
    let base = regions("a = create_engine(U)\nb = create_engine(V)\n");
    let ours = regions("a = create_engine(U, x=1)\nb = create_engine(V)\n");
    let theirs = regions("a = create_engine(U)\nc = create_engine(V)\nd = create_engine(W)\n");
    let groups = match_regions(&base, &ours, &theirs);
    assert_eq!(
        groups[0],
        Group {
            base: Some(0),
            ours: Some(0),
            theirs: Some(0)
        }
    );
    assert_eq!(
        groups[1],
        Group {
            base: Some(1),
            ours: Some(1),
            theirs: Some(1)
        }
    );
    assert_eq!(
        groups[2],
        Group {
            base: None,
            ours: None,
            theirs: Some(2)
        }
    );
}

#[test]
fn same_target_regions_pair_by_content() {
    let two = "if sqlite:\n    e = create_engine(U, connect_args={'check_same_thread': False})\nelse:\n    e = create_engine(U, pool_size=5)\n";
    let one = "if sqlite:\n    e = make(U)\nelse:\n    e = create_engine(U, pool_size=5)\n";
    let groups = match_regions(&regions(two), &regions(two), &regions(one));
    assert_eq!(
        groups[0],
        Group {
            base: Some(0),
            ours: Some(0),
            theirs: None
        }
    );
    assert_eq!(
        groups[1],
        Group {
            base: Some(1),
            ours: Some(1),
            theirs: Some(0)
        }
    );
}
