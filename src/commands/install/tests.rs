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

#[test]
fn windows_paths_as_git_for_windows_sh_runs_them() {
    // Drive letters, backslashes and spaces; the verbatim prefix canonicalising adds.
    let cases = [
        (
            r"C:\Users\Jane Doe\.cargo\bin\poolmerge.exe",
            "C:/Users/Jane Doe/.cargo/bin/poolmerge.exe",
        ),
        (
            r"\\?\C:\Program Files\poolmerge\poolmerge.exe",
            "C:/Program Files/poolmerge/poolmerge.exe",
        ),
        (
            r"\\?\UNC\server\tools\poolmerge.exe",
            "//server/tools/poolmerge.exe",
        ),
        (
            r"\\server\tools\poolmerge.exe",
            "//server/tools/poolmerge.exe",
        ),
        (r"D:\o'brien\poolmerge.exe", "D:/o'brien/poolmerge.exe"),
    ];
    for (windows, sh) in cases {
        assert_eq!(windows_sh_path(windows), sh, "{windows}");
    }
    // Quoted for sh, the way the driver line and the hooks hold it: one word, whatever
    // spaces or quotes the path has.
    assert_eq!(
        shell_quote(&windows_sh_path(cases[0].0)),
        "'C:/Users/Jane Doe/.cargo/bin/poolmerge.exe'"
    );
    assert_eq!(
        shell_quote(&windows_sh_path(cases[4].0)),
        r"'D:/o'\''brien/poolmerge.exe'"
    );
    for (windows, sh) in cases {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "printf %s {}",
                shell_quote(&windows_sh_path(windows))
            ))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            sh,
            "sh reads one word"
        );
    }
}

#[test]
fn the_hooks_run_the_binary_by_the_path_sh_reads() {
    let exe = Path::new("/opt/pm dir/poolmerge");
    let body = hook_body("post-merge", exe, false);
    assert!(
        body.contains("if [ -x '/opt/pm dir/poolmerge' ]; then"),
        "{body}"
    );
    assert!(
        body.contains("'/opt/pm dir/poolmerge' hook post-merge \"$@\""),
        "{body}"
    );
    // The hook is a shell script the shell accepts.
    let out = std::process::Command::new("sh")
        .args(["-n", "-c", &body])
        .output()
        .unwrap();
    assert!(out.status.success(), "{body}");
}
