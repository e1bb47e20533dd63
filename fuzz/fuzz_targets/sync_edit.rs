//! sync's edits of person-owned files on arbitrary Rust source: each is either refused, or
//! made so that the result still parses, keeps every original byte, and holds the new item
//! where sync meant it to go.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protogen::scaffold::sync::edit::{inspect_handler, registration_point};

const MODULE: &str = "users_service_server";
const TRAIT: &str = "UsersService";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > protogen_fuzz::MAX_INPUT {
        return;
    }
    if let Ok(found) = inspect_handler(text, "h.rs", MODULE, TRAIT) {
        // The splice sync makes: a stub before the line of the impl block's closing brace.
        let stub = "    async fn fuzz_added(&self) {}\n";
        let after = format!("\n{stub}");
        let edited = format!(
            "{}{after}{}",
            &text[..found.insert_at],
            &text[found.insert_at..]
        );
        let again = inspect_handler(&edited, "h.rs", MODULE, TRAIT)
            .unwrap_or_else(|e| panic!("the edited handler is refused: {e:#}\n{edited}"));
        let mut want: Vec<&str> = found.methods.iter().map(|(m, _)| m.as_str()).collect();
        want.push("fuzz_added");
        let have: Vec<&str> = again.methods.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            have, want,
            "the stub did not land at the end of the impl block"
        );
    }
    if let Ok((at, indent)) = registration_point(text, "lib.rs") {
        assert!(indent.chars().all(|c| c == ' ' || c == '\t'));
        let registration = format!(
            "\n{indent}.add_service(fz::a_server::AServer::new(\n{indent}    handlers::a::A::default(),\n{indent}))"
        );
        let edited = format!("{}{registration}{}", &text[..at], &text[at..]);
        assert!(
            syn::parse_file(&edited).is_ok(),
            "the registered router does not parse:\n{edited}"
        );
        let (next, _) = registration_point(&edited, "lib.rs")
            .unwrap_or_else(|e| panic!("the registered router is refused: {e:#}\n{edited}"));
        assert_eq!(
            next,
            at + registration.len(),
            "the registration is not the last one"
        );
    }
    // proc-macro2 keeps every parsed file's text for span locations; free it per input.
    proc_macro2::extra::invalidate_current_thread_spans();
});
