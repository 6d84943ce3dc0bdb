//! Configuration: one typed struct read from the environment once at start.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `OFFICE_DATA_DIR` | local data directory (redb file, blobs, secrets) | `./data` |
//! | `OFFICE_STORE` | `embedded` or `dynamodb` | `embedded` |
//! | `OFFICE_TABLE` | DynamoDB table name (with `dynamodb`) | — |
//! | `OFFICE_BLOBS` | `fs` or `s3` | `fs` |
//! | `OFFICE_BUCKET` | S3 bucket (with `s3`) | — |
//! | `OFFICE_S3_PATH_STYLE` | `1` for path-style S3 URLs (local S3 servers) | off |
//! | `OFFICE_REGION` | this deployment's number-pool / edge region | `kr` |
//! | `OFFICE_PUBLIC_URL` | base URL users reach this deployment at | from the bound address |
//! | `OFFICE_MESSAGING` | `sink` (record in the store) or `aws` (SNS + SES) | `sink` |
//! | `OFFICE_MAIL_FROM` | sender of confirmation mail | `no-reply@office.example` |
//! | `OFFICE_SMS_SENDER` | platform SMS sender when a tenant has no 대표번호 | `1588-0070` |
//! | `OFFICE_INBOUND_SECRET` | HMAC key of inbound-SMS webhooks | derived from the local secret |
//! | `OFFICE_SMS_QUEUE_URL` | SQS queue waking the SMS dispatcher Lambda (AWS) | none: the local loop polls |
//! | `OFFICE_SIP_REALM` | SIP digest realm (part of stored digests: do not change casually) | `office` |
//!
//! AWS endpoints, credentials and region come from the usual `AWS_*`
//! variables through the SDK's default chain.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// redb file at this path.
    Embedded { path: PathBuf },
    /// DynamoDB table.
    Dynamo { table: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobConfig {
    /// Files under this directory.
    Fs { root: PathBuf },
    /// An S3 bucket.
    S3 { bucket: String, path_style: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub data_dir: PathBuf,
    pub store: StoreConfig,
    pub blobs: BlobConfig,
    pub region: String,
    pub public_url: Option<String>,
    /// Real SNS/SES (`true`) or the local sinks.
    pub aws_messaging: bool,
    pub mail_from: String,
    pub sms_sender: String,
    pub sip_realm: String,
    /// Secret carriers sign inbound-SMS webhooks with.
    pub inbound_secret: Option<String>,
    /// SQS queue that wakes the SMS dispatcher Lambda (AWS only).
    pub sms_queue_url: Option<String>,
    /// Who speaks ARS prompts.
    pub tts: TtsConfig,
    /// The SNS topic call events are published to (AWS); locally they go
    /// to in-process consumers.
    pub events_topic: Option<String>,
    /// Webhook endpoints may be `http://` on this machine's loopback
    /// (`OFFICE_WEBHOOKS_LOOPBACK`; on by default with the embedded store,
    /// never wanted on AWS).
    pub webhooks_loopback: bool,
}

/// The text-to-speech engine (`OFFICE_TTS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TtsConfig {
    /// Debian `espeak-ng -v ko` on this machine (`espeak`, the default).
    Espeak,
    /// Amazon Polly with this Korean voice (`polly` for Seoyeon, or
    /// `polly:<voice>`).
    Polly { voice: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{var} must be one of {allowed}; got {got:?}")]
    Choice {
        var: &'static str,
        allowed: &'static str,
        got: String,
    },
    #[error("{var} is required when {because}")]
    Missing {
        var: &'static str,
        because: &'static str,
    },
    #[error("{var} is not valid: {why}")]
    Invalid { var: &'static str, why: String },
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(get("OFFICE_DATA_DIR").unwrap_or_else(|| "data".into()));
        let store = match get("OFFICE_STORE").as_deref().unwrap_or("embedded") {
            "embedded" => StoreConfig::Embedded {
                path: data_dir.join("office.redb"),
            },
            "dynamodb" => StoreConfig::Dynamo {
                table: get("OFFICE_TABLE").ok_or(ConfigError::Missing {
                    var: "OFFICE_TABLE",
                    because: "OFFICE_STORE=dynamodb",
                })?,
            },
            other => {
                return Err(ConfigError::Choice {
                    var: "OFFICE_STORE",
                    allowed: "embedded, dynamodb",
                    got: other.to_owned(),
                });
            }
        };
        let blobs = match get("OFFICE_BLOBS").as_deref().unwrap_or("fs") {
            "fs" => BlobConfig::Fs {
                root: data_dir.join("blobs"),
            },
            "s3" => BlobConfig::S3 {
                bucket: get("OFFICE_BUCKET").ok_or(ConfigError::Missing {
                    var: "OFFICE_BUCKET",
                    because: "OFFICE_BLOBS=s3",
                })?,
                path_style: matches!(get("OFFICE_S3_PATH_STYLE").as_deref(), Some("1" | "true")),
            },
            other => {
                return Err(ConfigError::Choice {
                    var: "OFFICE_BLOBS",
                    allowed: "fs, s3",
                    got: other.to_owned(),
                });
            }
        };
        let region = get("OFFICE_REGION").unwrap_or_else(|| "kr".into());
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ConfigError::Invalid {
                var: "OFFICE_REGION",
                why: "use lower-case letters, digits and '-'".into(),
            });
        }
        let public_url = get("OFFICE_PUBLIC_URL")
            .map(|u| {
                url_ok(&u)
                    .then(|| u.trim_end_matches('/').to_owned())
                    .ok_or(ConfigError::Invalid {
                        var: "OFFICE_PUBLIC_URL",
                        why: "must start with http:// or https://".into(),
                    })
            })
            .transpose()?;
        let aws_messaging = match get("OFFICE_MESSAGING").as_deref().unwrap_or("sink") {
            "sink" => false,
            "aws" => true,
            other => {
                return Err(ConfigError::Choice {
                    var: "OFFICE_MESSAGING",
                    allowed: "sink, aws",
                    got: other.to_owned(),
                });
            }
        };
        let mail_from = get("OFFICE_MAIL_FROM").unwrap_or_else(|| "no-reply@office.example".into());
        domain::Email::parse(&mail_from).map_err(|e| ConfigError::Invalid {
            var: "OFFICE_MAIL_FROM",
            why: e.to_string(),
        })?;
        let sms_sender = get("OFFICE_SMS_SENDER").unwrap_or_else(|| "1588-0070".into());
        domain::PhoneNumber::parse(&sms_sender).map_err(|e| ConfigError::Invalid {
            var: "OFFICE_SMS_SENDER",
            why: e.to_string(),
        })?;
        let sip_realm = get("OFFICE_SIP_REALM").unwrap_or_else(|| "office".into());
        let tts = match get("OFFICE_TTS").as_deref().unwrap_or("espeak") {
            "espeak" => TtsConfig::Espeak,
            "polly" => TtsConfig::Polly {
                voice: "Seoyeon".into(),
            },
            other => match other.strip_prefix("polly:") {
                Some(voice) if !voice.is_empty() => TtsConfig::Polly {
                    voice: voice.to_owned(),
                },
                _ => {
                    return Err(ConfigError::Choice {
                        var: "OFFICE_TTS",
                        allowed: "espeak, polly, polly:<voice>",
                        got: other.to_owned(),
                    });
                }
            },
        };
        let webhooks_loopback = match get("OFFICE_WEBHOOKS_LOOPBACK").as_deref() {
            Some("1" | "true") => true,
            Some("0" | "false") => false,
            Some(other) => {
                return Err(ConfigError::Choice {
                    var: "OFFICE_WEBHOOKS_LOOPBACK",
                    allowed: "0, 1, true, false",
                    got: other.to_owned(),
                });
            }
            None => matches!(store, StoreConfig::Embedded { .. }),
        };
        Ok(Self {
            data_dir,
            store,
            blobs,
            region,
            public_url,
            aws_messaging,
            mail_from,
            sms_sender,
            sip_realm,
            inbound_secret: get("OFFICE_INBOUND_SECRET"),
            sms_queue_url: get("OFFICE_SMS_QUEUE_URL"),
            events_topic: get("OFFICE_EVENTS_TOPIC_ARN"),
            webhooks_loopback,
            tts,
        })
    }
}

fn url_ok(u: &str) -> bool {
    (u.starts_with("http://") || u.starts_with("https://")) && u.len() > "https://".len()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_embedded_local_product() {
        let c = cfg(&[]).expect("defaults");
        assert_eq!(
            c.store,
            StoreConfig::Embedded {
                path: PathBuf::from("data/office.redb")
            }
        );
        assert_eq!(
            c.blobs,
            BlobConfig::Fs {
                root: PathBuf::from("data/blobs")
            }
        );
        assert_eq!(c.region, "kr");
        assert_eq!(c.public_url, None);
    }

    #[test]
    fn aws_settings_are_read() {
        let c = cfg(&[
            ("OFFICE_STORE", "dynamodb"),
            ("OFFICE_TABLE", "office-dev"),
            ("OFFICE_BLOBS", "s3"),
            ("OFFICE_BUCKET", "office-dev-blobs"),
            ("OFFICE_PUBLIC_URL", "https://office.example.com/"),
        ])
        .expect("aws config");
        assert_eq!(
            c.store,
            StoreConfig::Dynamo {
                table: "office-dev".into()
            }
        );
        assert_eq!(
            c.blobs,
            BlobConfig::S3 {
                bucket: "office-dev-blobs".into(),
                path_style: false
            }
        );
        assert_eq!(c.public_url.as_deref(), Some("https://office.example.com"));
    }

    #[test]
    fn dynamodb_without_a_table_is_refused() {
        assert_eq!(
            cfg(&[("OFFICE_STORE", "dynamodb")]),
            Err(ConfigError::Missing {
                var: "OFFICE_TABLE",
                because: "OFFICE_STORE=dynamodb"
            })
        );
    }

    #[test]
    fn unknown_choices_are_refused() {
        assert!(matches!(
            cfg(&[("OFFICE_STORE", "postgres")]),
            Err(ConfigError::Choice { .. })
        ));
        assert!(matches!(
            cfg(&[("OFFICE_BLOBS", "gcs")]),
            Err(ConfigError::Choice { .. })
        ));
        assert!(matches!(
            cfg(&[("OFFICE_PUBLIC_URL", "ftp://x")]),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(matches!(
            cfg(&[("OFFICE_REGION", "KR")]),
            Err(ConfigError::Invalid { .. })
        ));
    }
}
