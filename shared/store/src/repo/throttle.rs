//! Fixed-window counters for rate limits and lockouts (login failures per
//! e-mail and per address). Each window is one item that expires with it.

use crate::{Store, Update, keys, now_epoch_seconds};

use super::RepoResult;

/// The current window of `window_secs` and when it ends.
fn window(window_secs: i64) -> (i64, i64) {
    let now = now_epoch_seconds();
    let w = now / window_secs;
    (w, (w + 1) * window_secs)
}

/// Counts one more event for `subject`; returns the count in this window.
pub async fn hit(store: &dyn Store, subject: &str, window_secs: i64) -> RepoResult<i64> {
    let (w, ends) = window(window_secs);
    let item = store
        .update(
            &keys::throttle(subject, w),
            Update::new()
                .add("count", 1)
                .set(crate::ATTR_EXPIRES_AT, ends),
            None,
        )
        .await?;
    Ok(item.n("count").unwrap_or(1))
}

/// Events counted for `subject` in this window, and when the window ends.
pub async fn count(store: &dyn Store, subject: &str, window_secs: i64) -> RepoResult<(i64, i64)> {
    let (w, ends) = window(window_secs);
    let n = store
        .get(&keys::throttle(subject, w))
        .await?
        .and_then(|i| i.n("count"))
        .unwrap_or(0);
    Ok((n, ends))
}

/// Events counted for `subject` in this window and the one before (a
/// look back of one to two windows, so a long window's end does not
/// forget at once what just happened).
pub async fn count_recent(store: &dyn Store, subject: &str, window_secs: i64) -> RepoResult<i64> {
    let (w, _) = window(window_secs);
    let mut n = 0;
    for k in [w - 1, w] {
        n += store
            .get(&keys::throttle(subject, k))
            .await?
            .and_then(|i| i.n("count"))
            .unwrap_or(0);
    }
    Ok(n)
}

/// Forgets `subject`'s events in this window (after a successful login).
pub async fn clear(store: &dyn Store, subject: &str, window_secs: i64) -> RepoResult<()> {
    let (w, _) = window(window_secs);
    store.delete(&keys::throttle(subject, w), None).await?;
    Ok(())
}
