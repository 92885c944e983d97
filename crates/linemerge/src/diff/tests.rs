use super::*;

fn diff(a: &str, b: &str) -> Vec<Change> {
    diff_texts(a.as_bytes(), b.as_bytes()).unwrap()
}

#[test]
fn simple_edits() {
    assert_eq!(diff("a\nb\nc\n", "a\nb\nc\n"), vec![]);
    assert_eq!(
        diff("a\nb\nc\n", "a\nB\nc\n"),
        vec![Change {
            a: 1,
            b: 1,
            len_a: 1,
            len_b: 1
        }]
    );
    assert_eq!(
        diff("a\nc\n", "a\nb\nc\n"),
        vec![Change {
            a: 1,
            b: 1,
            len_a: 0,
            len_b: 1
        }]
    );
    assert_eq!(
        diff("", "x\n"),
        vec![Change {
            a: 0,
            b: 0,
            len_a: 0,
            len_b: 1
        }]
    );
    assert_eq!(
        diff("a", "a\n"),
        vec![Change {
            a: 0,
            b: 0,
            len_a: 1,
            len_b: 1
        }]
    );
}

#[test]
fn groups_slide_down_to_the_last_position() {
    // Inserting one of two equal lines: git reports the second.
    assert_eq!(
        diff("x\ny\n", "x\nx\ny\n"),
        vec![Change {
            a: 1,
            b: 1,
            len_a: 0,
            len_b: 1
        }]
    );
}
