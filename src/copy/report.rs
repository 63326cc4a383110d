//! The human form of a copy's result: both endpoints (the password never shown), a table of
//! rows read and written with both checksums, the sequences, the deferred keys, what was not
//! copied and why. The JSON form is the [`super::Report`] itself.

use std::fmt::Write as _;

use super::{BadValue, Report};

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn human(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "from  {} (schema {})", report.source, report.schema);
    let _ = writeln!(
        out,
        "to    {} ({}), schema \"{}\"",
        report.target, report.target_from, report.target_schema
    );
    if report.truncated {
        let _ = writeln!(
            out,
            "      the target tables were emptied first (--truncate)"
        );
    }
    out.push('\n');
    let width = report
        .tables
        .iter()
        .map(|t| t.table.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(
        out,
        "{:<width$}  {:>10}  {:>10}  {:<16}  {:<16}  ",
        "table", "read", "written", "sqlite sum", "postgresql sum"
    );
    for t in &report.tables {
        let _ = writeln!(
            out,
            "{:<width$}  {:>10}  {:>10}  {:<16}  {:<16}  {}",
            t.table,
            thousands(t.rows_read),
            thousands(t.rows_written),
            &t.checksum_source[..16],
            &t.checksum_target[..16],
            if t.verified { "ok" } else { "DIFFERENT" }
        );
    }
    out.push('\n');
    for s in &report.sequences {
        match (&s.sequence, s.next_value) {
            (Some(seq), Some(next)) => {
                let _ = writeln!(
                    out,
                    "sequence {seq} set: the next \"{}\".\"{}\" is {next}",
                    s.table, s.column
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "\"{}\".\"{}\" is autoincrement in the schema but has no sequence in the target; nothing set",
                    s.table, s.column
                );
            }
        }
    }
    let _ = writeln!(out, "foreign keys: {}", report.foreign_keys);
    for d in &report.deferred_updates {
        let _ = writeln!(
            out,
            "\"{}\".({}) loaded as NULL first and set afterwards for {} rows (foreign key {} is part of a cycle)",
            d.table,
            d.columns.join(", "),
            thousands(d.rows),
            d.constraint
        );
    }
    for s in &report.skipped {
        let _ = writeln!(out, "not copied: {}: {}", s.table, s.reason);
    }
    let rate = if report.seconds > 0.0 {
        report.rows as f64 / report.seconds
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "{}: {} rows in {} tables, {:.2} s ({} rows/s)",
        if report.status == "copied" {
            "copied and verified, committed"
        } else {
            "VERIFICATION FAILED, rolled back: nothing was written"
        },
        thousands(report.rows),
        report.tables.len(),
        report.seconds,
        thousands(rate as u64)
    );
    out
}

/// The values that could not be converted.
pub fn bad_values(values: &[BadValue], count: usize) -> String {
    let mut out = String::new();
    for v in values {
        let _ = writeln!(
            out,
            "\"{}\".\"{}\" at {}: {}: {}",
            v.table, v.column, v.row, v.value, v.reason
        );
    }
    if count > values.len() {
        let _ = writeln!(out, "... and {} more", count - values.len());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_000), "1,000");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
