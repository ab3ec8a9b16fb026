//! A strict, streaming reader of CSV rows (RFC 4180) for list cleaning: each row comes
//! with the lines it spans and what was wrong with it, a quoted field that never closes is
//! an error naming the line it opened on, and no row may exceed a size limit, so a stray
//! `"` costs at most that limit of reading, never the rest of the file (linear time).
//!
//! Lenient where a list can still be read row by row (a `"` inside an unquoted field is
//! text, blank lines are skipped); strict where a row boundary is in doubt (text after a
//! closing quote is reported on the row).

use std::io::BufRead;

/// Why reading could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    #[error(
        "line {line}: a quoted field opens here and never closes (a stray '\"'?); \
         the rows after it cannot be told apart"
    )]
    Unterminated { line: u64 },
    #[error("line {line}: a row longer than {max} bytes (a stray '\"'?)")]
    TooLong { line: u64, max: usize },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Where a row was and what was odd about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowInfo {
    /// The line the row starts on (1-based, counting every physical line).
    pub first_line: u64,
    /// The line it ends on: later than `first_line` when a quoted field holds line ends.
    pub last_line: u64,
    /// Set when a field had text after its closing quote (`"abc"def`).
    pub problem: Option<String>,
}

/// Reads rows from `r`, comma-separated, at most `max_row` bytes each.
pub struct RowReader<R> {
    r: R,
    max_row: usize,
    line: u64,
    buf: Vec<u8>,
    field: Vec<u8>,
}

impl<R: BufRead> RowReader<R> {
    pub fn new(r: R, max_row: usize) -> RowReader<R> {
        RowReader {
            r,
            max_row,
            line: 0,
            buf: Vec::new(),
            field: Vec::new(),
        }
    }

    /// Reads one physical line (with its `\n`) into `buf`, keeping the row under the limit.
    fn next_line(&mut self, used: usize, first_line: u64) -> Result<usize, RowError> {
        self.buf.clear();
        let room = (self.max_row - used.min(self.max_row)) as u64 + 1;
        let n = std::io::Read::take(&mut self.r, room).read_until(b'\n', &mut self.buf)?;
        if n > 0 {
            self.line += 1;
        }
        if used + n > self.max_row {
            return Err(RowError::TooLong {
                line: first_line,
                max: self.max_row,
            });
        }
        Ok(n)
    }

    /// Reads the next row into `rec`; `None` at the end of the input.
    pub fn read(&mut self, rec: &mut csv::ByteRecord) -> Result<Option<RowInfo>, RowError> {
        rec.clear();
        // skip blank lines
        let mut used = loop {
            let n = self.next_line(0, self.line + 1)?;
            if n == 0 {
                return Ok(None);
            }
            if self.buf != b"\n" && self.buf != b"\r\n" {
                break n;
            }
        };
        let first_line = self.line;
        let mut problem = None;
        let mut i = 0;
        loop {
            // at the start of a field
            self.field.clear();
            let end;
            if self.buf.get(i) == Some(&b'"') {
                i += 1;
                // quoted: up to a `"` not doubled, across line ends
                loop {
                    match memchr::memchr(b'"', &self.buf[i..]) {
                        None => {
                            self.field.extend_from_slice(&self.buf[i..]);
                            let n = self.next_line(used, first_line)?;
                            if n == 0 {
                                return Err(RowError::Unterminated { line: first_line });
                            }
                            used += n;
                            i = 0;
                        }
                        Some(q) => {
                            self.field.extend_from_slice(&self.buf[i..i + q]);
                            i += q + 1;
                            if self.buf.get(i) == Some(&b'"') {
                                self.field.push(b'"');
                                i += 1;
                            } else {
                                break;
                            }
                        }
                    }
                }
                // after the closing quote: a comma, the line end, or the input's end
                let rest = &self.buf[i..];
                end = memchr::memchr2(b',', b'\n', rest).map_or(self.buf.len(), |j| i + j);
                let tail = trim_cr(&self.buf[i..end], self.buf.get(end) != Some(&b','));
                if !tail.is_empty() {
                    problem.get_or_insert_with(|| {
                        format!(
                            "line {}: text after the closing quote of field {}",
                            self.line,
                            rec.len() + 1
                        )
                    });
                    self.field.extend_from_slice(tail);
                }
            } else {
                end =
                    memchr::memchr2(b',', b'\n', &self.buf[i..]).map_or(self.buf.len(), |j| i + j);
                let text = trim_cr(&self.buf[i..end], self.buf.get(end) != Some(&b','));
                self.field.extend_from_slice(text);
            }
            rec.push_field(&self.field);
            if self.buf.get(end) == Some(&b',') {
                i = end + 1;
                continue;
            }
            return Ok(Some(RowInfo {
                first_line,
                last_line: self.line,
                problem,
            }));
        }
    }
}

/// Drops the `\r` of a CRLF line end from a field's text that ends the line.
fn trim_cr(text: &[u8], at_line_end: bool) -> &[u8] {
    match text.strip_suffix(b"\r") {
        Some(t) if at_line_end => t,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(input: &str, max: usize) -> Result<Vec<(Vec<String>, RowInfo)>, RowError> {
        let mut r = RowReader::new(input.as_bytes(), max);
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while let Some(info) = r.read(&mut rec)? {
            let fields = rec
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            out.push((fields, info));
        }
        Ok(out)
    }

    #[test]
    fn reads_quotes_line_ends_and_blank_lines() {
        let got = rows(
            "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\r\n\r\n\"two\nlines\",q\"q,z\nlast,row",
            1000,
        )
        .unwrap();
        let fields: Vec<Vec<String>> = got.iter().map(|r| r.0.clone()).collect();
        assert_eq!(
            fields,
            [
                vec!["a", "b", "c"],
                vec!["x, y", "say \"hi\"", ""],
                vec!["two\nlines", "q\"q", "z"],
                vec!["last", "row"],
            ]
        );
        assert_eq!((got[2].1.first_line, got[2].1.last_line), (4, 5));
        assert_eq!((got[3].1.first_line, got[3].1.last_line), (6, 6));
        assert!(got.iter().all(|r| r.1.problem.is_none()));
    }

    #[test]
    fn a_quote_that_never_closes_names_its_line() {
        let input = "email,name\nann@x.test,Ann\nbob@x.test,\"Bob\ncarl@x.test,Carl\n";
        match rows(input, 1000) {
            Err(RowError::Unterminated { line: 3 }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_after_a_closing_quote_is_a_problem_of_its_row() {
        let got = rows("a,\"b\"c,d\n", 100).unwrap();
        assert_eq!(got[0].0, ["a", "bc", "d"]);
        assert!(got[0].1.problem.as_deref().unwrap().contains("field 2"));
    }

    /// A stray quote in a file of any size costs at most the row limit of reading.
    #[test]
    fn an_unterminated_field_stops_at_the_row_limit() {
        let mut input = String::from("email\n\"");
        input.push_str(&"x@y.test\n".repeat(100_000));
        match rows(&input, 4096) {
            Err(RowError::TooLong { line: 2, max: 4096 }) => {}
            other => panic!("{other:?}"),
        }
    }

    /// Generated rows, written by the csv crate, read back field for field.
    #[test]
    fn generated_rows_round_trip() {
        let alphabet = ["a", "b", ",", "\"", "\n", "\r\n", " ", "@", "é"];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..500 {
            let width = 1 + (next() % 4) as usize;
            let mut want: Vec<Vec<String>> = Vec::new();
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            for _ in 0..(1 + next() % 6) {
                let row: Vec<String> = (0..width)
                    .map(|_| {
                        (0..(next() % 5))
                            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                            .collect()
                    })
                    .collect();
                // a lone empty field is a blank line: the csv crate and we skip those
                if row.len() == 1 && row[0].is_empty() {
                    continue;
                }
                w.write_record(&row).unwrap();
                want.push(row);
            }
            let bytes = w.into_inner().unwrap();
            let text = String::from_utf8(bytes).unwrap();
            let got: Vec<Vec<String>> = rows(&text, 1 << 20)
                .unwrap()
                .into_iter()
                .map(|r| r.0)
                .collect();
            assert_eq!(got, want, "{text:?}");
        }
    }
}
