//! Blobs in an S3 bucket; download URLs are presigned GETs.

use std::time::Duration;

use async_trait::async_trait;
pub use aws_sdk_s3::Client;
pub use aws_sdk_s3::config::Builder as ConfigBuilder;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

use crate::{
    Blob, BlobError, BlobKey, BlobMeta, BlobResult, BlobStore, check_filename, check_ttl,
    content_disposition,
};

/// The S3 [`BlobStore`].
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

impl S3BlobStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// Creates the bucket (local servers and tests; on AWS the template does).
    pub async fn create_bucket(client: &Client, bucket: &str) -> BlobResult<()> {
        let mut req = client.create_bucket().bucket(bucket);
        // Outside us-east-1, S3 wants the bucket's region spelled out.
        if let Some(region) = client.config().region().map(|r| r.as_ref().to_owned())
            && region != "us-east-1"
        {
            req = req.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                        region.as_str(),
                    ))
                    .build(),
            );
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.code(),
                    Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(map_sdk(e)),
        }
    }
}

fn map_sdk<E, R>(e: SdkError<E, R>) -> BlobError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = DisplayErrorContext(&e).to_string();
    match &e {
        SdkError::ServiceError(se) => match se.err().code() {
            Some("SlowDown" | "ServiceUnavailable" | "InternalError" | "RequestTimeout") => {
                BlobError::Unavailable(detail)
            }
            _ => BlobError::Backend(detail),
        },
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            BlobError::Unavailable(detail)
        }
        _ => BlobError::Backend(detail),
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> BlobResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(map_sdk)?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> BlobResult<Option<Blob>> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
        {
            Ok(out) => out,
            Err(SdkError::ServiceError(se)) if se.err().is_no_such_key() => return Ok(None),
            Err(e) => return Err(map_sdk(e)),
        };
        let content_type = out
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| BlobError::Unavailable(e.to_string()))?
            .into_bytes();
        Ok(Some(Blob {
            bytes,
            content_type,
        }))
    }

    async fn delete(&self, key: &BlobKey) -> BlobResult<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(map_sdk)?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> BlobResult<Vec<BlobMeta>> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(map_sdk)?;
            for obj in page.contents() {
                if let Some(key) = obj.key() {
                    out.push(BlobMeta {
                        key: key.to_owned(),
                        size: obj.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    });
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn download_url(
        &self,
        key: &BlobKey,
        ttl: Duration,
        filename: Option<&str>,
    ) -> BlobResult<String> {
        check_ttl(ttl)?;
        let mut req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str());
        if let Some(n) = filename {
            check_filename(n)?;
            req = req.response_content_disposition(content_disposition(n));
        }
        let conf =
            PresigningConfig::expires_in(ttl).map_err(|e| BlobError::Invalid(e.to_string()))?;
        let presigned = req.presigned(conf).await.map_err(map_sdk)?;
        Ok(presigned.uri().to_owned())
    }
}
