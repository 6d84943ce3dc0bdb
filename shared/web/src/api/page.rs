//! Lists page the same way everywhere: `limit` (1 to 200, 50 unless
//! given) and `next_token`, which each page answers (`null` on the last).
//! The store pages the big collections itself (accounts, calls, received
//! SMS, webhook deliveries); the ones a company keeps few of (hunt
//! groups, ARS scenarios, API keys, webhook endpoints, callback requests,
//! a period's SMS) are read whole and cut here, the token naming where the
//! next page starts.

use serde::Deserialize;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 200 (50 when not given).
    pub limit: Option<usize>,
    /// The previous page's `next_token`, for the page after it.
    pub next_token: Option<String>,
}

impl PageQuery {
    /// The page size asked for, refused outside 1 to 200.
    pub fn limit(&self) -> Result<usize, app::Fail> {
        limit_of(self.limit)
    }

    /// This page of a list read whole, and the token of the next.
    pub fn cut<T>(&self, items: Vec<T>) -> Result<(Vec<T>, Option<String>), app::Fail> {
        let limit = self.limit()?;
        let start = match self.next_token.as_deref() {
            None | Some("") => 0,
            Some(t) => t
                .strip_prefix('o')
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    app::Fail::malformed(
                        "invalid_next_token",
                        "next_token",
                        "next_token is not one this list answered",
                    )
                })?,
        };
        let end = start.saturating_add(limit);
        let next = (items.len() > end).then(|| format!("o{end}"));
        let page = items.into_iter().skip(start).take(limit).collect();
        Ok((page, next))
    }
}

/// A page size as a list's query gives it (50 when absent), refused
/// (400 `invalid_limit`) outside 1 to 200.
pub fn limit_of(limit: Option<usize>) -> Result<usize, app::Fail> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(app::Fail::malformed(
            "invalid_limit",
            "limit",
            format!("limit must be 1 to {MAX_LIMIT}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(limit: Option<usize>, token: Option<&str>) -> PageQuery {
        PageQuery {
            limit,
            next_token: token.map(str::to_owned),
        }
    }

    #[test]
    fn pages_through_a_whole_list() {
        let items: Vec<u32> = (0..5).collect();
        let (a, next) = q(Some(2), None).cut(items.clone()).expect("page");
        assert_eq!((a, next.as_deref()), (vec![0, 1], Some("o2")));
        let (b, next) = q(Some(2), next.as_deref())
            .cut(items.clone())
            .expect("page");
        assert_eq!((b, next.as_deref()), (vec![2, 3], Some("o4")));
        let (c, next) = q(Some(2), next.as_deref())
            .cut(items.clone())
            .expect("page");
        assert_eq!((c, next), (vec![4], None));
        // Exactly a page: no token to an empty page.
        let (d, next) = q(Some(5), None).cut(items).expect("page");
        assert_eq!((d.len(), next), (5, None));
    }

    #[test]
    fn refuses_bad_limits_and_tokens() {
        for limit in [0, 201] {
            let e = q(Some(limit), None).cut(vec![1]).expect_err("refused");
            assert_eq!(e.code, "invalid_limit");
        }
        for t in ["2", "o", "o-1", "o0", "oxyz"] {
            let e = q(None, Some(t)).cut(vec![1]).expect_err("refused");
            assert_eq!(e.code, "invalid_next_token", "{t}");
        }
        // Past the end (the list shrank): an empty last page.
        let (p, next) = q(None, Some("o9")).cut(vec![1, 2]).expect("page");
        assert!(p.is_empty() && next.is_none());
    }
}
