//! The README's exit-code paragraph names real codes in the right class: every `code` it
//! lists after "N <class words>" must be in the table with that exit class.

use animatrix_common::ErrorCode;

#[test]
fn readme_exit_codes_match_the_table() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let start = readme
        .find("Exit codes come from")
        .expect("exit-code paragraph");
    let paragraph = &readme[start..start + readme[start..].find("\n\n").expect("paragraph end")];
    // Split on the class numbers ("0 ok, 1 other failure (...), 2 invalid input (...)").
    let mut checked = 0;
    for (exit, words) in [
        (1u8, "1 other"),
        (2, "2 invalid"),
        (3, "3 server"),
        (4, "4 generation"),
    ] {
        let from = paragraph
            .find(words)
            .unwrap_or_else(|| panic!("{words} missing"));
        let rest = &paragraph[from..];
        // Up to the next class number.
        let to = rest[2..]
            .find(|c: char| c.is_ascii_digit())
            .map_or(rest.len(), |i| i + 2);
        for code in rest[..to].split('`').skip(1).step_by(2) {
            if code.contains('/') || code.contains('.') {
                continue; // a path, not a code
            }
            let parsed = ErrorCode::parse(code);
            assert_ne!(
                parsed,
                ErrorCode::Unknown,
                "README names unknown code {code}"
            );
            assert_eq!(parsed.exit_class().exit_code(), exit, "{code}");
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} codes checked");
}
