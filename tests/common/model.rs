//! The parts the model-based hygiene tests share: a seeded list of spellings (case
//! variants, repeats of earlier addresses, invalid rows) over addresses of a test's own
//! kinds, and what the suppression list and `clean` must then say.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

/// A generated list: the rows as written, and each address (lower case) with its kind.
pub struct List<K> {
    pub rows: Vec<String>,
    pub kinds: BTreeMap<String, K>,
    pub invalid: usize,
}

/// Rows until `recipients` distinct addresses are listed: about one row in 25 invalid,
/// one in 6 a repeat of an earlier address spelt anew, the rest new addresses from
/// `pick(rng, n)` (lower case), each spelt with some characters upper-cased.
pub fn generate<K: Copy>(
    rng: &mut Rng,
    recipients: usize,
    mut pick: impl FnMut(&mut Rng, usize) -> (String, K),
) -> List<K> {
    let mut list = List {
        rows: Vec::new(),
        kinds: BTreeMap::new(),
        invalid: 0,
    };
    let mut n = 0;
    while list.kinds.len() < recipients {
        n += 1;
        if rng.below(25) == 0 {
            let bad = [
                "@nolocal.test",
                "two@@at.test",
                "nodomain@",
                "sp ace@x.test",
            ];
            list.rows.push(bad[rng.below(bad.len())].to_string());
            list.invalid += 1;
            continue;
        }
        let (canon, kind) = if !list.kinds.is_empty() && rng.below(6) == 0 {
            let earlier: Vec<_> = list.kinds.iter().collect();
            let (c, k) = earlier[rng.below(earlier.len())];
            (c.clone(), *k)
        } else {
            pick(rng, n)
        };
        list.kinds.insert(canon.clone(), kind);
        list.rows.push(rng.case(&canon));
    }
    list
}

impl<K: Copy + PartialEq> List<K> {
    /// Writes the list as `name` (`email,first_name`) with `msg.eml` beside it.
    pub fn write(&self, dir: &Path, name: &str) {
        let rows: Vec<&str> = self.rows.iter().map(String::as_str).collect();
        write_recipients(dir, name, &rows);
    }

    /// The addresses of one kind.
    pub fn of(&self, kind: K) -> Vec<&str> {
        self.kinds
            .iter()
            .filter(|(_, k)| **k == kind)
            .map(|(c, _)| c.as_str())
            .collect()
    }

    /// The CSV `clean` must keep of this list: every row whose address is valid and not
    /// in `suppressed`, as written (the header `email,first_name`).
    pub fn kept(&self, suppressed: &BTreeSet<String>) -> String {
        let mut out = String::from("email,first_name\n");
        for (n, r) in self.rows.iter().enumerate() {
            let c = r.to_lowercase();
            if self.kinds.contains_key(&c) && !suppressed.contains(&c) {
                out.push_str(&format!("{r},N{n}\n"));
            }
        }
        out
    }
}

/// Puts `addresses` on the suppression list of `dir`'s store, spelt in upper case.
pub fn pre_suppress(dir: &Path, addresses: &[&str]) {
    if addresses.is_empty() {
        return;
    }
    let upper: Vec<String> = addresses.iter().map(|a| a.to_uppercase()).collect();
    let mut args = vec!["suppress", "add", "--db", "rebound.db"];
    args.extend(upper.iter().map(String::as_str));
    let out = rebound(dir, &args);
    assert!(out.status.success(), "{}", text(&out));
}

/// The keys on the suppression list (`suppress list --format json`).
pub fn suppression_list(dir: &Path) -> BTreeSet<String> {
    let out = rebound(
        dir,
        &["suppress", "list", "--format", "json", "--db", "rebound.db"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    list.iter()
        .map(|e| e["email"].as_str().expect("email").to_string())
        .collect()
}

/// Runs `clean` of `input` in `dir` and returns what it kept (LF line ends).
pub fn clean_output(dir: &Path, input: &str) -> String {
    let out = rebound(
        dir,
        &[
            "clean",
            "--in",
            input,
            "--out",
            "kept.csv",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    std::fs::read_to_string(dir.join("kept.csv"))
        .expect("kept.csv")
        .replace("\r\n", "\n")
}

/// A campaign's report as JSON.
pub fn report_json(dir: &Path, campaign: &str) -> serde_json::Value {
    let out = rebound(
        dir,
        &[
            "report",
            "--campaign",
            campaign,
            "--format",
            "json",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// The seed from `REBOUND_MODEL_SEED`, else `fixed`.
pub fn fixed_seed(fixed: u64) -> u64 {
    std::env::var("REBOUND_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(fixed)
}

/// A seed from the clock, printed so that a failure can be replayed.
pub fn fresh_seed() -> u64 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64);
    eprintln!("model seed {seed} (replay with REBOUND_MODEL_SEED={seed})");
    seed
}
