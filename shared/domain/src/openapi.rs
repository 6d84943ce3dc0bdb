//! How the validated text types look in the HTTP API's OpenAPI document.
//!
//! They serialize as plain strings (their own `Serialize`), so the schema
//! is written here rather than derived: a string with the format or
//! pattern the type's `parse` accepts.

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};

fn text(description: &str, format: Option<SchemaFormat>, pattern: Option<&str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .format(format)
        .pattern(pattern)
        .into()
}

macro_rules! string_schema {
    ($ty:ty, $description:expr, $format:expr, $pattern:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                text($description, $format, $pattern)
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}

string_schema!(
    crate::PhoneNumber,
    "A Korean phone number as digits (e.g. 07012345678, 01012345678), or +E.164 abroad",
    None,
    None
);
string_schema!(
    crate::Email,
    "An e-mail address",
    Some(SchemaFormat::KnownFormat(KnownFormat::Email)),
    None
);
string_schema!(
    crate::Extension,
    "An internal extension (내선번호): 4 digits",
    None,
    Some("^[0-9]{4}$")
);
string_schema!(
    crate::calendar::Date,
    "A calendar date, YYYY-MM-DD",
    Some(SchemaFormat::KnownFormat(KnownFormat::Date)),
    None
);
string_schema!(
    crate::calendar::LocalTime,
    "A time of day, HH:MM (24 hours)",
    None,
    Some("^[0-9]{2}:[0-9]{2}$")
);
string_schema!(
    crate::calendar::TimeZone,
    "An IANA time zone name (Asia/Seoul, America/Los_Angeles, Asia/Ho_Chi_Minh, UTC, ...)",
    None,
    None
);
string_schema!(
    crate::HttpsUrl,
    "An absolute https:// URL",
    Some(SchemaFormat::Custom("uri".into())),
    None
);
string_schema!(
    crate::webhook::WebhookUrl,
    "Where deliveries go: https:// (or http:// to loopback where allowed)",
    Some(SchemaFormat::Custom("uri".into())),
    None
);
string_schema!(crate::TenantId, "A tenant (company) id", None, None);
string_schema!(crate::AccountId, "An account id", None, None);
string_schema!(crate::EdgeId, "A media edge id, e.g. seoul-1", None, None);
string_schema!(crate::HuntGroupId, "A hunt group id", None, None);
string_schema!(crate::IvrId, "An ARS scenario id", None, None);
string_schema!(crate::CallbackId, "A callback request id", None, None);
