//! The merge against `git merge-file` in every style, and the pieces read back.

use super::*;
use crate::git::GitMergeFile;

fn both(b: &str, o: &str, t: &str, style: Style) {
    let m = Markers {
        style,
        ours: Some("o".into()),
        base: Some("b".into()),
        theirs: Some("t".into()),
        ..Markers::default()
    };
    let native = merge(b.as_bytes(), o.as_bytes(), t.as_bytes(), &m).unwrap();
    let git = GitMergeFile::default()
        .merge(b.as_bytes(), o.as_bytes(), t.as_bytes(), &m)
        .unwrap();
    assert_eq!(
        (String::from_utf8_lossy(&native.content), native.conflicts),
        (String::from_utf8_lossy(&git.content), git.conflicts),
        "{b:?} {o:?} {t:?} {style}"
    );
}

/// Every merge of `both`'s cases, read back from its text, renders to that text.
#[test]
fn parsing_a_merge_gives_its_pieces_back() {
    let cases = [
        ("a\nb\nc\n", "a\nX\nc\n", "a\nY\nc\n"),
        ("a\r\nb\r\nc\r\n", "a\r\nX\r\nc\r\n", "a\r\nY\r\nc\r\n"),
        ("a\nb", "a\nX", "a\nY"),
        ("a\nb\nc\nd\ne\n", "a\nB\nc\nD\ne\n", "a\nb2\nc\nd2\ne\n"),
        // Marker-like lines inside the sides stay text or sections, never lost.
        ("x\n", "=======\n<<<<<<<\n", "|||||||\n>>>>>>>\n"),
    ];
    for style in [Style::Merge, Style::Diff3, Style::Zdiff3] {
        let m = Markers {
            style,
            ours: Some("o".into()),
            ..Markers::default()
        };
        for (b, o, t) in cases {
            let plan = plan(b.as_bytes(), o.as_bytes(), t.as_bytes()).unwrap();
            let pieces = plan.pieces(style).unwrap();
            let merged = render(&pieces, &m);
            let back = parse(&merged.content, &m);
            assert_eq!(render(&back, &m), merged, "{b:?} {o:?} {t:?} {style}");
            let blocks = |p: &[Piece]| p.iter().filter(|p| matches!(p, Piece::Conflict(_))).count();
            assert_eq!(blocks(&back), merged.conflicts, "{b:?} {o:?} {t:?} {style}");
        }
    }
}

#[test]
fn matches_git_on_small_merges() {
    for style in [Style::Merge, Style::Diff3, Style::Zdiff3] {
        both("a\nb\nc\n", "A\nb\nc\n", "a\nb\nC\n", style);
        both("a\nb\nc\n", "a\nX\nc\n", "a\nY\nc\n", style);
        both(
            "a\r\nb\r\nc\r\n",
            "a\r\nX\r\nc\r\n",
            "a\r\nY\r\nc\r\n",
            style,
        );
        both("a\nb", "a\nX", "a\nY", style);
        both("", "x\n", "y\n", style);
        both(
            "a\nb\nc\nd\ne\n",
            "a\nB\nc\nD\ne\n",
            "a\nb2\nc\nd2\ne\n",
            style,
        );
        both("1\n2\n3\n", "1\n2\n3\n4\n", "0\n1\n2\n3\n", style);
    }
}
