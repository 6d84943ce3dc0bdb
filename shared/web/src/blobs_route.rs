//! `GET /blobs/<key>?exp=..&sig=..`: serves local blobs through signed,
//! expiring links, as S3 serves presigned URLs (only with local blobs).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use blobs::fs::{DownloadError, SignedQuery};

use crate::ApiError;

pub(crate) async fn download(
    State(app): State<app::App>,
    Path(key): Path<String>,
    query: Result<Query<SignedQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Some(local) = &app.local_blobs else {
        return Err(ApiError::not_found("blobs are not served here"));
    };
    let Ok(Query(q)) = query else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "link_invalid",
            "the link is missing its signature",
        ));
    };
    match local.open_signed(&key, &q).await {
        Ok(blob) => {
            let mut headers = vec![
                (header::CONTENT_TYPE, blob.content_type),
                (header::CACHE_CONTROL, "private, max-age=60".to_owned()),
            ];
            if let Some(name) = &q.name {
                headers.push((
                    header::CONTENT_DISPOSITION,
                    blobs::content_disposition(name),
                ));
            }
            let mut resp = blob.bytes.into_response();
            for (k, v) in headers {
                if let Ok(v) = header::HeaderValue::from_str(&v) {
                    resp.headers_mut().insert(k, v);
                }
            }
            Ok(resp)
        }
        Err(DownloadError::Expired) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "link_expired",
            "the link has expired",
        )),
        Err(DownloadError::BadSignature) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "link_invalid",
            "the link's signature is not valid",
        )),
        Err(DownloadError::NotFound) => Err(ApiError::not_found("no such object")),
        Err(DownloadError::Blob(blobs::BlobError::InvalidKey { .. })) => {
            Err(ApiError::not_found("no such object"))
        }
        Err(DownloadError::Blob(e)) => Err(ApiError::internal(&e)),
    }
}
