//! Numbering defects of a policy text: clause numbers used twice, numbers
//! skipped, numbers out of order.

use kelisim_core::policy::{Section, Text};
use std::collections::{HashMap, HashSet};

/// One numbering defect. `at` values are indices in document order (the
/// order of [`kelisim_core::policy::clauses`]), so a caller that knows each
/// clause's source line can say where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defect {
    /// The clause id is used again at `at`; it was first used at `first`.
    Duplicate {
        /// The repeated id.
        clause: String,
        /// Where it is repeated.
        at: usize,
        /// Where it was first used.
        first: usize,
    },
    /// Clause ids that should come before the clause at `at` are missing.
    Gap {
        /// The missing ids, in order.
        missing: Vec<String>,
        /// The clause that follows the gap.
        at: usize,
        /// Its id.
        next: String,
        /// The clause before the gap at the same level, if any.
        prev: Option<String>,
    },
    /// The clause at `at` has a lower number than the one before it.
    OutOfOrder {
        /// Its id.
        clause: String,
        /// Where it is.
        at: usize,
        /// The id before it at the same level.
        after: String,
    },
}

impl Defect {
    /// The document-order index the defect is reported at.
    pub fn at(&self) -> usize {
        match self {
            Defect::Duplicate { at, .. } | Defect::Gap { at, .. } | Defect::OutOfOrder { at, .. } => *at,
        }
    }

    /// A one-line description; `line` turns an index into a source line when known.
    pub fn describe(&self, line: &dyn Fn(usize) -> Option<usize>) -> String {
        match self {
            Defect::Duplicate { clause, first, .. } => match line(*first) {
                Some(l) => format!("clause {clause} is numbered twice (first at line {l})"),
                None => format!("clause {clause} is numbered twice"),
            },
            Defect::Gap { missing, next, prev, .. } => {
                let what = if missing.len() == 1 {
                    format!("clause {} is missing", missing[0])
                } else if missing.len() <= 4 {
                    format!("clauses {} are missing", missing.join(", "))
                } else {
                    format!("clauses {} to {} are missing", missing[0], missing[missing.len() - 1])
                };
                match prev {
                    Some(p) => format!("{what} ({p} is followed by {next})"),
                    None => format!("{what} (the numbering starts at {next})"),
                }
            }
            Defect::OutOfOrder { clause, after, .. } => format!("clause {clause} comes after {after} (out of order)"),
        }
    }
}

/// Finds the numbering defects of `text`, in document order.
pub fn defects(text: &Text) -> Vec<Defect> {
    let mut out = Vec::new();
    let mut walk = Walk { index: 0, seen: HashMap::new(), reported: HashSet::new(), out: &mut out };
    walk.level(&text.sections, None);
    out.sort_by_key(Defect::at);
    out
}

struct Walk<'a> {
    index: usize,
    seen: HashMap<String, usize>,
    reported: HashSet<String>,
    out: &'a mut Vec<Defect>,
}

impl Walk<'_> {
    fn level(&mut self, sections: &[Section], parent: Option<&str>) {
        let mut prev: u64 = 0;
        let mut prev_clause: Option<String> = None;
        let prefix = parent.map(|p| format!("{p}.")).unwrap_or_default();
        for s in sections {
            let at = self.index;
            self.index += 1;
            if let Some(&first) = self.seen.get(&s.clause) {
                self.out.push(Defect::Duplicate { clause: s.clause.clone(), at, first });
            } else {
                self.seen.insert(s.clause.clone(), at);
                let rel = s.clause.strip_prefix(prefix.as_str()).unwrap_or(&s.clause);
                let parts: Vec<&str> = rel.split('.').collect();
                let n: u64 = parts[0].parse().unwrap_or(0);
                // `3.4.1` directly under `3`: `3.4` itself is missing.
                if parts.len() > 1 {
                    let mut id = prefix.clone();
                    let mut missing = Vec::new();
                    for part in &parts[..parts.len() - 1] {
                        id.push_str(part);
                        if !self.seen.contains_key(&id) && self.reported.insert(id.clone()) {
                            missing.push(id.clone());
                        }
                        id.push('.');
                    }
                    if !missing.is_empty() {
                        self.out.push(Defect::Gap { missing, at, next: s.clause.clone(), prev: prev_clause.clone() });
                    }
                }
                if n > prev + 1 {
                    let missing: Vec<String> = (prev + 1..n)
                        .map(|k| format!("{prefix}{k}"))
                        .filter(|id| self.reported.insert(id.clone()))
                        .collect();
                    if !missing.is_empty() {
                        self.out.push(Defect::Gap { missing, at, next: s.clause.clone(), prev: prev_clause.clone() });
                    }
                } else if n < prev {
                    if let Some(after) = &prev_clause {
                        self.out.push(Defect::OutOfOrder { clause: s.clause.clone(), at, after: after.clone() });
                    }
                }
                prev = prev.max(n);
                prev_clause = Some(s.clause.clone());
            }
            self.level(&s.sections, Some(&s.clause));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelisim_core::policy::Section;

    fn sec(clause: &str, subs: Vec<Section>) -> Section {
        Section { clause: clause.into(), number: format!("{clause}."), heading: None, blocks: vec![], sections: subs }
    }

    fn text(sections: Vec<Section>) -> Text {
        Text { title: "t".into(), intro: vec![], sections }
    }

    #[test]
    fn duplicates_gaps_and_disorder() {
        let t = text(vec![
            sec("1", vec![sec("1.1", vec![]), sec("1.2", vec![])]),
            sec("2", vec![sec("2.2", vec![]), sec("2.3", vec![sec("2.3.1", vec![]), sec("2.3.3", vec![])])]),
            sec("3", vec![sec("3.4", vec![]), sec("3.4", vec![sec("3.4.1", vec![])]), sec("3.5.1", vec![])]),
            sec("5", vec![]),
            sec("4", vec![]),
        ]);
        let d = defects(&t);
        let lines = |i: usize| Some(i * 10);
        let said: Vec<String> = d.iter().map(|d| d.describe(&lines)).collect();
        assert_eq!(
            said,
            [
                "clause 2.1 is missing (the numbering starts at 2.2)",
                "clause 2.3.2 is missing (2.3.1 is followed by 2.3.3)",
                "clauses 3.1, 3.2, 3.3 are missing (the numbering starts at 3.4)",
                "clause 3.4 is numbered twice (first at line 90)",
                "clause 3.5 is missing (3.4 is followed by 3.5.1)",
                "clause 4 is missing (3 is followed by 5)",
                "clause 4 comes after 5 (out of order)",
            ]
        );
        assert!(defects(&text(vec![sec("1", vec![sec("1.1", vec![])]), sec("2", vec![])])).is_empty());
    }
}
