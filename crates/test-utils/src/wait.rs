//! Waiting with a time bound, and the tests' own logging.

use std::{future::Future, time::Duration};

/// How often [`wait_for`] and [`crate::wait_until_at_least`] check again.
pub const POLL: Duration = Duration::from_millis(250);

/// Polls `check` every [`POLL`] until it returns `Some`, for at most `limit`; panics with
/// `what` when the time runs out.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let polled = tokio::time::timeout(limit, async {
        loop {
            if let Some(value) = check().await {
                return value;
            }
            tokio::time::sleep(POLL).await;
        }
    })
    .await;
    polled.unwrap_or_else(|_| panic!("timed out waiting for {what} ({limit:?})"))
}

/// Logs of the test process itself, filtered by `RUST_LOG` and captured per test
/// (`RUST_LOG=mindos_miner=debug cargo test -p mindos-miner` shows what in-process miners
/// do). Safe to call from every test.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_first_value() {
        let mut calls = 0u32;
        let value = wait_for("the third call", Duration::from_secs(10), || {
            calls = calls.saturating_add(1);
            let n = calls;
            async move { (n >= 3).then_some(n) }
        })
        .await;
        assert_eq!(value, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "timed out waiting for nothing")]
    async fn panics_when_the_time_runs_out() {
        wait_for("nothing", Duration::from_millis(600), || async {
            None::<()>
        })
        .await;
    }
}
