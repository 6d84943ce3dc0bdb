//! The app's configurable links (URL 관리, A6): the tenant's CI (logo) image
//! and up to two named menu links shown in the softphone's settings.

use serde::{Deserialize, Serialize};

/// An absolute `https://` URL of reasonable length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HttpsUrl(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("URL is empty")]
    Empty,
    #[error("URL is not valid: {0}")]
    Malformed(String),
    #[error("only https:// URLs are allowed")]
    NotHttps,
    #[error("URL is longer than 2000 characters")]
    TooLong,
    #[error("menu name must be 1 to 20 characters")]
    MenuName,
}

impl HttpsUrl {
    pub fn parse(input: &str) -> Result<Self, LinkError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(LinkError::Empty);
        }
        if s.len() > 2000 {
            return Err(LinkError::TooLong);
        }
        let u = url::Url::parse(s).map_err(|e| LinkError::Malformed(e.to_string()))?;
        if u.scheme() != "https" {
            return Err(LinkError::NotHttps);
        }
        if u.host_str().is_none_or(str::is_empty)
            || !u.username().is_empty()
            || u.password().is_some()
        {
            return Err(LinkError::Malformed(
                "needs a host and no user name or password".into(),
            ));
        }
        Ok(Self(u.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HttpsUrl {
    type Error = LinkError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<HttpsUrl> for String {
    fn from(u: HttpsUrl) -> Self {
        u.0
    }
}

/// A menu label in the app (공지사항, 기타...).
pub fn parse_menu_name(input: &str) -> Result<String, LinkError> {
    let s = input.trim();
    let n = s.chars().count();
    if n == 0 || n > 20 || s.chars().any(char::is_control) {
        return Err(LinkError::MenuName);
    }
    Ok(s.to_owned())
}

/// A menu entry of the app: a name and where it leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuLink {
    pub name: String,
    pub url: HttpsUrl,
}

/// Everything the app fetches at launch (C1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AppLinks {
    pub ci_url: Option<HttpsUrl>,
    /// At most two entries (notice, other), in display order.
    pub menus: Vec<MenuLink>,
}

pub const DEFAULT_NOTICE_NAME: &str = "공지사항";
pub const DEFAULT_OTHER_NAME: &str = "기타";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_urls_are_accepted_and_normalised() {
        assert_eq!(
            HttpsUrl::parse(" https://Company.co.kr/kor/notice ").map(|u| u.as_str().to_owned()),
            Ok("https://company.co.kr/kor/notice".into())
        );
    }

    #[test]
    fn plain_http_is_rejected() {
        assert_eq!(
            HttpsUrl::parse("http://company.co.kr/"),
            Err(LinkError::NotHttps)
        );
        assert_eq!(
            HttpsUrl::parse("javascript:alert(1)"),
            Err(LinkError::NotHttps)
        );
    }

    #[test]
    fn malformed_urls_are_rejected() {
        assert!(matches!(
            HttpsUrl::parse("company.co.kr"),
            Err(LinkError::Malformed(_))
        ));
        assert!(matches!(
            HttpsUrl::parse("https://user:pw@company.co.kr/"),
            Err(LinkError::Malformed(_))
        ));
        assert_eq!(HttpsUrl::parse(""), Err(LinkError::Empty));
        assert_eq!(
            HttpsUrl::parse(&format!("https://a.kr/{}", "x".repeat(2000))),
            Err(LinkError::TooLong)
        );
    }

    #[test]
    fn menu_names_are_short_labels() {
        assert_eq!(parse_menu_name(" 공지사항 "), Ok("공지사항".into()));
        assert_eq!(parse_menu_name(""), Err(LinkError::MenuName));
        assert_eq!(parse_menu_name(&"가".repeat(21)), Err(LinkError::MenuName));
    }
}
