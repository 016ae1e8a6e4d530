//! Fact conditions: the small expressions in a rule's `when.facts` and
//! `adjust.facts`, such as `npm_oidc == no`, `token == empty|absent`,
//! `npm_version < 11.5.1`, `log_date >= 2025-12-09`, `publish_reached`, `!provenance_signed`.
//!
//! A comparison with a fact the log does not tell is false, except `!=`, which is
//! true: "not known to be X". `!name` is true when the fact is false or unknown.

use crate::facts::{FACTS, Facts, Kind, Value, Version};

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
        let Some(def) = crate::facts::fact(fact) else {
            let known: Vec<&str> = FACTS.iter().map(|f| f.name).collect();
            return Err(format!("unknown fact `{fact}` (known: {})", known.join(", ")));
        };
        if let Test::Compare(op, values) = &test {
            check_values(s, def.name, def.kind, op, values)?;
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

/// Whether `fact`, a fact of `kind`, can be compared with `values` by `op`: a
/// flag is tested by name alone, a closed vocabulary only names its own words,
/// and only versions and dates have an order.
fn check_values(src: &str, fact: &str, kind: Kind, op: &Op, values: &[String]) -> Result<(), String> {
    let ordering = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
    match kind {
        Kind::Flag => Err(format!("`{src}`: `{fact}` is true or false: write `{fact}` or `!{fact}`")),
        Kind::Words(_) | Kind::Text if ordering => {
            Err(format!("`{src}`: `{fact}` has no order; compare it with `==` or `!=`"))
        }
        Kind::Words(vocabulary) => match values.iter().find(|v| !vocabulary.contains(&v.as_str())) {
            Some(bad) => Err(format!("`{src}`: `{fact}` is never `{bad}` (its values: {})", vocabulary.join(", "))),
            None => Ok(()),
        },
        Kind::Text => Ok(()),
        Kind::Version => match values.iter().find(|v| Version::parse(v).is_none()) {
            Some(bad) => Err(format!("`{src}`: `{bad}` is not a version such as 11.5.1")),
            None => Ok(()),
        },
        Kind::Date => match values.iter().find(|v| !is_date(v)) {
            Some(bad) => Err(format!("`{src}`: `{bad}` is not a date written YYYY-MM-DD")),
            None => Ok(()),
        },
    }
}

/// `YYYY-MM-DD`, as `log_date` holds it.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
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

    #[test]
    fn a_condition_must_suit_the_kind_of_its_fact() {
        let err = |s: &str| Condition::parse(s).unwrap_err();
        assert!(err("publisher == bunn").contains("is never `bunn`"));
        assert!(err("token == secert").contains("its values: secret"));
        assert!(err("publish_reached == yes").contains("write `publish_reached` or `!publish_reached`"));
        assert!(err("token >= secret").contains("has no order"));
        assert!(err("publish_registry < registry.npmjs.org").contains("has no order"));
        assert!(err("npm_version < eleven").contains("not a version"));
        assert!(err("log_date >= 2025-12").contains("not a date"));
        assert!(Condition::parse("npm_error_code == E404|ENEEDAUTH").is_ok());
        assert!(Condition::parse("node_version >= 22.22.2").is_ok());
        assert!(Condition::parse("log_date < 2025-12-09").is_ok());
    }

    #[test]
    fn every_fact_reads_the_kind_of_value_it_declares() {
        // A log that sets every kind of value at once would be contrived; the
        // declared kind of each fact that has a value here must fit that value.
        let f = facts();
        for def in FACTS {
            let Some(value) = (def.read)(&f) else { continue };
            let fits = match (def.kind, &value) {
                (Kind::Flag, Value::Bool(_)) | (Kind::Version, Value::Version(_)) | (Kind::Text, Value::Text(_)) => {
                    true
                }
                (Kind::Words(words), Value::Text(t)) => words.contains(&t.as_str()),
                (Kind::Date, Value::Text(t)) => is_date(t),
                _ => false,
            };
            assert!(fits, "fact `{}` declares {:?} but read {value:?}", def.name, def.kind);
        }
    }
}
