use super::*;

fn emails(list: &ImportedList) -> Vec<String> {
    list.rows
        .iter()
        .map(|r| match &r.address {
            Target::Address(a) => a.as_str().to_string(),
            Target::Forgotten(h) => h.clone(),
        })
        .collect()
}

#[test]
fn semicolons_and_a_spreadsheet_header() {
    let l = read(b"Name;E-Mail;Reason\r\nAnn;ann@example.org;bounced\r\nBob;bob@example.org;\r\n")
        .unwrap();
    assert_eq!(l.delimiter, b';');
    assert!(l.had_header);
    assert_eq!(emails(&l), ["ann@example.org", "bob@example.org"]);
    assert_eq!(l.rows[0].reason.as_deref(), Some("bounced"));
    assert_eq!(l.rows[1].reason, None);
    assert_eq!(l.rows[1].line, 3);
}

#[test]
fn one_address_per_line_without_a_header() {
    let l = read(b"ann@example.org\n\nBob@Example.org\nnot an address\n").unwrap();
    assert!(!l.had_header);
    assert_eq!(emails(&l), ["ann@example.org", "Bob@Example.org"]);
    assert_eq!(l.problems.len(), 1);
    assert_eq!(l.problems[0].0, 4);
    assert!(
        l.problems[0].1.contains("not an email address"),
        "{:?}",
        l.problems
    );
}

#[test]
fn headerless_rows_take_the_first_address_cell() {
    let l = read(b"Ann Smith\tann@example.org\tsince 2019\nBob\tbob@example.org\t\n").unwrap();
    assert_eq!(l.delimiter, b'\t');
    assert_eq!(emails(&l), ["ann@example.org", "bob@example.org"]);
}

#[test]
fn no_email_column_is_named() {
    let e = read(b"name,city\nAnn,Paris\n").unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("name, city") && text.contains("e-mail"),
        "{text}"
    );
    assert_eq!(read(b"\n \n").unwrap_err(), ImportError::Empty);
}

#[test]
fn rebound_exports_read_back() {
    let l = read(b"email,reason,source,evidence,created_at\n'=x@example.org,userunknown,poll,'-550 no,2026-01-02T03:04:05.000Z\n").unwrap();
    assert_eq!(emails(&l), ["=x@example.org"]);
    assert_eq!(l.rows[0].evidence.as_deref(), Some("-550 no"));
    assert_eq!(l.rows[0].source.as_deref(), Some("poll"));
}

#[test]
fn bad_utf8_is_a_row_problem() {
    let l = read(b"email\nann@example.org\nm\xfcller@example.org\n").unwrap();
    assert_eq!(emails(&l), ["ann@example.org"]);
    assert_eq!(
        l.problems,
        vec![(3, "not valid UTF-8 (save the file as UTF-8)".into())]
    );
}

/// Generated files: any delimiter, header or not, LF or CRLF, quoted cells holding
/// delimiters and line breaks, blank and bad rows. Every good address comes back once, in
/// order, and every bad row is reported on the line it starts on.
#[test]
fn generated_files_read_back_exactly() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..300 {
        let delim = [b',', b';', b'\t'][next(3) as usize] as char;
        let eol = if next(2) == 0 { "\n" } else { "\r\n" };
        let header = next(2) == 0;
        let mut text = String::new();
        let mut line = 1u64;
        if header {
            text.push_str(&format!("note{delim}Email{eol}"));
            line += 1;
        }
        let mut good = Vec::new();
        let mut bad_lines = Vec::new();
        for i in 0..next(12) + 1 {
            match next(6) {
                0 => {
                    text.push_str(eol);
                    line += 1;
                }
                1 if header => {
                    text.push_str(&format!("x{delim}nobody-{i}{eol}"));
                    bad_lines.push(line);
                    line += 1;
                }
                2 => {
                    // A quoted note over two lines, holding the delimiter.
                    let a = format!("r{round}i{i}@example.org");
                    text.push_str(&format!("\"a{delim}b{eol}c\"{delim}{a}{eol}"));
                    good.push(a);
                    line += 2;
                }
                _ => {
                    let a = format!("R{round}.i{i}@Example.org");
                    text.push_str(&format!("n{i}{delim}{a}{eol}"));
                    good.push(a);
                    line += 1;
                }
            }
        }
        if good.is_empty() && !header {
            continue; // nothing to recognise the layout by
        }
        let l = read(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text:?}"));
        assert_eq!(emails(&l), good, "{text:?}");
        let got: Vec<u64> = l.problems.iter().map(|p| p.0).collect();
        assert_eq!(got, bad_lines, "{text:?} {:?}", l.problems);
    }
}
