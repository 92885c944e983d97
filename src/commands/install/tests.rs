use super::*;

#[test]
fn quotes_for_the_shell() {
    assert_eq!(shell_quote("/a b/it's"), "'/a b/it'\\''s'");
    assert_eq!(
        driver_line(Path::new("/opt/pm/poolmerge")),
        "'/opt/pm/poolmerge' merge %O %A %B -s %S -x %X -y %Y -p %P -l %L"
    );
}

#[test]
fn blocks_come_and_go_without_touching_the_rest() {
    let user = "#!/usr/bin/env bash\necho mine\n";
    let block = format!("{BLOCK_START}\nx\n{BLOCK_END}\n");
    let with = format!("#!/usr/bin/env bash\n{block}echo mine\n");
    assert_eq!(strip_block(&with), (user.to_string(), true));
    assert!(is_shell_script(user));
    assert!(!is_shell_script("#!/usr/bin/env python3\nprint()\n"));
    // A Python hook gets Python lines to add, that compile, not shell ones.
    let exe = Path::new("/opt/bin/poolmerge");
    let py = foreign_hook_body("#!/usr/bin/env python3\n", "pre-commit", exe);
    assert!(
        py.contains("subprocess.call([\"/opt/bin/poolmerge\", \"hook\", \"pre-commit\""),
        "{py}"
    );
    assert!(
        py.contains("if status == 1:") && !py.contains("\"$@\""),
        "{py}"
    );
    assert!(crate::python::compiles(py.as_bytes()), "{py}");
    let post = foreign_hook_body("#!/usr/bin/env python3\n", "post-merge", exe);
    assert!(!post.contains("sys.exit"), "{post}");
    let other = foreign_hook_body("#!/usr/bin/env node\n", "pre-commit", exe);
    assert!(
        other.starts_with("run /opt/bin/poolmerge hook pre-commit"),
        "{other}"
    );
    assert!(is_our_attribute_line("database/*.py merge=poolmerge"));
    assert!(!is_our_attribute_line("*.py merge=poolmerge text"));
}
