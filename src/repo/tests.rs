use super::*;

fn attrs(text: &str, eol: &str) -> Attributes {
    let mut a = HashMap::new();
    a.insert("text".to_string(), text.to_string());
    a.insert("eol".to_string(), eol.to_string());
    HashMap::from([("f.py".to_string(), a)])
}

#[test]
fn worktree_line_endings_follow_git() {
    let cfg = |autocrlf: &str| EolConfig {
        autocrlf: autocrlf.into(),
        eol: String::new(),
    };
    let lf = b"a\nb\n";
    let t = |c: &EolConfig, text, eol| c.to_worktree(lf, &attrs(text, eol), "f.py");
    assert_eq!(t(&cfg("true"), "unspecified", "unspecified"), b"a\r\nb\r\n");
    assert_eq!(t(&cfg("false"), "unspecified", "unspecified"), lf);
    assert_eq!(t(&cfg("input"), "auto", "unspecified"), lf);
    assert_eq!(t(&cfg("false"), "set", "crlf"), b"a\r\nb\r\n");
    assert_eq!(t(&cfg("true"), "unset", "unspecified"), lf);
    assert_eq!(t(&cfg("true"), "set", "lf"), lf);
    assert_eq!(
        cfg("true").to_worktree(b"a\r\nb\n", &attrs("auto", "unspecified"), "f.py"),
        b"a\r\nb\n"
    );
}

#[test]
fn parses_new_and_old_parameter_formats() {
    let p = parse_config_parameters(
        "'merge.conflictStyle'='zdiff3' 'core.x' 'a.b=c'  'q.r'='it'\\''s'",
    );
    assert_eq!(
        p,
        vec![
            ("merge.conflictStyle".into(), Some("zdiff3".into())),
            ("core.x".into(), None),
            ("a.b".into(), Some("c".into())),
            ("q.r".into(), Some("it's".into())),
        ]
    );
}
