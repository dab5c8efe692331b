//! Text that came from outside: trimmed, free of control characters, and bounded.
//!
//! Every free-text field is parsed through [`parse`] with the limit named for it in
//! [`limits`]; the limits match the database columns (a test walks the schema and checks
//! that every text column has one, no larger than the column). Tab and newline are the only
//! control characters kept (a Windows line end, `\r\n`, becomes `\n`): a NUL would be
//! refused by PostgreSQL, and the others have no business in a name or a note.

use crate::error::FieldErrors;

/// The longest text each kind of field takes, in characters.
pub mod limits {
    /// Names of people, banks, clients, branches, types, labels; emails; titles.
    pub const NAME: usize = 255;
    /// Short codes: bank and branch codes, phone numbers.
    pub const CODE: usize = 50;
    /// A short label: a floor name, a city, a client type, a category.
    pub const SHORT: usize = 100;
    /// An account number.
    pub const ACCOUNT_NUMBER: usize = 100;
    /// An IFSC: four letters, a zero and six characters.
    pub const IFSC: usize = 11;
    /// Notes on master data: a bank's invoice notes, a description.
    pub const NOTE: usize = 4_000;
    /// A postal address.
    pub const ADDRESS: usize = 2_000;
    /// Notes, descriptions, reasons, chat messages.
    pub const LONG: usize = 10_000;
}

/// Trims `raw` and checks it: no control characters but tab and newline, at most
/// `max_chars` characters. The result may be empty; callers decide whether that clears a
/// field or is an error.
pub fn parse(raw: &str, max_chars: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.chars().any(is_refused) {
        return Err("must not contain control characters".to_owned());
    }
    let text = if trimmed.contains('\r') {
        trimmed.replace("\r\n", "\n")
    } else {
        trimmed.to_owned()
    };
    if text.contains('\r') {
        return Err("must not contain control characters".to_owned());
    }
    if text.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    Ok(text)
}

/// Optional text: blank means none.
pub fn parse_optional(raw: Option<&str>, max_chars: usize) -> Result<Option<String>, String> {
    match raw {
        None => Ok(None),
        Some(raw) => parse(raw, max_chars).map(|t| Some(t).filter(|t| !t.is_empty())),
    }
}

/// [`parse_optional`] for one field of a form: a problem is recorded on `field` and the
/// field counts as absent, so the rest of the form is still checked.
pub fn optional_field(
    raw: Option<String>,
    field: &str,
    max_chars: usize,
    errors: &mut FieldErrors,
) -> Option<String> {
    errors
        .check(field, parse_optional(raw.as_deref(), max_chars))
        .flatten()
}

/// A search term or filter value from a query string: one line, at most 255 characters.
pub fn parse_filter(raw: &str) -> Result<String, String> {
    let text = parse(raw, limits::NAME)?;
    if text.contains(['\n', '\t']) {
        return Err("must be a single line".to_owned());
    }
    Ok(text)
}

/// What separates the parts of a [`search_document`]: the unit separator, a control
/// character no parsed text (and so no search term) contains.
pub const SEARCH_SEPARATOR: char = '\u{1f}';

/// The text a substring search looks in: the parts lower-cased and joined by
/// [`SEARCH_SEPARATOR`], so a term never matches across two parts. Searches lower-case
/// their term the same way, so both databases compare lower case with lower case.
pub fn search_document<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut document = String::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            document.push(SEARCH_SEPARATOR);
        }
        document.push_str(&part.to_lowercase());
    }
    document
}

fn is_refused(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n' && c != '\r'
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn search_documents_are_lower_case_and_separated() {
        assert_eq!(
            search_document(["VAL-2026-0001", "", "Émile Zola"]),
            "val-2026-0001\u{1f}\u{1f}émile zola"
        );
        assert!(parse_filter("a\u{1f}b").is_err());
    }

    #[test]
    fn control_characters_are_refused_but_tab_and_newline_kept() {
        assert!(parse("ad\0min", 255).is_err());
        assert!(parse("bell\u{7}", 255).is_err());
        assert!(parse("del\u{7f}", 255).is_err());
        assert!(parse("c1\u{85}x", 255).is_err());
        assert!(parse("lone\rreturn", 255).is_err());
        assert_eq!(parse(" a\tb\nc ", 255).unwrap(), "a\tb\nc");
        assert_eq!(parse("line\r\nnext", 255).unwrap(), "line\nnext");
    }

    #[test]
    fn length_counts_characters_after_trimming() {
        assert_eq!(
            parse(&format!("  {}  ", "é".repeat(5)), 5).unwrap(),
            "ééééé"
        );
        assert!(parse(&"x".repeat(6), 5).is_err());
        assert_eq!(parse_optional(Some("   "), 5).unwrap(), None);
        assert_eq!(parse_optional(None, 5).unwrap(), None);
    }

    #[test]
    fn filters_are_single_lines() {
        assert!(parse_filter("a\nb").is_err());
        assert!(parse_filter("\0").is_err());
        assert_eq!(parse_filter(" VAL/2026 ").unwrap(), "VAL/2026");
    }

    proptest! {
        #[test]
        fn what_is_accepted_is_clean_and_bounded(raw in ".{0,80}", max in 0usize..60) {
            if let Ok(text) = parse(&raw, max) {
                prop_assert!(text.chars().count() <= max);
                prop_assert!(!text.chars().any(|c| c.is_control() && c != '\t' && c != '\n'));
                prop_assert_eq!(parse(&text, max).unwrap(), text.clone());
            }
        }
    }
}
