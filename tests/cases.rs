//! The acceptance cases in tests/data/cases: one folder per behaviour, each with
//! base/ours/theirs, meta.json, and the expected file(s), and one named test each.
//! Results are compared as syntax trees unless the case asks for the fork's text
//! verbatim or git's bytes. `failing/` holds the known limits.

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

/// The case in folder `dir`.
pub fn load(dir: &std::path::Path) -> Case {
    Case {
        name: dir.file_name().unwrap().to_string_lossy().into_owned(),
        meta: serde_json::from_slice(&read(&dir.join("meta.json"))).unwrap(),
        dir: dir.to_path_buf(),
    }
}

/// Every case folder, sorted (not the known limits in `failing/`).
pub fn all_cases() -> Vec<Case> {
    let root = data_dir().join("cases");
    let mut cases: Vec<Case> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("meta.json").is_file())
        .map(|dir| load(&dir))
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn same_tree(a: &[u8], b: &[u8]) -> Result<bool, String> {
    Ok(canonical(a)? == canonical(b)?)
}

impl Case {
    /// The driver run on the case, with OURS and THEIRS swapped when asked.
    fn merged(&self, swap: bool) -> crate::support::Run {
        let (base, ours, theirs) = (
            self.file("base.py"),
            self.file("ours.py"),
            self.file("theirs.py"),
        );
        let args = self.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if swap {
            run_merge(&base, &theirs, &ours, &args)
        } else {
            run_merge(&base, &ours, &theirs, &args)
        }
    }
}

/// Runs one case; returns what is wrong.
pub fn check(case: &Case) -> Vec<String> {
    let (base, ours, theirs) = (
        case.file("base.py"),
        case.file("ours.py"),
        case.file("theirs.py"),
    );
    let run = case.merged(false);
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
    for word in case.meta["stderr_contains"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let word = word.as_str().unwrap();
        if !run.stderr.contains(word) {
            errs.push(format!("the decision lines do not say {word:?}"));
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

/// Sides are decided by content: a clean case gives the same syntax tree with OURS
/// and THEIRS swapped (what git does during a rebase). Returns what is wrong.
pub fn swapped(case: &Case) -> Vec<String> {
    let (straight, swapped) = (case.merged(false), case.merged(true));
    if straight.code != 0 || swapped.code != 0 {
        return vec![format!(
            "sides swapped: exits {} and {}",
            straight.code, swapped.code
        )];
    }
    if canonical(&straight.out) != canonical(&swapped.out) {
        return vec!["sides swapped: a different syntax tree".into()];
    }
    Vec::new()
}

/// Runs the case in folder `name`: its checks, and for a clean case the same syntax
/// tree with the sides swapped (what git does during a rebase).
fn run_case(name: &str) {
    let case = load(&data_dir().join("cases").join(name));
    let mut errs = check(&case);
    if case.exit() == 0 {
        errs.extend(swapped(&case));
    }
    assert!(
        errs.is_empty(),
        "tests/data/cases/{name}: {}",
        errs.join("; ")
    );
}

/// One named test per case folder: a failing case names its folder.
macro_rules! cases {
    ($($test:ident: $folder:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run_case($folder);
            }
        )*
        /// The folders the tests above run.
        const LISTED: &[&str] = &[$($folder),*];
    };
}

cases! {
    case_01_unrelated_function: "01-unrelated-function",
    case_02_comment_above_engine: "02-comment-above-engine",
    case_03_upstream_adds_keyword: "03-upstream-adds-keyword",
    case_04_upstream_reformats_engine: "04-upstream-reformats-engine",
    case_05_upstream_renames_url: "05-upstream-renames-url",
    case_06_upstream_edits_neighbour_imports: "06-upstream-edits-neighbour-imports",
    case_07_upstream_tunes_server_pool: "07-upstream-tunes-server-pool",
    case_08_upstream_adds_sqlite_engine: "08-upstream-adds-sqlite-engine",
    case_09_real_conflict_elsewhere: "09-real-conflict-elsewhere",
    case_10_upstream_partial_staticpool: "10-upstream-partial-staticpool",
    case_11_crlf_line_endings: "11-crlf-line-endings",
    case_12_no_engine_clean: "12-no-engine-clean",
    case_13_no_engine_conflict: "13-no-engine-conflict",
    case_14_seed_before_after: "14-seed-before-after",
    case_15_both_rewrite_engine_comment: "15-both-rewrite-engine-comment",
    case_16_rebase_sides_swapped: "16-rebase-sides-swapped",
    case_17_upstream_extra_connect_args: "17-upstream-extra-connect-args",
    case_18_upstream_execution_options: "18-upstream-execution-options",
    case_19_upstream_nullpool_again: "19-upstream-nullpool-again",
    case_20_both_change_echo: "20-both-change-echo",
    case_21_upstream_replaces_engine: "21-upstream-replaces-engine",
    case_22_upstream_server_pool_on_pinned: "22-upstream-server-pool-on-pinned",
    case_23_connect_args_variable: "23-connect-args-variable",
    case_24_diff3_conflict_elsewhere: "24-diff3-conflict-elsewhere",
    case_25_zdiff3_marker_size_9: "25-zdiff3-marker-size-9",
    case_26_no_final_newline: "26-no-final-newline",
    case_27_latin1_and_tabs: "27-latin1-and-tabs",
    case_28_syntax_error_in_region: "28-syntax-error-in-region",
    case_29_markers_already_in_ours: "29-markers-already-in-ours",
    case_30_upstream_renames_target: "30-upstream-renames-target",
    case_31_upstream_moves_engine_into_function: "31-upstream-moves-engine-into-function",
    case_32_rebase_upstream_adds_engine: "32-rebase-upstream-adds-engine",
    case_33_rebase_echo_conflict: "33-rebase-echo-conflict",
    case_34_both_add_same_engine: "34-both-add-same-engine",
    case_35_upstream_blank_line_and_else_branch: "35-upstream-blank-line-and-else-branch",
    case_36_new_sqlite_engine_needs_import: "36-new-sqlite-engine-needs-import",
    case_37_server_engines_only: "37-server-engines-only",
    case_38_upstream_drops_pool_import: "38-upstream-drops-pool-import",
    case_39_return_engine_in_function: "39-return-engine-in-function",
    case_40_crlf_conflict_zdiff3: "40-crlf-conflict-zdiff3",
    case_41_new_engine_dict_connect_args: "41-new-engine-dict-connect-args",
    case_42_new_engine_repeated_dict_key: "42-new-engine-repeated-dict-key",
    case_43_add_add_empty_base: "43-add-add-empty-base",
    case_44_upstream_splits_server_engine_by_sqlite: "44-upstream-splits-server-engine-by-sqlite",
    case_45_upstream_inverts_the_sqlite_test: "45-upstream-inverts-the-sqlite-test",
    case_46_upstream_converts_crlf_to_lf: "46-upstream-converts-crlf-to-lf",
    case_47_upstream_server_engine_keeps_nullpool: "47-upstream-server-engine-keeps-nullpool",
    case_48_upstream_renames_splat_beside_literal_connect_args: "48-upstream-renames-splat-beside-literal-connect-args",
    case_49_upstream_adds_an_engine_to_a_dict_of_engines: "49-upstream-adds-an-engine-to-a-dict-of-engines",
    case_50_single_quoted_module_new_engine: "50-single-quoted-module-new-engine",
    case_51_dict_of_engines_with_a_server_engine: "51-dict-of-engines-with-a-server-engine",
    case_52_aliased_create_engine: "52-aliased-create-engine",
    case_53_two_space_indentation_new_engine: "53-two-space-indentation-new-engine",
    case_54_list_of_engines_upstream_prepends_one: "54-list-of-engines-upstream-prepends-one",
    case_55_upstream_points_pinned_engine_at_postgresql: "55-upstream-points-pinned-engine-at-postgresql",
    case_56_upstream_moves_pinned_engine_to_shared_setting: "56-upstream-moves-pinned-engine-to-shared-setting",
    case_57_upstream_adds_mysql_branch_with_identical_engine: "57-upstream-adds-mysql-branch-with-identical-engine",
    case_58_rebase_upstream_adds_mysql_branch_with_identical_engine: "58-rebase-upstream-adds-mysql-branch-with-identical-engine",
    case_59_new_engines_under_find_sqlite_minus_one: "59-new-engines-under-find-sqlite-minus-one",
    case_60_new_engines_under_startswith_sqlite_equals_false: "60-new-engines-under-startswith-sqlite-equals-false",
    case_61_new_engines_under_sqlite_in_url_is_false: "61-new-engines-under-sqlite-in-url-is-false",
    case_62_new_engine_under_postgresql_or_sqlite_stays_unknown: "62-new-engine-under-postgresql-or-sqlite-stays-unknown",
    case_63_new_engines_in_nested_ifs: "63-new-engines-in-nested-ifs",
    case_64_new_engines_after_early_returns: "64-new-engines-after-early-returns",
    case_65_new_engine_in_try_else_of_sqlite_branch: "65-new-engine-in-try-else-of-sqlite-branch",
    case_66_new_postgresql_engine_with_check_same_thread: "66-new-postgresql-engine-with-check-same-thread",
    case_67_new_engines_with_built_sqlite_urls: "67-new-engines-with-built-sqlite-urls",
    case_68_new_engines_url_create_aiosqlite_pysqlcipher: "68-new-engines-url-create-aiosqlite-pysqlcipher",
    case_69_upstream_moves_pool_options_into_module_dict_splat: "69-upstream-moves-pool-options-into-module-dict-splat",
    case_70_upstream_passes_pool_options_as_function_call_splat: "70-upstream-passes-pool-options-as-function-call-splat",
    case_71_both_sides_add_the_staticpool_import: "71-both-sides-add-the-staticpool-import",
    case_72_async_engine_upstream_adds_echo: "72-async-engine-upstream-adds-echo",
    case_73_both_rewrite_comment_above_module_level_engine: "73-both-rewrite-comment-above-module-level-engine",
    case_74_upstream_inverts_sqlite_test_file_conflicts_elsewhere: "74-upstream-inverts-sqlite-test-file-conflicts-elsewhere",
}

#[test]
fn every_case_folder_has_its_test() {
    let listed: Vec<String> = LISTED.iter().map(ToString::to_string).collect();
    let found: Vec<String> = all_cases().into_iter().map(|c| c.name).collect();
    assert_eq!(
        found, listed,
        "add each folder of tests/data/cases to `cases!`"
    );
}

/// Known limits: cases whose expected result poolmerge does not give yet. Each must
/// still fail its checks, and give exactly what it gave when it was recorded
/// (`current.py`, `current_exit`, `current_stderr`): one that gets worse fails as
/// surely as one that passes, which belongs with the others.
#[test]
fn known_limits_still_fail() {
    let root = data_dir().join("cases").join("failing");
    let mut limits = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("meta.json").is_file() {
            continue;
        }
        limits += 1;
        let case = load(&dir);
        assert!(
            case.meta["limit"].as_str().is_some_and(|s| !s.is_empty()),
            "{}: meta.json must say what the limit is (\"limit\")",
            dir.display()
        );
        assert!(
            !check(&case).is_empty(),
            "{} now passes: move it out of failing/ and into `cases!`",
            dir.display()
        );
        let run = case.merged(false);
        let recorded = (
            case.meta["current_exit"].as_i64().map(|c| c as i32),
            case.meta["current_stderr"].as_str(),
        );
        assert!(
            run.out == case.file("current.py")
                && recorded == (Some(run.code), Some(run.stderr.as_str())),
            "{}: the output changed (exit {}, stderr {:?}); where it is better, record it as current.py, current_exit and current_stderr",
            dir.display(),
            run.code,
            run.stderr
        );
    }
    assert!(limits > 0, "no case in {}", root.display());
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
