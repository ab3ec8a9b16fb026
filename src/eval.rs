//! Measuring the decoder: decode every file listed in `DIR/expected.jsonl` and compare with
//! the expected records (the corpus format). Prints agreement figures; no guessing.

use crate::decode::{decode, Bounce};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One line of `expected.jsonl`.
#[derive(Debug, Clone, Deserialize)]
pub struct ExpectedFile {
    pub file: String,
    #[serde(default)]
    pub family: String,
    pub bounces: Vec<ExpectedBounce>,
}

/// One expected record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpectedBounce {
    pub recipient: Option<String>,
    pub status: Option<String>,
    pub replycode: Option<String>,
    pub reason: String,
    pub hard: bool,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub feedback_type: Option<String>,
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read '{path}': {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: not an expected-results record: {source}")]
    Json {
        path: String,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
}

/// Counts over one set of files (all, or one family).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub files: usize,
    pub file_errors: usize,
    /// Files where "bounce or not" agrees.
    pub detected: usize,
    pub records: usize,
    pub recipient: usize,
    pub reason: usize,
    pub hard: usize,
    pub status: usize,
    pub full: usize,
    pub extra: usize,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.files += o.files;
        self.file_errors += o.file_errors;
        self.detected += o.detected;
        self.records += o.records;
        self.recipient += o.recipient;
        self.reason += o.reason;
        self.hard += o.hard;
        self.status += o.status;
        self.full += o.full;
        self.extra += o.extra;
    }

    /// Share of records fully matched, in percent (100 when there are none).
    pub fn full_pct(&self) -> f64 {
        pct(self.full, self.records)
    }
}

/// Percentage, 100 for an empty set.
pub fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        100.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// A record that did not fully match, for people to look at.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub file: String,
    pub expected: Option<ExpectedBounce>,
    pub got: Option<GotBounce>,
}

/// The compared fields of a decoded record.
#[derive(Debug, Clone, Serialize)]
pub struct GotBounce {
    pub recipient: Option<String>,
    pub status: Option<String>,
    pub reason: String,
    pub hard: bool,
    pub evidence: String,
    pub diagnostic: Option<String>,
}

impl From<&Bounce> for GotBounce {
    fn from(b: &Bounce) -> Self {
        GotBounce {
            recipient: b.recipient.clone(),
            status: b.status.clone(),
            reason: b.reason.to_string(),
            hard: b.hard,
            evidence: format!("{}: {}", b.evidence.module, b.evidence.rule),
            diagnostic: b
                .diagnostic_code
                .as_ref()
                .map(|d| d.chars().take(200).collect()),
        }
    }
}

/// The result of an evaluation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EvalReport {
    pub total: Counts,
    pub families: BTreeMap<String, Counts>,
    pub misses: Vec<Miss>,
    pub errors: Vec<String>,
}

/// Reads `dir/expected.jsonl`.
pub fn load_expected(dir: &Path) -> Result<Vec<ExpectedFile>, EvalError> {
    let path = dir.join("expected.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|source| EvalError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: ExpectedFile = serde_json::from_str(line).map_err(|source| EvalError::Json {
            path: path.display().to_string(),
            line: i + 1,
            source,
        })?;
        out.push(rec);
    }
    Ok(out)
}

/// One half of a corpus, for an honest split figure: the files of each family are
/// numbered 1, 2, 3 ... in file-name order, and a half keeps the odd or the even numbers.
/// Fixes are studied on one half; the other half's score shows how well they carry over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    Odd,
    Even,
}

impl std::str::FromStr for Half {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "odd" => Ok(Half::Odd),
            "even" => Ok(Half::Even),
            other => Err(format!("'{other}' is not a half: use odd or even")),
        }
    }
}

/// Keeps the records of `expected` that fall in `half` (see [`Half`]), in their order.
pub fn select_half(expected: Vec<ExpectedFile>, half: Half) -> Vec<ExpectedFile> {
    let mut by_family: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in &expected {
        by_family.entry(&e.family).or_default().push(&e.file);
    }
    let mut keep = std::collections::BTreeSet::new();
    for files in by_family.values_mut() {
        files.sort_unstable();
        for (i, f) in files.iter().enumerate() {
            // i is 0-based: sample number i + 1 is odd when i is even.
            if (i % 2 == 0) == (half == Half::Odd) {
                keep.insert(f.to_string());
            }
        }
    }
    expected
        .into_iter()
        .filter(|e| keep.contains(&e.file))
        .collect()
}

/// Evaluates the decoder on every file of `dir/expected.jsonl`.
pub fn run(dir: &Path) -> Result<EvalReport, EvalError> {
    run_half(dir, None)
}

/// Evaluates the decoder on the files of `dir/expected.jsonl`, or on one half of them.
pub fn run_half(dir: &Path, half: Option<Half>) -> Result<EvalReport, EvalError> {
    let mut expected = load_expected(dir)?;
    if let Some(h) = half {
        expected = select_half(expected, h);
    }
    let mut report = EvalReport::default();
    for exp in &expected {
        let path = dir.join(&exp.file);
        let mut c = Counts {
            files: 1,
            records: exp.bounces.len(),
            ..Counts::default()
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let got = decode(&bytes).bounces;
                compare(exp, &got, &mut c, &mut report.misses);
            }
            Err(e) => {
                c.file_errors = 1;
                report.errors.push(format!("{}: {e}", path.display()));
            }
        }
        let family = if exp.family.is_empty() {
            "unknown".to_string()
        } else {
            exp.family.clone()
        };
        report.total.add(&c);
        report.families.entry(family).or_default().add(&c);
    }
    Ok(report)
}

fn same_recipient(e: &Option<String>, g: &Option<String>) -> bool {
    match (e, g) {
        (Some(e), Some(g)) => e.eq_ignore_ascii_case(g),
        (None, _) => true,
        _ => false,
    }
}

fn same_status(e: &Option<String>, g: &Option<String>) -> bool {
    match (e, g) {
        (Some(e), Some(g)) => {
            // Sisimai invents x.0.9xx codes when the message has none: class only.
            let invented = e
                .split('.')
                .nth(2)
                .is_some_and(|d| d.len() == 3 && d.starts_with('9'));
            if invented {
                e.chars().next() == g.chars().next()
            } else {
                e == g
            }
        }
        (Some(e), None) => e.split('.').nth(2).is_some_and(|d| d.starts_with('9')),
        (None, None) => true,
        (None, Some(_)) => false,
    }
}

fn compare(exp: &ExpectedFile, got: &[Bounce], c: &mut Counts, misses: &mut Vec<Miss>) {
    c.detected = usize::from(exp.bounces.is_empty() == got.is_empty());
    let mut used = vec![false; got.len()];
    let mut pairs: Vec<(usize, Option<usize>, bool)> = Vec::new();
    // First pass: by recipient address.
    for (i, e) in exp.bounces.iter().enumerate() {
        if e.recipient.is_none() {
            pairs.push((i, None, false));
            continue;
        }
        let j = got
            .iter()
            .enumerate()
            .position(|(j, g)| !used[j] && same_recipient(&e.recipient, &g.recipient));
        if let Some(j) = j {
            used[j] = true;
        }
        pairs.push((i, j, j.is_some()));
    }
    // Second pass: the rest by position, for the reason and status figures.
    for p in pairs.iter_mut() {
        if p.1.is_none() {
            if let Some(j) = (0..got.len()).find(|&j| !used[j]) {
                used[j] = true;
                p.1 = Some(j);
                p.2 = exp.bounces[p.0].recipient.is_none();
            }
        }
    }
    for (i, j, rcpt_ok) in pairs {
        let e = &exp.bounces[i];
        let g = j.map(|j| &got[j]);
        let reason_ok = g.is_some_and(|g| g.reason.as_str() == e.reason);
        let hard_ok = g.is_some_and(|g| g.hard == e.hard);
        let status_ok = g.is_some_and(|g| same_status(&e.status, &g.status));
        c.recipient += usize::from(rcpt_ok);
        c.reason += usize::from(reason_ok);
        c.hard += usize::from(hard_ok);
        c.status += usize::from(status_ok);
        let full = rcpt_ok && reason_ok && hard_ok;
        c.full += usize::from(full);
        if !full {
            misses.push(Miss {
                file: exp.file.clone(),
                expected: Some(e.clone()),
                got: g.map(GotBounce::from),
            });
        }
    }
    for (j, g) in got.iter().enumerate() {
        if !used[j] {
            c.extra += 1;
            misses.push(Miss {
                file: exp.file.clone(),
                expected: None,
                got: Some(GotBounce::from(g)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, family: &str) -> ExpectedFile {
        ExpectedFile {
            file: name.to_string(),
            family: family.to_string(),
            bounces: Vec::new(),
        }
    }

    #[test]
    fn halves_split_each_family_by_file_name() {
        // Listed out of order: the numbering follows file names within each family.
        let all = vec![
            file("b-03.eml", "b"),
            file("a-02.eml", "a"),
            file("a-01.eml", "a"),
            file("b-01.eml", "b"),
            file("a-07.eml", "a"),
        ];
        let names = |h| -> Vec<String> {
            select_half(all.clone(), h)
                .into_iter()
                .map(|e| e.file)
                .collect()
        };
        assert_eq!(names(Half::Odd), ["a-01.eml", "b-01.eml", "a-07.eml"]);
        assert_eq!(names(Half::Even), ["b-03.eml", "a-02.eml"]);
        assert_eq!("odd".parse::<Half>(), Ok(Half::Odd));
        assert!("third".parse::<Half>().is_err());
    }
}
