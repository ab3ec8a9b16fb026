//! Reading TOML files (rebound.toml, policies) with errors that name the file, line and
//! column but never echo the offending line: a misspelt `password = "..."` key must not
//! print the password into a terminal or a log.

use serde::de::DeserializeOwned;
use std::path::Path;

/// Parses `text` (read from `path`) into `T`; the error reads
/// "configuration 'PATH', line L, column C: MESSAGE".
pub fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, String> {
    parse_text(text).map_err(|e| format!("configuration '{}', {e}", path.display()))
}

/// Parses `text` into `T`; the error reads "line L, column C: MESSAGE", for callers that
/// name the file themselves.
pub fn parse_text<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| describe(&e, text))
}

/// From the error's span and message only (toml's own `Display` quotes the source line).
fn describe(e: &toml::de::Error, text: &str) -> String {
    let (line, column) = e.span().map_or((1, 1), |span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    });
    format!("line {line}, column {column}: {}", e.message().trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Account {
        user: String,
    }

    #[test]
    fn errors_name_the_place_and_never_echo_the_line() {
        let text = "user = \"a\"\npassword = \"hunter2-secret\"\n";
        let err = parse::<Account>(text, Path::new("rebound.toml")).unwrap_err();
        assert!(
            err.starts_with("configuration 'rebound.toml', line 2, column 1: "),
            "{err}"
        );
        assert!(err.contains("password"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse::<Account>("user = \"unclosed\n", Path::new("x.toml")).unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }
}
