//! List cleaning: copy a CSV list without the rows that must not be mailed (suppressed,
//! invalid, and with `dedupe` repeated addresses), keeping every other column and the header
//! as they were, and say why each removed row went. Streams: memory grows with the
//! suppression list and (with dedupe) 16 bytes per distinct address, not with the file.

use crate::address::Address;
use crate::csvrows::{RowError, RowInfo, RowReader};
use crate::send::csvlist::{email_column, header_names, EMAIL_COLUMNS};
use crate::store::SuppressedSet;
use std::collections::HashSet;
use std::hash::Hasher;
use std::io::{Read, Write};

/// What a cleaning run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CleanSummary {
    pub rows: u64,
    pub kept: u64,
    pub suppressed: u64,
    pub invalid: u64,
    pub duplicate: u64,
    /// Rows that could not be read as one row: a field count other than the header's,
    /// text after a closing quote, or a quoted field spanning lines that holds a suppressed
    /// address (a stray quote swallowing rows). Removed, with the line numbers.
    pub malformed: u64,
}

/// Why a list could not be cleaned.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// A row boundary that cannot be found (an unterminated quote, a row over the limit):
    /// nothing is written, since the rows after it cannot be told apart.
    #[error(transparent)]
    Rows(#[from] RowError),
    #[error("no email column in the header row ({names}); name one of: {}", EMAIL_COLUMNS.join(", "))]
    NoEmailColumn { names: String },
    #[error("the input is empty: no header row")]
    Empty,
}

/// The longest row a list may have: far beyond any real row, small enough that a stray
/// quote in a 100 MB list is found after reading 1 MiB, not the whole file.
pub const MAX_ROW: usize = 1 << 20;

/// 128 bits of an address's normalised form (two FNV-1a hashes with different offsets),
/// for duplicate detection in little memory. A false duplicate needs a 128-bit collision.
fn fingerprint(addr: &str) -> u128 {
    let (mut a, mut b) = (0xcbf2_9ce4_8422_2325u64, 0x6c62_272e_07bb_0142u64);
    for &byte in addr.as_bytes() {
        a = (a ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        b = (b ^ u64::from(byte))
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(5);
    }
    (u128::from(a) << 64) | u128::from(b)
}

/// The fingerprints are hashes already: the set uses their low bits as they are.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

type FingerprintSet = HashSet<u128, std::hash::BuildHasherDefault<Prehashed>>;

/// Cleans `input` into `kept`; removed rows go to `removed` (with a `removed_reason`
/// column) when given. `progress` is called every 64k rows with the count so far.
pub fn clean(
    mut input: impl Read,
    mut kept: impl Write,
    removed: Option<Box<dyn Write>>,
    suppressed: &SuppressedSet,
    dedupe: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<CleanSummary, CleanError> {
    // Keep the input's byte-order mark and line ends: the csv reader drops the one and
    // the writer would change the other.
    let mut head = vec![0u8; 64 * 1024];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..]).map_err(csv::Error::from)? {
            0 => break,
            n => got += n,
        }
    }
    head.truncate(got);
    let bom = head.starts_with("\u{feff}".as_bytes());
    if bom {
        head.drain(..3);
    }
    let crlf = head
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && head[i - 1] == b'\r');
    let terminator = if crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    if bom {
        kept.write_all("\u{feff}".as_bytes())
            .map_err(csv::Error::from)?;
    }
    let mut rdr = RowReader::new(
        std::io::BufReader::with_capacity(1 << 16, std::io::Cursor::new(head).chain(input)),
        MAX_ROW,
    );
    let writer = || {
        let mut b = csv::WriterBuilder::new();
        b.flexible(true).terminator(terminator);
        b
    };
    let mut out = writer().from_writer(kept);
    let mut rem = removed.map(|w| writer().from_writer(w));
    let mut rec = csv::ByteRecord::new();
    if rdr.read(&mut rec)?.is_none() {
        return Err(CleanError::Empty);
    }
    let header = rec.clone();
    let names = header_names(&header);
    let col = email_column(&names).ok_or_else(|| CleanError::NoEmailColumn {
        names: names.join(", "),
    })?;
    out.write_byte_record(&header)?;
    if let Some(w) = rem.as_mut() {
        let mut h = header.clone();
        h.push_field(b"removed_reason");
        w.write_byte_record(&h)?;
    }
    let mut seen = FingerprintSet::default();
    let mut s = CleanSummary::default();
    while let Some(row) = rdr.read(&mut rec)? {
        s.rows += 1;
        if s.rows % 65_536 == 0 {
            progress(s.rows);
        }
        let why: Option<String> = if let Some(malformed) = malformed(&rec, &row, &header, |a| {
            Address::parse(a).is_ok_and(|a| suppressed.contains_key(a.key()))
        }) {
            s.malformed += 1;
            Some(malformed)
        } else {
            match std::str::from_utf8(&rec[col]) {
                Err(_) => {
                    s.invalid += 1;
                    Some("invalid address: not UTF-8".to_string())
                }
                Ok(raw) => match Address::parse(raw) {
                    Err(why) => {
                        s.invalid += 1;
                        Some(format!("invalid address: {why}"))
                    }
                    Ok(addr) => {
                        if let Some(reason) = suppressed.get(addr.key()) {
                            s.suppressed += 1;
                            Some(format!("suppressed: {reason}"))
                        } else if dedupe && !seen.insert(fingerprint(addr.key())) {
                            s.duplicate += 1;
                            Some("duplicate address".to_string())
                        } else {
                            None
                        }
                    }
                },
            }
        };
        match why {
            None => {
                s.kept += 1;
                out.write_byte_record(&rec)?;
            }
            Some(reason) => {
                if let Some(w) = rem.as_mut() {
                    let mut r = rec.clone();
                    r.push_field(crate::csvcell::neutralise(&reason).as_bytes());
                    w.write_byte_record(&r)?;
                }
            }
        }
    }
    out.flush().map_err(csv::Error::from)?;
    if let Some(w) = rem.as_mut() {
        w.flush().map_err(csv::Error::from)?;
    }
    progress(s.rows);
    Ok(s)
}

/// Why a row cannot be trusted to be one row of the list, if it cannot: its field count,
/// text after a closing quote, or a quoted field over several lines that holds a
/// suppressed address (`is_suppressed` is asked for each `@` word of such a row): a stray
/// quote that swallowed rows must not carry them into the clean list.
fn malformed(
    rec: &csv::ByteRecord,
    row: &RowInfo,
    header: &csv::ByteRecord,
    mut is_suppressed: impl FnMut(&str) -> bool,
) -> Option<String> {
    let lines = if row.last_line > row.first_line {
        format!("lines {}-{}", row.first_line, row.last_line)
    } else {
        format!("line {}", row.first_line)
    };
    if rec.len() != header.len() {
        return Some(format!(
            "{lines}: {} fields, the header has {}",
            rec.len(),
            header.len()
        ));
    }
    if let Some(p) = &row.problem {
        return Some(p.clone());
    }
    if row.last_line > row.first_line {
        for field in rec.iter().filter(|f| f.contains(&b'\n')) {
            let text = String::from_utf8_lossy(field);
            let words = text.split(|c: char| c.is_whitespace() || ",;\"'<>()".contains(c));
            for w in words.filter(|w| w.contains('@')) {
                if is_suppressed(w) {
                    return Some(format!(
                        "{lines}: a quoted field over several lines holds the suppressed \
                         address {w} (a stray quote?)"
                    ));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn cleans_and_explains() {
        let input = "\u{feff}Name,EMAIL,city\r\n\"Doe, Ann\",ann@example.org,Paris\r\nBob,BOB@Example.org,Oslo\r\nBad,not-an-address,Rome\r\nAnn again,Ann@EXAMPLE.org,Lima\r\nShort,x@example.org\r\n";
        let mut sup = HashMap::new();
        sup.insert("bob@example.org".to_string(), "userunknown".to_string());
        let sup = SuppressedSet::from_plain(sup);
        let mut kept = Vec::new();
        let removed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let s = clean(
            input.as_bytes(),
            &mut kept,
            Some(Box::new(Shared(removed.clone()))),
            &sup,
            true,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(
            s,
            CleanSummary {
                rows: 5,
                kept: 1,
                suppressed: 1,
                invalid: 1,
                duplicate: 1,
                malformed: 1
            }
        );
        let kept = String::from_utf8(kept).unwrap();
        assert_eq!(
            kept,
            "\u{feff}Name,EMAIL,city\r\n\"Doe, Ann\",ann@example.org,Paris\r\n"
        );
        let removed = String::from_utf8(removed.lock().unwrap().clone()).unwrap();
        assert!(
            removed.contains("Bob,BOB@Example.org,Oslo,suppressed: userunknown\r\n"),
            "{removed}"
        );
        assert!(removed.contains("Ann again,Ann@EXAMPLE.org,Lima,duplicate address"));
        assert!(
            removed.contains("Short,x@example.org,\"line 6: 2 fields, the header has 3\""),
            "{removed}"
        );
    }

    fn run(input: &str, sup: &[&str]) -> Result<(CleanSummary, String), CleanError> {
        let sup: HashMap<String, String> = sup
            .iter()
            .map(|a| (a.to_string(), "userunknown".to_string()))
            .collect();
        let mut kept = Vec::new();
        let sup = SuppressedSet::from_plain(sup);
        let s = clean(input.as_bytes(), &mut kept, None, &sup, false, &mut |_| {})?;
        Ok((s, String::from_utf8(kept).unwrap()))
    }

    /// Issue 11: one stray quote once swallowed the rest of the file into one field and
    /// kept it. Now it is an error naming the line, and nothing is kept.
    #[test]
    fn a_stray_quote_stops_cleaning_with_its_line() {
        let input =
            "email,name\nann@x.test,Ann\nbob@x.test,\"Bob\ngone@x.test,Gone\ncarl@x.test,Carl\n";
        match run(input, &["gone@x.test"]) {
            Err(CleanError::Rows(RowError::Unterminated { line: 3 })) => {}
            other => panic!("{other:?}"),
        }
    }

    /// A stray quote that a later quote closes: the swallowed rows never reach the clean
    /// list silently: the field count, the text after the quote, or the suppressed address
    /// inside the multi-line field marks the row malformed.
    #[test]
    fn swallowed_rows_are_malformed_never_kept() {
        for input in [
            // closes with text after the quote
            "email,name\nann@x.test,\"Ann\ngone@x.test,Gone\ncarl@x.test,\"Carl\"\n",
            // closes cleanly, same field count: the suppressed address inside gives it away
            "email,name\nann@x.test,\"Ann\ngone@x.test,Gone\n\"\ncarl@x.test,Carl\n",
            // closes cleanly with another field count
            "email,name\nann@x.test,\"Ann\ngone@x.test,Gone\n\",x\ncarl@x.test,Carl\n",
        ] {
            let (s, kept) = run(input, &["gone@x.test"]).unwrap();
            assert!(!kept.contains("gone@x.test"), "{input:?} kept {kept:?}");
            assert_eq!(s.malformed, 1, "{input:?}: {s:?}");
        }
    }

    /// Generated lists with suppressed addresses and stray quotes anywhere: a suppressed
    /// address never reaches the kept list; either the run fails (unterminated quote) or
    /// every row that is not kept is counted.
    #[test]
    fn generated_lists_never_keep_a_suppressed_address() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let sup = ["gone@x.test", "dead@y.test"];
        for _ in 0..3000 {
            let mut input = String::from("name,email,note\n");
            for i in 0..(1 + next(8)) {
                let email = match next(4) {
                    0 => sup[next(2) as usize].to_string(),
                    _ => format!("u{i}@x.test"),
                };
                let mut cells = [format!("N{i}"), email, format!("t{i}")];
                if next(5) == 0 {
                    let c = next(3) as usize;
                    let at = next(cells[c].len() as u64 + 1) as usize;
                    cells[c].insert(at, '"');
                }
                if next(6) == 0 {
                    cells[next(3) as usize] = format!("\"{}\"", cells[0]);
                }
                input.push_str(&cells.join(","));
                input.push('\n');
            }
            match run(&input, &sup) {
                Err(CleanError::Rows(_)) => {}
                Err(e) => panic!("{input:?}: {e}"),
                Ok((s, kept)) => {
                    for a in sup {
                        assert!(!kept.contains(a), "{input:?} kept {kept:?}");
                    }
                    assert_eq!(
                        s.rows,
                        s.kept + s.suppressed + s.invalid + s.duplicate + s.malformed
                    );
                }
            }
        }
    }
}
