//! Safe CSV cells for the files rebound writes (`parse --format csv`, `report --format
//! csv`, `suppress export`/`list`): text that came from a bounce must not become a
//! spreadsheet formula nor carry terminal control bytes.
//!
//! Two rules, applied to every cell by [`Writer`]:
//! - Control characters (C0 except tab/CR/LF, DEL, C1: ESC, BEL, ...) are removed; tab, CR
//!   and LF become a space, so one cell stays one line.
//! - A cell whose first non-space character is `=`, `+`, `-` or `@` (or that began with a
//!   tab or CR) gets a leading `'`, the rule spreadsheet programs honour to show the text
//!   instead of evaluating it (OWASP "CSV Injection"). [`restore`] undoes it on import.

use std::borrow::Cow;
use std::io::Write;

/// Characters that start a formula in Excel, LibreOffice and Google Sheets.
const FORMULA_START: [char; 4] = ['=', '+', '-', '@'];

/// The cell as it is safe to write: control characters gone, formulas neutralised.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let cleaned: Cow<'_, str> = if cell.chars().any(char::is_control) {
        Cow::Owned(
            cell.chars()
                .filter_map(|c| match c {
                    '\t' | '\r' | '\n' => Some(' '),
                    c if c.is_control() => None,
                    c => Some(c),
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(cell)
    };
    // Judged after cleaning: removing a control character must not uncover a formula.
    let first = cleaned.trim_start_matches(' ').chars().next();
    let formula =
        cell.starts_with(['\t', '\r']) || first.is_some_and(|c| FORMULA_START.contains(&c));
    if !formula {
        return cleaned;
    }
    let mut out = String::with_capacity(cleaned.len() + 1);
    out.push('\'');
    out.push_str(&cleaned);
    Cow::Owned(out)
}

/// Undoes the formula rule of [`neutralise`] for a cell read back (`suppress import` of
/// an export): `'=x@example.org` is `=x@example.org` again. Other cells are unchanged.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest)
            if rest
                .trim_start_matches(' ')
                .starts_with(FORMULA_START.as_slice()) =>
        {
            rest
        }
        _ => cell,
    }
}

/// A CSV writer that neutralises every cell it writes.
pub struct Writer<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> Writer<W> {
    /// A writer with the csv crate's defaults (comma, `\n`, quoting as needed).
    pub fn from_writer(w: W) -> Writer<W> {
        Writer {
            inner: csv::Writer::from_writer(w),
        }
    }

    /// Writes one record; each cell is passed through [`neutralise`] (non-UTF-8 bytes are
    /// replaced by U+FFFD first).
    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let cells: Vec<String> = record
            .into_iter()
            .map(|c| neutralise(&String::from_utf8_lossy(c.as_ref())).into_owned())
            .collect();
        self.inner.write_record(&cells)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    /// The underlying writer, flushed.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_get_a_quote_and_controls_go() {
        for (input, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-cmd", "'-cmd"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "' =1"),
            ("\rx", "' x"),
            ("  =1", "'  =1"),
            ("a\x1b[31mred\x07", "a[31mred"),
            ("line\r\nnext", "line  next"),
            ("ann@example.org", "ann@example.org"),
            ("5.1.1", "5.1.1"),
            ("", ""),
            ("del\u{7f}c1\u{9b}x", "delc1x"),
        ] {
            assert_eq!(neutralise(input), want, "{input:?}");
        }
    }

    #[test]
    fn restore_undoes_the_formula_quote_only() {
        for s in [
            "=a@example.org",
            "-x@example.org",
            "+y",
            "@z",
            "plain",
            "'quoted",
        ] {
            assert_eq!(restore(&neutralise(s)), s);
        }
    }

    /// Every generated cell comes out with no control character and no leading formula
    /// character, and a cell that needed nothing is unchanged.
    #[test]
    fn generated_cells_are_always_safe() {
        let alphabet: Vec<char> = "=+-@ \t\r\n\x1b\x07\x00\u{7f}\u{85}a1.,\"'é😀"
            .chars()
            .collect();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 8) as usize;
            let cell: String = (0..len)
                .map(|i| alphabet[((state >> (i * 5 + 3)) % alphabet.len() as u64) as usize])
                .collect();
            let out = neutralise(&cell);
            assert!(!out.chars().any(char::is_control), "{cell:?} -> {out:?}");
            let first = out.trim_start_matches(' ').chars().next();
            assert!(
                !first.is_some_and(|c| FORMULA_START.contains(&c)),
                "{cell:?} -> {out:?}"
            );
            let plain = !cell.chars().any(char::is_control)
                && !cell
                    .trim_start_matches(' ')
                    .starts_with(FORMULA_START.as_slice());
            if plain {
                assert_eq!(out, cell);
            }
        }
    }
}
