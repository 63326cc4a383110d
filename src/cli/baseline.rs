//! The ratchet: a committed JSON file of the findings when it was written. `check --baseline FILE` fails only on
//! findings that are not in it and names the entries that no longer occur, so the file can
//! shrink. Entries are keyed by path, rule and the trimmed source line — not the line number —
//! so moving code around does not invalidate them; identical keys count as a multiset.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::report::{Finding, FindingKind};

pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub rule: String,
    /// The finding's source line, trimmed: what identifies it when lines move.
    pub source: String,
    /// Where it was when the baseline was written (informational; not part of the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn entry_of(finding: &Finding) -> Entry {
    Entry {
        path: finding.path.clone(),
        rule: finding.rule.clone(),
        source: finding
            .source_line
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_string(),
        line: Some(finding.line),
        message: Some(finding.message.clone()),
    }
}

/// Writes the current findings (errors about unreadable files are not baselined: they must be fixed).
pub fn write(path: &Path, findings: &[Finding]) -> anyhow::Result<usize> {
    let baseline = Baseline {
        version: VERSION,
        findings: findings
            .iter()
            .filter(|f| f.kind != FindingKind::Error)
            .map(entry_of)
            .collect(),
    };
    let text = serde_json::to_string_pretty(&baseline)? + "\n";
    std::fs::write(path, text)
        .with_context(|| format!("could not write baseline {}", path.display()))?;
    Ok(baseline.findings.len())
}

pub fn read(path: &Path) -> anyhow::Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read baseline {}", path.display()))?;
    let baseline: Baseline = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a pgshift baseline", path.display()))?;
    if baseline.version != VERSION {
        anyhow::bail!(
            "{}: baseline version {} is not {VERSION}; write it again with --write-baseline",
            path.display(),
            baseline.version
        );
    }
    Ok(baseline)
}

/// Splits findings into the new ones (not covered by the baseline) and returns the baseline
/// entries nothing matched (stale).
pub fn compare(baseline: &Baseline, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Entry>) {
    type Key = (String, String, String);
    let key_of =
        |entry: &Entry| -> Key { (entry.path.clone(), entry.rule.clone(), entry.source.clone()) };
    let mut budget: HashMap<Key, usize> = HashMap::new();
    for entry in &baseline.findings {
        *budget.entry(key_of(entry)).or_default() += 1;
    }
    let mut new = Vec::new();
    for finding in findings {
        let key = key_of(&entry_of(&finding));
        match budget.get_mut(&key) {
            Some(left) if *left > 0 && finding.kind != FindingKind::Error => *left -= 1,
            _ => new.push(finding),
        }
    }
    // What is left of each key's budget are entries nothing matched: the last ones of the key.
    let mut stale = Vec::new();
    for entry in baseline.findings.iter().rev() {
        if let Some(left) = budget.get_mut(&key_of(entry))
            && *left > 0
        {
            *left -= 1;
            stale.push(entry.clone());
        }
    }
    stale.reverse();
    (new, stale)
}
