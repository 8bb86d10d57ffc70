//! The `lifecycle:` block of `process.host` and `process.service` → [`Lifecycle`].
//!
//! ```yaml
//! lifecycle:
//!   auto_start: true        # start at boot (default false)
//!   start_timeout: 10s      # durations: Go-style text, or whole milliseconds
//!   stop_timeout: 10s
//!   stable_threshold: 5s    # running this long resets the restart count
//!   requires: [db.service]  # services started first (legacy name: depends_on)
//!   startup: required       # or optional: may fail to start on its own
//!   restart:
//!     initial_delay: 1s     # the first delay, times backoff_factor after each failure,
//!     max_delay: 90s        # at most max_delay, each ± jitter (a fraction of it)
//!     backoff_factor: 2.0
//!     jitter: 0.1
//!     max_attempts: 0       # 0 = unlimited
//!     intensity: 5          # luabox's OTP-style limit: more than 5 restarts
//!     period: 10s           # within 10s gives up (both or neither)
//! ```
//!
//! Every field is optional; the defaults are the reference runtime's (none for the intensity
//! limit). A `requires` id without `:` is in the entry's namespace; that it names a service, and
//! that needs have no cycle, is checked once all files are read (`validate.rs`).

use std::time::Duration;

use super::build::Reference;
use super::fields::{self, problem};
use super::id::EntryId;
use super::kinds::LIFECYCLE_KINDS;
use super::yaml::{Node, Problem};

#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    /// Start at boot.
    pub auto_start: bool,
    pub start_timeout: Duration,
    pub stop_timeout: Duration,
    /// Running this long resets the restart count.
    pub stable_threshold: Duration,
    /// Services started before this one and stopped after it: `requires` and its legacy name
    /// `depends_on` together, deduplicated, in written order.
    pub requires: Vec<EntryId>,
    pub startup: Startup,
    pub restart: RestartPolicy,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            auto_start: false,
            start_timeout: Duration::from_secs(10),
            stop_timeout: Duration::from_secs(10),
            stable_threshold: Duration::from_secs(5),
            requires: Vec::new(),
            startup: Startup::Required,
            restart: RestartPolicy::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Startup {
    /// Failing to start fails the app.
    Required,
    /// May fail to start, or degrade, on its own.
    Optional,
}

/// The delay before restart n (from 0) is `initial_delay × backoff_factor^n`, at most
/// `max_delay`, then moved by up to ± `jitter` of itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestartPolicy {
    pub initial_delay: Duration,
    pub max_delay: Duration,
    /// At least 1.
    pub backoff_factor: f64,
    /// In `0..=1`.
    pub jitter: f64,
    /// Restarts before giving up; 0 means no limit.
    pub max_attempts: u32,
    pub intensity: Option<Intensity>,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(90),
            backoff_factor: 2.0,
            jitter: 0.1,
            max_attempts: 0,
            intensity: None,
        }
    }
}

/// OTP's restart intensity: more than `max_restarts` restarts within `period` gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intensity {
    pub max_restarts: u32,
    pub period: Duration,
}

const FIELDS: &[&str] = &[
    "auto_start",
    "start_timeout",
    "stop_timeout",
    "stable_threshold",
    "requires",
    "depends_on",
    "startup",
    "restart",
    "security",
];
const RESTART_FIELDS: &[&str] = &[
    "initial_delay",
    "max_delay",
    "backoff_factor",
    "jitter",
    "max_attempts",
    "intensity",
    "period",
];

/// The block of an entry in namespace `ns`, when it is valid; its `requires` go to `refs`.
pub fn parse(
    node: &Node,
    ns: &str,
    refs: &mut Vec<Reference>,
    problems: &mut Vec<Problem>,
) -> Option<Lifecycle> {
    let mut lifecycle = Lifecycle::default();
    let before = problems.len();
    fields::each_field(
        "lifecycle",
        node,
        problems,
        |key, value, field, problems| {
            match key.text.as_str() {
                "auto_start" => fields::boolean(field, value).map(|b| lifecycle.auto_start = b),
                "start_timeout" => {
                    fields::duration(field, value).map(|d| lifecycle.start_timeout = d)
                }
                "stop_timeout" => {
                    fields::duration(field, value).map(|d| lifecycle.stop_timeout = d)
                }
                "stable_threshold" => {
                    fields::duration(field, value).map(|d| lifecycle.stable_threshold = d)
                }
                "startup" => startup(field, value).map(|s| lifecycle.startup = s),
                "requires" | "depends_on" if value.is_null() => Ok(()),
                "requires" | "depends_on" => fields::string_list(field, value).map(|ids| {
                    for (text, line) in ids {
                        match EntryId::resolve(&text, ns) {
                            Ok(target) if lifecycle.requires.contains(&target) => {}
                            Ok(target) => {
                                lifecycle.requires.push(target.clone());
                                refs.push(Reference {
                                    label: field.to_owned(),
                                    target,
                                    line,
                                    expect: &LIFECYCLE_KINDS,
                                });
                            }
                            Err(e) => problems.push(problem(line, format!("{field}: {e}"))),
                        }
                    }
                }),
                "restart" => {
                    if let Some(policy) = restart(value, problems) {
                        lifecycle.restart = policy;
                    }
                    Ok(())
                }
                // luabox has no security module yet: there is no context to apply it to.
                "security" => Ok(()),
                _ => Err(fields::unknown("lifecycle", key, FIELDS)),
            }
        },
    );
    (problems.len() == before).then_some(lifecycle)
}

fn startup(field: &str, node: &Node) -> Result<Startup, Problem> {
    match fields::string(field, node).as_deref() {
        Ok("required") => Ok(Startup::Required),
        Ok("optional") => Ok(Startup::Optional),
        _ => Err(problem(
            node.line,
            format!(
                "field '{field}' must be required or optional, not {}",
                fields::describe(node)
            ),
        )),
    }
}

fn restart(node: &Node, problems: &mut Vec<Problem>) -> Option<RestartPolicy> {
    let mut policy = RestartPolicy::default();
    let (mut max_restarts, mut period) = (None, None);
    let before = problems.len();
    let entries = fields::each_field(
        "lifecycle.restart",
        node,
        problems,
        |key, value, field, _| match key.text.as_str() {
            "initial_delay" => fields::duration(field, value).map(|d| policy.initial_delay = d),
            "max_delay" => fields::duration(field, value).map(|d| policy.max_delay = d),
            "backoff_factor" => number_where(field, value, "at least 1", |n| n >= 1.0)
                .map(|n| policy.backoff_factor = n),
            "jitter" => number_where(field, value, "between 0 and 1", |n| {
                (0.0..=1.0).contains(&n)
            })
            .map(|n| policy.jitter = n),
            "max_attempts" => fields::bounded_u32(field, value, 0).map(|n| policy.max_attempts = n),
            "intensity" => fields::bounded_u32(field, value, 0).map(|n| max_restarts = Some(n)),
            "period" => fields::duration(field, value).map(|d| period = Some(d)),
            _ => Err(fields::unknown("lifecycle.restart", key, RESTART_FIELDS)),
        },
    )?;
    let given = |name: &str| fields::find(entries, name).map(|(key, _)| key);
    let lone = match (given("intensity"), given("period")) {
        (Some(key), None) => Some((key, "period")),
        (None, Some(key)) => Some((key, "intensity")),
        _ => None,
    };
    if let Some((key, missing)) = lone {
        problems.push(problem(
            key.line,
            format!(
                "field 'lifecycle.restart.{}' needs 'lifecycle.restart.{missing}' beside it \
                 (more than 'intensity' restarts within 'period' gives up)",
                key.text
            ),
        ));
    }
    policy.intensity = max_restarts
        .zip(period)
        .map(|(max_restarts, period)| Intensity {
            max_restarts,
            period,
        });
    (problems.len() == before).then_some(policy)
}

/// A number `ok` accepts; else "field 'x' must be `expected`, got n".
fn number_where(
    field: &str,
    node: &Node,
    expected: &str,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, Problem> {
    let n = fields::number(field, node)?;
    if ok(n) {
        Ok(n)
    } else {
        Err(problem(
            node.line,
            format!("field '{field}' must be {expected}, got {n}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    /// Problems as (line, message).
    type Problems = Vec<(usize, String)>;

    /// The block written after `lifecycle:` in namespace `app`, with its requires' lines.
    fn lifecycle(text: &str) -> Result<(Lifecycle, Vec<usize>), Problems> {
        let root = yaml::parse(&format!("lifecycle: {text}\n"))
            .unwrap()
            .root
            .unwrap();
        let (mut refs, mut problems) = (Vec::new(), Vec::new());
        match parse(
            root.get("lifecycle").unwrap(),
            "app",
            &mut refs,
            &mut problems,
        ) {
            Some(parsed) if problems.is_empty() => {
                Ok((parsed, refs.iter().map(|r| r.line).collect()))
            }
            _ => Err(problems.into_iter().map(|p| (p.line, p.message)).collect()),
        }
    }

    fn error(text: &str) -> Problems {
        lifecycle(text).expect_err("a problem")
    }

    #[test]
    fn defaults() {
        let expected = Lifecycle {
            auto_start: false,
            start_timeout: Duration::from_secs(10),
            stop_timeout: Duration::from_secs(10),
            stable_threshold: Duration::from_secs(5),
            requires: Vec::new(),
            startup: Startup::Required,
            restart: RestartPolicy {
                initial_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(90),
                backoff_factor: 2.0,
                jitter: 0.1,
                max_attempts: 0,
                intensity: None,
            },
        };
        assert_eq!(Lifecycle::default(), expected);
        assert_eq!(lifecycle("").unwrap().0, expected);
        assert_eq!(lifecycle("{}").unwrap().0, expected);
        assert_eq!(lifecycle("{restart: ~, requires: ~}").unwrap().0, expected);
    }

    #[test]
    fn requires_and_its_legacy_name_resolve_and_deduplicate() {
        let (parsed, lines) =
            lifecycle("\n  requires: [a, other:b]\n  depends_on:\n    - a\n    - c\n").unwrap();
        let ids: Vec<String> = parsed.requires.iter().map(ToString::to_string).collect();
        assert_eq!(ids, ["app:a", "other:b", "app:c"]);
        assert_eq!(lines, [2, 2, 5]);
        assert_eq!(
            error("{requires: [\"a:b:c\"]}"),
            [(
                1,
                "lifecycle.requires: invalid entry id 'a:b:c': invalid name 'b:c' (use letters, \
                 digits, '.', '_' and '-')"
                    .into()
            )]
        );
    }

    #[test]
    fn unknown_fields_suggest_the_nearest() {
        assert_eq!(
            error("\n  auto_strat: true\n  restart:\n    max_atempts: 3\n"),
            [
                (
                    2,
                    "unknown field 'lifecycle.auto_strat' (expected one of: auto_start, \
                     start_timeout, stop_timeout, stable_threshold, requires, depends_on, startup, \
                     restart, security); did you mean 'auto_start'?"
                        .into()
                ),
                (
                    4,
                    "unknown field 'lifecycle.restart.max_atempts' (expected one of: \
                     initial_delay, max_delay, backoff_factor, jitter, max_attempts, intensity, \
                     period); did you mean 'max_attempts'?"
                        .into()
                ),
            ]
        );
    }

    #[test]
    fn bad_values_at_their_lines() {
        assert_eq!(
            error(
                "\n  start_timeout: soon\n  stop_timeout: 0s\n  startup: maybe\n  auto_start: 1\n"
            ),
            [
                (
                    2,
                    "field 'lifecycle.start_timeout' must be a duration such as 250ms, 1.5s or 1m \
                     (or whole milliseconds), not 'soon'"
                        .into()
                ),
                (
                    3,
                    "field 'lifecycle.stop_timeout' must be greater than zero".into()
                ),
                (
                    4,
                    "field 'lifecycle.startup' must be required or optional, not 'maybe'".into()
                ),
                (
                    5,
                    "field 'lifecycle.auto_start' must be true or false, not a number".into()
                ),
            ]
        );
        assert_eq!(
            error("[auto_start]"),
            [(1, "field 'lifecycle' must be a mapping, not a list".into())]
        );
        assert_eq!(
            error("{restart: 3}"),
            [(
                1,
                "field 'lifecycle.restart' must be a mapping, not a number".into()
            )]
        );
    }

    #[test]
    fn restart_numbers_have_ranges() {
        assert_eq!(
            error("\n  restart:\n    backoff_factor: 0.5\n    jitter: 1.5\n    max_attempts: -1\n"),
            [
                (
                    3,
                    "field 'lifecycle.restart.backoff_factor' must be at least 1, got 0.5".into()
                ),
                (
                    4,
                    "field 'lifecycle.restart.jitter' must be between 0 and 1, got 1.5".into()
                ),
                (
                    5,
                    "field 'lifecycle.restart.max_attempts' must be a whole number ≥ 0, not '-1'"
                        .into()
                ),
            ]
        );
        let restart = lifecycle("{restart: {backoff_factor: 1, jitter: 1}}")
            .unwrap()
            .0
            .restart;
        assert_eq!((restart.backoff_factor, restart.jitter), (1.0, 1.0));
    }

    #[test]
    fn intensity_and_period_go_together() {
        let restart = lifecycle("{restart: {intensity: 5, period: 10s}}")
            .unwrap()
            .0
            .restart;
        assert_eq!(
            restart.intensity,
            Some(Intensity {
                max_restarts: 5,
                period: Duration::from_secs(10)
            })
        );
        assert_eq!(
            error("\n  restart:\n    intensity: 5\n"),
            [(
                3,
                "field 'lifecycle.restart.intensity' needs 'lifecycle.restart.period' beside it \
                 (more than 'intensity' restarts within 'period' gives up)"
                    .into()
            )]
        );
        assert_eq!(
            error("{restart: {period: 10s}}"),
            [(
                1,
                "field 'lifecycle.restart.period' needs 'lifecycle.restart.intensity' beside it \
                 (more than 'intensity' restarts within 'period' gives up)"
                    .into()
            )]
        );
    }
}
