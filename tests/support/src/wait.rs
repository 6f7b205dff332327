//! Waiting on a condition under a deadline: tests never sleep to synchronise.

use std::future::Future;
use std::time::{Duration, Instant};

/// Long enough for a loaded 2-core machine, short enough to fail a broken test promptly.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Calls `probe` until it returns `Ok`, and panics once `deadline` has passed, naming `what` was
/// awaited and the last state the probe reported through `Err`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last_state) if started.elapsed() > deadline => {
                panic!("timed out after {deadline:?} waiting for {what}; last state: {last_state}")
            }
            Err(_) => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_first_success() {
        let mut calls = 0;
        let value = eventually("the third call", Duration::from_secs(5), || {
            calls += 1;
            let result = if calls >= 3 {
                Ok(calls)
            } else {
                Err(format!("call {calls}"))
            };
            async move { result }
        })
        .await;
        assert_eq!(value, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "waiting for never; last state: still no")]
    async fn panics_with_the_last_state_after_the_deadline() {
        eventually::<(), _, _>("never", Duration::from_millis(120), || async {
            Err("still no".to_string())
        })
        .await;
    }
}
