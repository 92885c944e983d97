//! The acceptance cases in tests/data/cases: one folder per behaviour, each with
//! base/ours/theirs, meta.json, and the expected file(s). Results are compared as
//! syntax trees unless the case asks for the fork's text verbatim or git's bytes.

use serde_json::Value;

use crate::support::{blocks, canonical, data_dir, git_merge_file, pin_problems, read, run_merge};

/// A case's settings.
pub struct Case {
    pub name: String,
    pub dir: std::path::PathBuf,
    pub meta: Value,
}

impl Case {
    pub fn size(&self) -> usize {
        self.meta["marker_size"].as_u64().unwrap_or(7) as usize
    }
    pub fn style(&self) -> String {
        self.meta["style"].as_str().unwrap_or("merge").to_string()
    }
    pub fn exit(&self) -> i32 {
        self.meta["exit"].as_i64().unwrap() as i32
    }
    pub fn path(&self) -> String {
        self.meta["path"].as_str().unwrap().to_string()
    }
    pub fn file(&self, name: &str) -> Vec<u8> {
        read(&self.dir.join(name))
    }
    /// The driver's arguments, as git passes them.
    pub fn args(&self) -> Vec<String> {
        [
            "-s",
            "base",
            "-x",
            "ours",
            "-y",
            "theirs",
            "-p",
            &self.path(),
            "-l",
            &self.size().to_string(),
            "--style",
            &self.style(),
        ]
        .iter()
        .map(std::string::ToString::to_string)
        .collect()
    }
}

/// Every case folder, sorted.
pub fn all_cases() -> Vec<Case> {
    let root = data_dir().join("cases");
    let mut cases: Vec<Case> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("meta.json").is_file())
        .map(|dir| Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            meta: serde_json::from_slice(&read(&dir.join("meta.json"))).unwrap(),
            dir,
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn same_tree(a: &[u8], b: &[u8]) -> Result<bool, String> {
    Ok(canonical(a)? == canonical(b)?)
}

/// Runs one case; returns what is wrong.
fn check(case: &Case) -> Vec<String> {
    let (base, ours, theirs) = (
        case.file("base.py"),
        case.file("ours.py"),
        case.file("theirs.py"),
    );
    let args = case.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_merge(&base, &ours, &theirs, &args);
    let mut errs = Vec::new();
    if run.code != 0 && run.code != 1 {
        return vec![format!("exit {}: {}", run.code, run.stderr.trim())];
    }
    let accept = &case.meta["accept"];
    let any_exit = accept["any_exit"].as_bool().unwrap_or(false);
    if !any_exit && run.code != case.exit() {
        errs.push(format!("exit {}, expected {}", run.code, case.exit()));
    }
    let out = &run.out;
    if case.meta["newline"] == "crlf"
        && out
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'\n' && (i == 0 || out[i - 1] != b'\r'))
    {
        errs.push("a bare LF in a CRLF file".into());
    }
    if case.meta["git_identical"].as_bool().unwrap_or(false) {
        let (code, bytes) = git_merge_file(&base, &ours, &theirs, case.size(), &case.style());
        if bytes != *out || code != run.code {
            errs.push("not byte-identical to git merge-file --diff-algorithm=histogram".into());
        }
    }
    if let Some(s) = accept["must_contain"].as_str()
        && !out.windows(s.len()).any(|w| w == s.as_bytes())
    {
        errs.push(format!("required text missing: {s:?}"));
    }
    if run.code == 0 {
        for snippet in case.meta["fork_verbatim"].as_array().into_iter().flatten() {
            let s = snippet.as_str().unwrap().as_bytes();
            if !out.windows(s.len()).any(|w| w == s) {
                errs.push("the fork's text is not kept byte for byte".into());
            }
        }
        let (count, _, _) = blocks(out, case.size());
        if count > 0 {
            errs.push("exit 0 but conflict markers in the file".into());
        }
        if !any_exit {
            errs.extend(pin_problems(out).into_iter().map(|p| format!("pin: {p}")));
        }
        let expected = case.dir.join("expected.py");
        if expected.exists() && case.exit() == 0 {
            match same_tree(out, &read(&expected)) {
                Ok(true) => {}
                Ok(false) => errs.push("result differs from expected.py (syntax tree)".into()),
                Err(e) => errs.push(format!("result does not parse: {e}")),
            }
        }
    } else {
        let (count, ours_side, theirs_side) = blocks(out, case.size());
        if count == 0 {
            errs.push("exit 1 but no conflict markers".into());
        }
        let want = case.meta["conflicts"].as_u64().unwrap_or(0) as usize;
        if want > 0 && accept.is_null() && count != want {
            errs.push(format!("{count} conflict blocks, expected {want}"));
        }
        if case.style() == "diff3"
            && !out
                .windows(case.size())
                .any(|w| w.iter().all(|&b| b == b'|'))
        {
            errs.push("diff3 style asked, no base section".into());
        }
        for (side, name) in [
            (ours_side, "expected_ours.py"),
            (theirs_side, "expected_theirs.py"),
        ] {
            let path = case.dir.join(name);
            if path.exists() {
                match same_tree(&side, &read(&path)) {
                    Ok(true) => {}
                    Ok(false) => errs.push(format!("taking every side does not give {name}")),
                    Err(e) => errs.push(format!("a side does not parse ({name}): {e}")),
                }
            }
        }
    }
    errs
}

#[test]
fn acceptance_cases() {
    let cases = all_cases();
    assert!(
        cases.len() >= 40,
        "only {} cases in tests/data/cases",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let errs = check(c);
            (!errs.is_empty()).then(|| format!("{}: {}", c.name, errs.join("; ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_canonical_form_ignores_layout_and_keyword_order_only() {
    let a = b"e = create_engine(U, poolclass=P,  # c\n    echo=True)\n";
    let b = b"e = create_engine(\n    U,\n    echo=True,\n    poolclass=P,\n)\n";
    let c = b"e = create_engine(U, poolclass=P, echo=False)\n";
    assert!(same_tree(a, b).unwrap());
    assert!(!same_tree(a, c).unwrap());
    assert!(same_tree(b"x = (\n", b"x = 1\n").is_err());
}
