//! One wait for everyone using a credential: after Graph throttles an application (429, or a 503
//! with Retry-After), no request of that credential leaves until the wait is over. One throttled
//! resource thereby slows every resource of the same tenant application, as Graph asks, instead of
//! each finding out with a 429 of its own.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::response::MAX_RETRY_AFTER;

/// Used when Graph throttles without saying for how long.
const DEFAULT_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub(crate) struct Throttle {
    until: Mutex<Option<Instant>>,
}

impl Throttle {
    /// How long requests must still wait, if at all.
    pub fn remaining(&self) -> Option<Duration> {
        let until = *self
            .until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        until
            .and_then(|until| until.checked_duration_since(Instant::now()))
            .filter(|wait| !wait.is_zero())
    }

    /// Records Graph's answer: a 429, or a 503 carrying Retry-After, holds every request back,
    /// for at most [`MAX_RETRY_AFTER`].
    pub fn observe(&self, status: u16, retry_after: Option<Duration>) {
        let wait = match (status, retry_after) {
            (429, wait) => wait.unwrap_or(DEFAULT_WAIT),
            (503, Some(wait)) => wait,
            _ => return,
        };
        let Some(candidate) = Instant::now().checked_add(wait.min(MAX_RETRY_AFTER)) else {
            return;
        };
        let mut until = self
            .until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if until.is_none_or(|current| current < candidate) {
            *until = Some(candidate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_holds_requests_back_for_its_retry_after() {
        let throttle = Throttle::default();
        assert_eq!(throttle.remaining(), None);
        throttle.observe(429, Some(Duration::from_secs(30)));
        let wait = throttle.remaining().expect("held back");
        assert!(
            wait > Duration::from_secs(29) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    }

    #[test]
    fn a_shorter_wait_never_shortens_a_longer_one() {
        let throttle = Throttle::default();
        throttle.observe(429, Some(Duration::from_secs(60)));
        throttle.observe(503, Some(Duration::from_secs(1)));
        assert!(throttle.remaining().expect("held back") > Duration::from_secs(59));
    }

    #[test]
    fn the_longest_wait_is_an_hour_and_nothing_overflows() {
        let throttle = Throttle::default();
        throttle.observe(429, Some(Duration::MAX));
        throttle.observe(503, Some(Duration::from_secs(u64::MAX)));
        let wait = throttle.remaining().expect("held back");
        assert!(
            wait <= MAX_RETRY_AFTER && wait > MAX_RETRY_AFTER - Duration::from_secs(1),
            "{wait:?}"
        );
    }

    #[test]
    fn other_answers_do_not_hold_anything_back() {
        let throttle = Throttle::default();
        throttle.observe(503, None);
        throttle.observe(500, Some(Duration::from_secs(10)));
        throttle.observe(404, None);
        assert_eq!(throttle.remaining(), None);
        throttle.observe(429, None);
        assert!(
            throttle.remaining().is_some(),
            "a 429 without Retry-After still waits a little"
        );
    }
}
