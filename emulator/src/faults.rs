//! Fault injection rules: which calls they match, when they fire, and what they answer.

use serde::{Deserialize, Serialize};

/// Which endpoint family a rule applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultTarget {
    /// Requests under `/beta/`.
    Graph,
    /// The token endpoint and the discovery documents.
    Token,
    /// Both.
    #[default]
    Any,
}

/// How `Retry-After` is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RetryAfterFormat {
    /// Delta-seconds, e.g. `Retry-After: 3`.
    #[default]
    Seconds,
    /// An HTTP-date that many seconds in the future.
    HttpDate,
}

/// One fault injection rule. A rule *matches* a call by target, method and path; a matching call
/// *fires* the rule according to `every` and `times`. A firing rule adds its latency and, when it
/// has a `status`, answers the call instead of the emulator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FaultRule {
    pub target: FaultTarget,
    /// HTTP method, case-insensitive; absent matches any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Case-insensitive substring of the request path; absent matches any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_contains: Option<String>,
    /// Status to answer with (429, 500, 502, 503, 504, ...); absent means latency only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    pub retry_after_format: RetryAfterFormat,
    /// Overrides the OData `code` (Graph) or the OAuth `error` (token endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Fire on at most this many matching calls, then stay inert.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Fire only on every k-th matching call (the k-th, 2k-th, ...); absent or 0 means every call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every: Option<u32>,
    /// Answer with a redirect to this URL instead: `status` (307 when absent) with this
    /// `Location` and an empty body, as a misconfigured proxy or a hostile endpoint would.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_to: Option<String>,
    /// Answer with a JSON body of this many bytes (whitespace-padded), streamed in chunks
    /// without a `Content-Length`, with `status` (200 when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<u64>,
    /// Delay before the call is handled. A client that disconnects during it leaves the call
    /// unhandled (journaled with status 499): nothing changed in the emulator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Delay after the call has been handled (state changed, journal written) and before the
    /// answer is sent: a client that dies in this window never learns that its request was
    /// carried out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_after_ms: Option<u64>,
}

impl FaultRule {
    /// Whether a firing rule answers the call itself (rather than only delaying it).
    pub fn answers(&self) -> bool {
        self.status.is_some() || self.redirect_to.is_some() || self.body_bytes.is_some()
    }
}

/// A rule as listed by the admin API, with its counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRuleStatus {
    pub id: u64,
    pub rule: FaultRule,
    /// Calls that matched the rule.
    pub matched: u64,
    /// Calls on which the rule fired.
    pub fired: u64,
}

/// What the rules decided for one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultDecision {
    /// Before handling the call.
    pub latency_ms: u64,
    /// After handling the call, before answering it.
    pub delay_after_ms: u64,
    /// The rule that answers the call, if any.
    pub answer: Option<FaultRule>,
}

/// The installed rules, in the order they were added.
#[derive(Debug, Clone, Default)]
pub struct FaultBook {
    rules: Vec<FaultRuleStatus>,
    next_id: u64,
}

impl FaultBook {
    pub fn add(&mut self, rule: FaultRule) -> u64 {
        self.next_id += 1;
        self.rules.push(FaultRuleStatus {
            id: self.next_id,
            rule,
            matched: 0,
            fired: 0,
        });
        self.next_id
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn list(&self) -> Vec<FaultRuleStatus> {
        self.rules.clone()
    }

    /// Counts the call against every matching rule and decides its fate. The first firing rule
    /// that [answers](FaultRule::answers) does; latencies of all firing rules add up.
    pub fn decide(&mut self, target: FaultTarget, method: &str, path: &str) -> FaultDecision {
        let mut decision = FaultDecision::default();
        for entry in &mut self.rules {
            let rule = &entry.rule;
            if !matches(rule, target, method, path) {
                continue;
            }
            if rule
                .times
                .is_some_and(|times| entry.fired >= u64::from(times))
            {
                continue;
            }
            entry.matched += 1;
            let every = u64::from(rule.every.unwrap_or(1).max(1));
            if entry.matched % every != 0 {
                continue;
            }
            entry.fired += 1;
            decision.latency_ms += rule.latency_ms.unwrap_or(0);
            decision.delay_after_ms += rule.delay_after_ms.unwrap_or(0);
            if decision.answer.is_none() && rule.answers() {
                decision.answer = Some(rule.clone());
            }
        }
        decision
    }
}

fn matches(rule: &FaultRule, target: FaultTarget, method: &str, path: &str) -> bool {
    let target_ok = rule.target == FaultTarget::Any || rule.target == target;
    let method_ok = rule
        .method
        .as_deref()
        .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method));
    let path_ok = rule.path_contains.as_deref().is_none_or(|needle| {
        path.to_ascii_lowercase()
            .contains(&needle.to_ascii_lowercase())
    });
    target_ok && method_ok && path_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_rule(status: u16) -> FaultRule {
        FaultRule {
            status: Some(status),
            ..FaultRule::default()
        }
    }

    #[test]
    fn times_limits_the_firing_calls() {
        let mut book = FaultBook::default();
        book.add(FaultRule {
            times: Some(2),
            ..status_rule(429)
        });
        let fired: Vec<bool> = (0..3)
            .map(|_| {
                book.decide(FaultTarget::Graph, "GET", "/beta/x")
                    .answer
                    .is_some()
            })
            .collect();
        assert_eq!(fired, [true, true, false]);
    }

    #[test]
    fn every_fires_on_each_kth_call() {
        let mut book = FaultBook::default();
        book.add(FaultRule {
            every: Some(3),
            ..status_rule(503)
        });
        let fired: Vec<bool> = (0..6)
            .map(|_| {
                book.decide(FaultTarget::Token, "POST", "/t")
                    .answer
                    .is_some()
            })
            .collect();
        assert_eq!(fired, [false, false, true, false, false, true]);
    }

    #[test]
    fn redirects_and_oversized_bodies_answer_without_a_status() {
        let mut book = FaultBook::default();
        book.add(FaultRule {
            latency_ms: Some(1),
            ..FaultRule::default()
        });
        assert!(
            book.decide(FaultTarget::Token, "POST", "/t")
                .answer
                .is_none()
        );
        book.add(FaultRule {
            redirect_to: Some("http://127.0.0.1:1/elsewhere".to_owned()),
            times: Some(1),
            ..FaultRule::default()
        });
        book.add(FaultRule {
            target: FaultTarget::Graph,
            body_bytes: Some(10),
            times: Some(1),
            ..FaultRule::default()
        });
        let first = book.decide(FaultTarget::Token, "POST", "/t").answer;
        assert!(first.is_some_and(|rule| rule.redirect_to.is_some()));
        let second = book.decide(FaultTarget::Graph, "GET", "/beta/x").answer;
        assert!(second.is_some_and(|rule| rule.body_bytes == Some(10)));
    }

    #[test]
    fn delays_before_and_after_handling_add_up_separately() {
        let mut book = FaultBook::default();
        book.add(FaultRule {
            latency_ms: Some(10),
            delay_after_ms: Some(100),
            ..FaultRule::default()
        });
        book.add(FaultRule {
            delay_after_ms: Some(200),
            ..FaultRule::default()
        });
        let decision = book.decide(FaultTarget::Graph, "POST", "/beta/x");
        assert_eq!((decision.latency_ms, decision.delay_after_ms), (10, 300));
        assert!(decision.answer.is_none());
    }

    #[test]
    fn filters_on_target_method_and_path() {
        let mut book = FaultBook::default();
        book.add(FaultRule {
            target: FaultTarget::Graph,
            method: Some("patch".to_owned()),
            path_contains: Some("PROVISIONINGFLOWS".to_owned()),
            ..status_rule(500)
        });
        assert!(
            book.decide(FaultTarget::Token, "PATCH", "/provisioningFlows")
                .answer
                .is_none()
        );
        assert!(
            book.decide(FaultTarget::Graph, "GET", "/provisioningFlows")
                .answer
                .is_none()
        );
        assert!(
            book.decide(FaultTarget::Graph, "PATCH", "/flowsets")
                .answer
                .is_none()
        );
        assert!(
            book.decide(FaultTarget::Graph, "PATCH", "/x/provisioningFlows/1")
                .answer
                .is_some()
        );
    }
}
