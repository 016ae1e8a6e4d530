//! Fact conditions: the small expressions in a rule's `when.facts` and
//! `adjust.facts`, such as `npm_oidc == no`, `token == empty|absent`,
//! `npm_version < 11.5.1`, `log_date >= 2025-12-09`, `publish_reached`, `!provenance_signed`.
//!
//! A comparison with a fact the log does not tell is false, except `!=`, which is
//! true: "not known to be X". `!name` is true when the fact is false or unknown.

use crate::facts::{FACT_NAMES, FACT_VALUES, Facts, Value, Version};

#[derive(Clone, Debug, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    source: String,
    fact: String,
    test: Test,
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Test {
    Truthy,
    Falsy,
    Compare(Op, Vec<String>),
}

impl Condition {
    /// Parses one condition; the error says what is wrong with it.
    pub fn parse(src: &str) -> Result<Condition, String> {
        let s = src.trim();
        if s.is_empty() {
            return Err("empty condition".into());
        }
        let ops = [("==", Op::Eq), ("!=", Op::Ne), ("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)];
        let found = ops.iter().find_map(|(sym, op)| s.find(sym).map(|i| (i, sym.len(), op.clone())));
        let (fact, test) = match found {
            Some((i, len, op)) => {
                let fact = s[..i].trim();
                let value = s[i + len..].trim();
                if value.is_empty() {
                    return Err(format!("`{s}` has no value after the operator"));
                }
                let values: Vec<String> = value.split('|').map(|v| v.trim().trim_matches('"').to_string()).collect();
                if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) && values.len() != 1 {
                    return Err(format!("`{s}`: an ordering compares with one value"));
                }
                (fact, Test::Compare(op, values))
            }
            None => match s.strip_prefix('!') {
                Some(f) => (f.trim(), Test::Falsy),
                None => (s, Test::Truthy),
            },
        };
        if !FACT_NAMES.iter().any(|(n, _)| *n == fact) {
            let known: Vec<&str> = FACT_NAMES.iter().map(|(n, _)| *n).collect();
            return Err(format!("unknown fact `{fact}` (known: {})", known.join(", ")));
        }
        if let (Test::Compare(_, values), Some((_, vocabulary))) = (&test, FACT_VALUES.iter().find(|(n, _)| *n == fact))
        {
            if let Some(bad) = values.iter().find(|v| !vocabulary.contains(&v.as_str())) {
                return Err(format!("`{s}`: `{fact}` is never `{bad}` (its values: {})", vocabulary.join(", ")));
            }
        }
        Ok(Condition { source: s.to_string(), fact: fact.to_string(), test })
    }

    /// The fact the condition reads.
    pub fn fact(&self) -> &str {
        &self.fact
    }

    pub fn holds(&self, facts: &Facts) -> bool {
        let value = facts.get(&self.fact);
        match &self.test {
            Test::Truthy => match value {
                Some(Value::Bool(b)) => b,
                Some(_) => true,
                None => false,
            },
            Test::Falsy => !matches!(value, Some(Value::Bool(true)) | Some(Value::Text(_)) | Some(Value::Version(_))),
            Test::Compare(op, wanted) => {
                let Some(value) = value else {
                    return *op == Op::Ne;
                };
                let any_eq = wanted.iter().any(|w| equals(&value, w));
                match op {
                    Op::Eq => any_eq,
                    Op::Ne => !any_eq,
                    _ => ordering(&value, &wanted[0]).is_some_and(|o| match op {
                        Op::Lt => o.is_lt(),
                        Op::Le => o.is_le(),
                        Op::Gt => o.is_gt(),
                        Op::Ge => o.is_ge(),
                        _ => unreachable!("equality handled above"),
                    }),
                }
            }
        }
    }
}

fn equals(value: &Value, wanted: &str) -> bool {
    match value {
        Value::Bool(b) => wanted.parse::<bool>().is_ok_and(|w| w == *b),
        Value::Text(t) => t == wanted,
        Value::Version(v) => Version::parse(wanted).is_some_and(|w| w == *v),
    }
}

fn ordering(value: &Value, wanted: &str) -> Option<std::cmp::Ordering> {
    match value {
        Value::Version(v) => Version::parse(wanted).map(|w| v.cmp(&w)),
        Value::Text(t) => Some(t.as_str().cmp(wanted)),
        Value::Bool(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{StepFacts, TokenEcho};

    fn facts() -> Facts {
        Facts {
            setup_node_npm: Some(Version(10, 8, 2)),
            steps: vec![StepFacts {
                name: "Publish".into(),
                env_seen: true,
                failed: true,
                node_auth_token: Some(TokenEcho::Empty),
                ..StepFacts::default()
            }],
            failed_step: Some(0),
            log_date: Some("2025-12-10".into()),
            ..Facts::default()
        }
    }

    #[test]
    fn compares_versions_dates_and_alternatives() {
        let f = facts();
        let holds = |s: &str| Condition::parse(s).unwrap().holds(&f);
        assert!(holds("npm_version < 11.5.1"));
        assert!(!holds("npm_version >= 11.5.1"));
        assert!(holds("npm_oidc == no"));
        assert!(holds("token == empty|absent"));
        assert!(!holds("token == secret"));
        assert!(holds("log_date >= 2025-12-09"));
        assert!(holds("runner != self-hosted"));
        assert!(!holds("runner == self-hosted"));
        assert!(!holds("publish_reached"));
        assert!(holds("!publish_reached"));
        assert!(holds("!runner"));
    }

    #[test]
    fn rejects_unknown_facts_and_bad_syntax() {
        assert!(Condition::parse("npm_vesrion < 11").unwrap_err().contains("unknown fact"));
        assert!(Condition::parse("token ==").is_err());
        assert!(Condition::parse("npm_version < 1|2").is_err());
    }
}
