//! [`App`]: the adapters behind the ports, built once from [`Config`].

use std::sync::Arc;

use blobs::fs::FsBlobStore;
use blobs::{BlobError, BlobStore};
use domain::PhoneNumber;
use messaging::sink::{MailSink, SmsSink};
use messaging::{Mailer, SmsSender};
use sha2::Digest as _;
use store::embedded::EmbeddedStore;
use store::repo::RepoError;
use store::{Key, Store, StoreError};

use crate::config::{BlobConfig, Config, ConfigError, StoreConfig};

/// Everything a request handler or job needs, cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn BlobStore>,
    /// Set when blobs are local files: the HTTP server serves their signed URLs.
    pub local_blobs: Option<FsBlobStore>,
    /// The embedded store, when that is the store (for its TTL sweeper).
    pub embedded: Option<EmbeddedStore>,
    /// This deployment's number-pool / edge region.
    pub region: String,
    pub sms: Arc<dyn SmsSender>,
    pub mail: Arc<dyn Mailer>,
    /// Sender of platform SMS when a tenant has no representative number.
    pub sms_sender: PhoneNumber,
    /// SIP digest realm.
    pub sip_realm: String,
    /// Cookies get `Secure` (the deployment is reached over https).
    pub secure_cookies: bool,
    /// Outbound messages per second per tenant.
    pub sms_rate: i64,
    /// Key carriers sign inbound-SMS webhooks with (OFFICE_INBOUND_SECRET;
    /// locally derived from the data directory's secret).
    pub inbound_secret: Vec<u8>,
    /// Kakao business-message provider client (accounts are per tenant).
    pub kakao: messaging::kakao::KakaoHttp,
    /// Wakes the outbox dispatcher after a send is accepted (SQS on AWS).
    pub outbox_kick: Option<Arc<dyn messaging::Kick>>,
    /// Speaks ARS prompts (espeak-ng locally, Polly on AWS), each text once
    /// per voice: cached in memory and in the blob store.
    pub speech: Arc<speech::Cached>,
    /// Where staged call events are published (SNS on AWS, `live` locally).
    pub events: Arc<dyn events::Publisher>,
    /// In-process events: the webhook intake is attached; streams subscribe.
    pub live: events::Local,
    /// Whether published events reach `live` in this process (streams are
    /// woken by it, rather than reading the log each second as on AWS).
    pub live_fed: bool,
    /// Webhook endpoints may be `http://` on the loopback (local product, tests).
    pub webhooks_loopback: bool,
    /// Wakes the in-process webhook dispatcher.
    pub webhook_kick: Arc<tokio::sync::Notify>,
    pub webhook_http: reqwest::Client,
    /// SMS go to the local sink (not a carrier): the portal lets the admin
    /// choose numbers it refuses, to try failures.
    pub local_sms_sink: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "the data directory {dir} is in use by another office process (stop it first): {detail}"
    )]
    DataDirInUse { dir: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error("{0}")]
    Invalid(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("{0} needs the `aws` feature of the app crate")]
    NoAws(&'static str),
}

impl App {
    /// What each Lambda function does at a cold start: JSON logs (level
    /// from `RUST_LOG`, no timestamps: CloudWatch adds them), then the
    /// adapters from the environment (`Config::from_env`).
    #[cfg(feature = "aws")]
    pub async fn for_lambda() -> Result<Self, AppError> {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .without_time()
            .init();
        let cfg = Config::from_env()?;
        let public_url = cfg.public_url.clone().unwrap_or_default();
        Self::open(&cfg, &public_url).await
    }

    /// Builds the adapters. `public_url` is where this process is reached
    /// (local download links start with it).
    pub async fn open(cfg: &Config, public_url: &str) -> Result<Self, AppError> {
        let (store, embedded): (Arc<dyn Store>, Option<EmbeddedStore>) = match &cfg.store {
            StoreConfig::Embedded { path } => {
                // Everything local lives in the data directory: ours alone.
                blobs::private::dir(&cfg.data_dir).map_err(|source| AppError::Io {
                    context: format!("creating the data directory {}", cfg.data_dir.display()),
                    source,
                })?;
                let s = EmbeddedStore::open(path).map_err(|e| match e {
                    StoreError::Backend(detail)
                        if detail.contains("already open") || detail.contains("lock") =>
                    {
                        AppError::DataDirInUse {
                            dir: cfg.data_dir.display().to_string(),
                            detail,
                        }
                    }
                    other => AppError::Store(other),
                })?;
                (Arc::new(s.clone()), Some(s))
            }
            StoreConfig::Dynamo { table } => (dynamo(table).await?, None),
        };
        let mut local_secret = Vec::new();
        let (blobs, local_blobs): (Arc<dyn BlobStore>, Option<FsBlobStore>) = match &cfg.blobs {
            BlobConfig::Fs { root } => {
                let secret = crate::secret::load_or_create(&cfg.data_dir).map_err(|source| {
                    AppError::Io {
                        context: "reading the signing secret".into(),
                        source,
                    }
                })?;
                let fs = FsBlobStore::new(root, public_url, &secret)?;
                // A separate key for webhooks, derived so it survives restarts.
                local_secret = hex::encode(sha2::Sha256::digest(
                    [b"inbound-sms:".as_slice(), &secret].concat(),
                ))
                .into_bytes();
                (Arc::new(fs.clone()), Some(fs))
            }
            BlobConfig::S3 { bucket, path_style } => (s3(bucket, *path_style).await?, None),
        };
        let (sms, mail): (Arc<dyn SmsSender>, Arc<dyn Mailer>) = if cfg.aws_messaging {
            aws_messaging(&cfg.mail_from).await?
        } else {
            (
                Arc::new(SmsSink::new(store.clone())),
                Arc::new(MailSink::new(store.clone(), cfg.mail_from.clone())),
            )
        };
        let sms_sender = PhoneNumber::parse(&cfg.sms_sender)
            .map_err(|e| AppError::Invalid(format!("OFFICE_SMS_SENDER: {e}")))?;
        let tts: Arc<dyn speech::Tts> = match &cfg.tts {
            crate::config::TtsConfig::Espeak => Arc::new(speech::Espeak::new()),
            crate::config::TtsConfig::Polly { voice } => polly(voice).await?,
        };
        let (live, webhook_kick) = local_events(&store);
        let events: Arc<dyn events::Publisher> = match &cfg.events_topic {
            Some(arn) => sns_events(arn).await?,
            None => Arc::new(live.clone()),
        };
        Ok(Self {
            speech: Arc::new(speech::Cached::new(tts, Some(blobs.clone()))),
            events,
            live,
            live_fed: cfg.events_topic.is_none(),
            webhooks_loopback: cfg.webhooks_loopback,
            webhook_kick,
            webhook_http: crate::webhooks::client(),
            local_sms_sink: !cfg.aws_messaging,
            store,
            blobs,
            local_blobs,
            embedded,
            region: cfg.region.clone(),
            sms,
            mail,
            sms_sender,
            sip_realm: cfg.sip_realm.clone(),
            // Only a plain-http address (the local product) drops `Secure`.
            secure_cookies: !public_url.starts_with("http://"),
            sms_rate: crate::dispatch::RATE_PER_SECOND,
            inbound_secret: cfg
                .inbound_secret
                .clone()
                .map_or_else(|| local_secret.clone(), String::into_bytes),
            kakao: messaging::kakao::KakaoHttp::new(),
            outbox_kick: match &cfg.sms_queue_url {
                Some(url) => Some(sqs_kick(url).await?),
                None => None,
            },
        })
    }

    /// An app over an in-memory store and blobs in `dir` (tests).
    pub fn in_memory(dir: &std::path::Path, public_url: &str) -> Result<Self, AppError> {
        Self::over(Arc::new(EmbeddedStore::in_memory()?), dir, public_url)
    }

    /// An app over any store (tests run the same cases on every adapter),
    /// with blobs in `dir` and the local message sinks.
    pub fn over(
        store: Arc<dyn Store>,
        dir: &std::path::Path,
        public_url: &str,
    ) -> Result<Self, AppError> {
        let fs = FsBlobStore::new(&dir.join("blobs"), public_url, &[42u8; 32])?;
        let blobs: Arc<dyn BlobStore> = Arc::new(fs.clone());
        let (live, webhook_kick) = local_events(&store);
        Ok(Self {
            events: Arc::new(live.clone()),
            live,
            live_fed: true,
            webhooks_loopback: true,
            webhook_kick,
            webhook_http: crate::webhooks::client(),
            local_sms_sink: true,
            speech: Arc::new(speech::Cached::new(
                Arc::new(speech::Espeak::new()),
                Some(blobs.clone()),
            )),
            sms: Arc::new(SmsSink::new(store.clone())),
            mail: Arc::new(MailSink::new(store.clone(), "no-reply@office.example")),
            store,
            blobs,
            local_blobs: Some(fs),
            embedded: None,
            region: "kr".into(),
            sms_sender: PhoneNumber::parse("1588-0070")
                .map_err(|e| AppError::Invalid(e.to_string()))?,
            sip_realm: "office".into(),
            // Only a plain-http address (the local product) drops `Secure`.
            secure_cookies: !public_url.starts_with("http://"),
            sms_rate: crate::dispatch::RATE_PER_SECOND,
            inbound_secret: b"test-inbound-secret".to_vec(),
            kakao: messaging::kakao::KakaoHttp::new(),
            outbox_kick: None,
        })
    }

    /// Checks the store answers (a strongly consistent read of a key that never exists).
    pub async fn check_store(&self) -> Result<(), AppError> {
        self.store.get(&Key::new("#HEALTH", "#PROBE")).await?;
        Ok(())
    }
}

/// In-process events with the webhook intake and the statistics
/// aggregator attached.
fn local_events(store: &Arc<dyn Store>) -> (events::Local, Arc<tokio::sync::Notify>) {
    let live = events::Local::new();
    let kick = Arc::new(tokio::sync::Notify::new());
    live.attach(Arc::new(crate::webhooks::Intake::new(
        store.clone(),
        kick.clone(),
    )));
    live.attach(Arc::new(crate::stats::Aggregator::new(store.clone())));
    (live, kick)
}

#[cfg(feature = "aws")]
async fn sns_events(arn: &str) -> Result<Arc<dyn events::Publisher>, AppError> {
    let client = events::sns::Client::new(&aws_config().await);
    Ok(Arc::new(events::sns::SnsPublisher::new(client, arn)))
}

#[cfg(not(feature = "aws"))]
async fn sns_events(_arn: &str) -> Result<Arc<dyn events::Publisher>, AppError> {
    Err(AppError::NoAws("OFFICE_EVENTS_TOPIC_ARN"))
}

#[cfg(feature = "aws")]
async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

#[cfg(feature = "aws")]
async fn polly(voice: &str) -> Result<Arc<dyn speech::Tts>, AppError> {
    let client = aws_sdk_polly::Client::new(&aws_config().await);
    Ok(Arc::new(speech::Polly::new(client, voice)))
}

#[cfg(not(feature = "aws"))]
async fn polly(_voice: &str) -> Result<Arc<dyn speech::Tts>, AppError> {
    Err(AppError::NoAws("OFFICE_TTS=polly"))
}

#[cfg(feature = "aws")]
async fn dynamo(table: &str) -> Result<Arc<dyn Store>, AppError> {
    let client = store::dynamodb::Client::new(&aws_config().await);
    Ok(Arc::new(store::dynamodb::DynamoStore::new(client, table)))
}

#[cfg(feature = "aws")]
async fn s3(bucket: &str, path_style: bool) -> Result<Arc<dyn BlobStore>, AppError> {
    let conf = aws_config().await;
    let client = blobs::s3::Client::from_conf(
        blobs::s3::ConfigBuilder::from(&conf)
            .force_path_style(path_style)
            .build(),
    );
    Ok(Arc::new(blobs::s3::S3BlobStore::new(client, bucket)))
}

#[cfg(feature = "aws")]
async fn aws_messaging(from: &str) -> Result<(Arc<dyn SmsSender>, Arc<dyn Mailer>), AppError> {
    let conf = aws_config().await;
    Ok((
        Arc::new(messaging::aws::SnsSms::new(messaging::aws::SnsClient::new(
            &conf,
        ))),
        Arc::new(messaging::aws::SesMail::new(
            messaging::aws::SesClient::new(&conf),
            from,
        )),
    ))
}

#[cfg(feature = "aws")]
async fn sqs_kick(url: &str) -> Result<Arc<dyn messaging::Kick>, AppError> {
    let conf = aws_config().await;
    Ok(Arc::new(messaging::aws::SqsKick::new(
        messaging::aws::SqsClient::new(&conf),
        url,
    )))
}

#[cfg(not(feature = "aws"))]
async fn sqs_kick(_url: &str) -> Result<Arc<dyn messaging::Kick>, AppError> {
    Err(AppError::NoAws("OFFICE_SMS_QUEUE_URL"))
}

#[cfg(not(feature = "aws"))]
async fn aws_messaging(_from: &str) -> Result<(Arc<dyn SmsSender>, Arc<dyn Mailer>), AppError> {
    Err(AppError::NoAws("OFFICE_MESSAGING=aws"))
}

#[cfg(not(feature = "aws"))]
async fn dynamo(_table: &str) -> Result<Arc<dyn Store>, AppError> {
    Err(AppError::NoAws("OFFICE_STORE=dynamodb"))
}

#[cfg(not(feature = "aws"))]
async fn s3(_bucket: &str, _path_style: bool) -> Result<Arc<dyn BlobStore>, AppError> {
    Err(AppError::NoAws("OFFICE_BLOBS=s3"))
}
