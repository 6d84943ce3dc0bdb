//! 문자발송 (A3, U5, C6, A4): accepting a send into the durable outbox,
//! the history (검색조건 / 검색결과 / 내역확인), resending the failed ones,
//! and settlement (정산관리).

use domain::calendar::{Date, TimeZone};
use domain::sms::{self, MessageKind, SmsError, Won10};
use domain::{Account, AccountId, PhoneKind, PhoneNumber, Role, TenantId};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use store::now_epoch_seconds;
use store::repo::messages::{self, Batch, Delivery};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

/// The most recipients one send may have.
pub const MAX_RECIPIENTS: usize = 10_000;

/// What the sender typed.
#[derive(Debug, Clone, Default)]
pub struct SendInput {
    /// Numbers as typed (hyphens optional); duplicates are dropped.
    pub recipients: Vec<String>,
    pub text: String,
    pub subject: Option<String>,
    /// JPEG images (MMS).
    pub images: Vec<bytes::Bytes>,
    /// Send as Kakao Alimtalk with this template (falls back to SMS/LMS).
    pub alimtalk_template: Option<String>,
}

/// One refused recipient entry (1-based position in the list or file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipientError {
    pub position: usize,
    pub value: String,
    pub message: String,
}

pub fn sms_error_ko(e: &SmsError) -> String {
    match e {
        SmsError::Empty => "내용을 입력해 주세요".into(),
        SmsError::Unsupported { ch, position, .. } => {
            format!("{position}번째 글자 '{ch}'는 문자로 보낼 수 없습니다 (이모지 등)")
        }
        SmsError::TooLong { bytes, max } => {
            format!("내용이 {bytes}byte입니다. 최대 {max}byte까지 보낼 수 있습니다")
        }
        SmsError::SubjectTooLong { bytes, max } => {
            format!("제목이 {bytes}byte입니다. 최대 {max}byte입니다")
        }
        SmsError::TooManyImages { got, max } => {
            format!("이미지는 {max}개까지 첨부할 수 있습니다 ({got}개)")
        }
    }
}

/// Parses, validates and de-duplicates recipients; mobile-capable numbers only.
pub fn recipients(raw: &[String]) -> Result<Vec<PhoneNumber>, Vec<RecipientError>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut errors = Vec::new();
    for (i, v) in raw.iter().enumerate() {
        if v.trim().is_empty() {
            continue;
        }
        match PhoneNumber::parse(v) {
            Ok(n) if matches!(n.kind(), PhoneKind::Mobile | PhoneKind::Internet) => {
                if seen.insert(n.clone()) {
                    out.push(n);
                }
            }
            Ok(n) => errors.push(RecipientError {
                position: i + 1,
                value: v.clone(),
                message: format!(
                    "{} 문자를 받을 수 없는 번호입니다",
                    crate::labels::josa(&n.to_string(), crate::labels::Josa::EunNeun)
                ),
            }),
            Err(e) => errors.push(RecipientError {
                position: i + 1,
                value: v.clone(),
                message: format!(
                    "번호 형식이 올바르지 않습니다: {}",
                    crate::labels::phone_error(&e)
                ),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[derive(Debug)]
pub enum SendError {
    Fail(Fail),
    Recipients(Vec<RecipientError>),
}

impl From<Fail> for SendError {
    fn from(f: Fail) -> Self {
        SendError::Fail(f)
    }
}

/// The partition a batch created at `ms` is kept in: its month in Korea,
/// a storage key whatever zone the company reads its history in.
fn month_of(ms: i64) -> String {
    let d = TimeZone::seoul().date_of_ms(ms);
    d.map_or_else(
        || "197001".into(),
        |d| format!("{:04}{:02}", d.year(), d.month()),
    )
}

/// The number a sender's messages go out from: the tenant's representative
/// number for admins, else the user's 070 number, else their mobile.
pub async fn sender_number(app: &App, a: &Account, as_admin: bool) -> Outcome<PhoneNumber> {
    if as_admin {
        let t = crate::admin::tenant(app, &a.tenant).await?;
        return t.representative_number.ok_or_else(|| {
            Fail::new(
                FailKind::Conflict,
                "no_sender",
                "회사 대표번호가 등록되어 있지 않아 보낼 수 없습니다",
            )
        });
    }
    a.number
        .clone()
        .or_else(|| a.mobile.clone())
        .ok_or_else(|| {
            Fail::new(
                FailKind::Conflict,
                "no_sender",
                "할당된 번호나 인증된 휴대폰 번호가 없어 보낼 수 없습니다",
            )
        })
}

/// Who a send goes out as.
#[derive(Debug, Clone)]
pub struct Sender {
    pub tenant: TenantId,
    /// The account (or `api` for integrators) whose history it joins.
    pub account: String,
    pub from: PhoneNumber,
    /// Sent for the company (representative number, admin history).
    pub as_admin: bool,
}

/// Accepts a send from a portal user or the app: the sender number follows
/// the rules of [`sender_number`].
pub async fn accept(
    app: &App,
    a: &Account,
    as_admin: bool,
    input: SendInput,
    idempotency_key: Option<&str>,
) -> Result<Batch, SendError> {
    if as_admin && a.role != Role::Admin {
        return Err(Fail::forbidden("관리자만 대표번호로 보낼 수 있습니다").into());
    }
    let from = sender_number(app, a, as_admin).await?;
    accept_as(
        app,
        &Sender {
            tenant: a.tenant.clone(),
            account: a.id.to_string(),
            from,
            as_admin,
        },
        input,
        idempotency_key,
    )
    .await
}

/// Accepts a send: validates everything, stores images, writes the batch and
/// one queued delivery per recipient. With an idempotency key the batch id is
/// derived from it, so a retried request writes nothing new.
pub async fn accept_as(
    app: &App,
    sender: &Sender,
    input: SendInput,
    idempotency_key: Option<&str>,
) -> Result<Batch, SendError> {
    let subject = input.subject.clone().filter(|s| !s.trim().is_empty());
    let comp = sms::compose(&input.text, subject.as_deref(), input.images.len())
        .map_err(|e| Fail::bad("invalid_message", "text", sms_error_ko(&e)))?;
    // Alimtalk carries up to 1,000 characters; its SMS/LMS fallback must fit too.
    let kind_label = match &input.alimtalk_template {
        Some(_) if input.text.chars().count() > 1000 => {
            return Err(Fail::bad(
                "invalid_message",
                "text",
                "알림톡은 1,000자까지 보낼 수 있습니다",
            )
            .into());
        }
        Some(_) => "ALIMTALK".to_owned(),
        None => comp.kind.as_str().to_owned(),
    };
    for (i, img) in input.images.iter().enumerate() {
        sms::check_jpeg(img).map_err(|e| {
            Fail::bad(
                "invalid_image",
                "image",
                format!(
                    "{}번째 이미지: {}",
                    i + 1,
                    match e {
                        sms::ImageError::TooLarge { .. } =>
                            "300KB 미만의 JPG만 보낼 수 있습니다".to_owned(),
                        sms::ImageError::NotJpeg => "JPG 형식만 보낼 수 있습니다".to_owned(),
                        sms::ImageError::Corrupt => "손상된 이미지입니다".to_owned(),
                    }
                ),
            )
        })?;
    }
    let to = recipients(&input.recipients).map_err(SendError::Recipients)?;
    if to.is_empty() {
        return Err(Fail::bad("no_recipients", "recipients", "받는 사람을 입력해 주세요").into());
    }
    if to.len() > MAX_RECIPIENTS {
        return Err(Fail::bad(
            "too_many_recipients",
            "recipients",
            format!("한 번에 {MAX_RECIPIENTS}명까지 보낼 수 있습니다"),
        )
        .into());
    }
    let id = match idempotency_key {
        Some(k) => hex::encode(
            &Sha256::digest(format!("{}|{}|{k}", sender.tenant, sender.account).as_bytes())[..16],
        ),
        None => uuid::Uuid::now_v7().simple().to_string(),
    };
    let created_ms = now_epoch_seconds() * 1000;
    let mut images = Vec::new();
    for (i, img) in input.images.iter().enumerate() {
        let key = blobs::BlobKey::parse(&format!("mms/{}/{id}/{i}.jpg", sender.tenant))
            .map_err(|e| Fail::internal(&e))?;
        app.blobs
            .put(&key, img.clone(), "image/jpeg")
            .await
            .map_err(|e| Fail::internal(&e))?;
        images.push(key.to_string());
    }
    let batch = Batch {
        tenant: sender.tenant.clone(),
        id,
        created_ms,
        sender_account: sender.account.clone(),
        as_admin: sender.as_admin,
        from: sender.from.e164(),
        kind: kind_label,
        subject: input.alimtalk_template.clone().or(subject),
        body: input.text,
        bytes: i64::try_from(comp.bytes).unwrap_or(i64::MAX),
        images,
        recipients: i64::try_from(to.len()).unwrap_or(i64::MAX),
        delivered: 0,
        failed: 0,
        resend_of: None,
        fallback_of: None,
    };
    let numbers: Vec<String> = to.iter().map(PhoneNumber::e164).collect();
    // A retried request gets back the batch its first attempt started.
    let batch = messages::accept(&*app.store, &batch, &month_of(created_ms), &numbers)
        .await
        .map_err(Fail::from)?;
    if let Some(k) = &app.outbox_kick
        && let Err(e) = k.kick(&batch.id).await
    {
        // The one-minute schedule wakes the dispatcher anyway.
        tracing::warn!(error = %e, batch = %batch.id, "could not wake the dispatcher");
    }
    Ok(batch)
}

/// A batch as the history lists it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchRow {
    pub id: String,
    pub first_recipient: String,
    pub sent_at_ms: i64,
    /// `YYYY-MM-DD HH:MM:SS` in the zone of whoever asked.
    pub sent_at: String,
    pub kind: String,
    pub count: i64,
    pub delivered: i64,
    pub failed: i64,
    /// 성공률 in whole percent of recipients.
    pub success_percent: i64,
}

impl BatchRow {
    fn of(b: &Batch, first: String, tz: &TimeZone) -> Self {
        Self {
            id: b.id.clone(),
            first_recipient: first,
            sent_at_ms: b.created_ms,
            sent_at: tz.wall_clock(b.created_ms),
            kind: b.kind.clone(),
            count: b.recipients,
            delivered: b.delivered,
            failed: b.failed,
            success_percent: if b.recipients > 0 {
                b.delivered * 100 / b.recipients
            } else {
                0
            },
        }
    }
}

/// The partitions (months in Korea, see [`month_of`]) that hold batches
/// created from `lo` to `hi` (ms).
fn months(lo: i64, hi: i64) -> Vec<String> {
    let seoul = TimeZone::seoul();
    let (Some(from), Some(to)) = (seoul.date_of_ms(lo), seoul.date_of_ms(hi)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) && out.len() < 240 {
        out.push(format!("{y:04}{m:02}"));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}

/// The first and last millisecond of the days `from..=to` in `tz`,
/// refusing a reversed range.
pub(crate) fn days_ms(tz: &TimeZone, from: Date, to: Date) -> Outcome<(i64, i64)> {
    if from > to {
        return Err(Fail::bad(
            "invalid_range",
            "from",
            "시작일이 종료일보다 늦습니다",
        ));
    }
    tz.days_ms(from, to)
        .ok_or_else(|| Fail::bad("invalid_range", "from", "조회할 수 없는 기간입니다"))
}

/// Whose sends a history shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The company's (representative number): admins and integrators.
    Company,
    /// One account's own sends.
    Account(String),
}

/// 검색: batches in a date range, optionally to one recipient. Admins see
/// the tenant's representative-number sends; users their own.
pub async fn history(
    app: &App,
    a: &Account,
    as_admin: bool,
    from: Date,
    to: Date,
    recipient: Option<&str>,
) -> Outcome<Vec<BatchRow>> {
    let scope = if as_admin {
        Scope::Company
    } else {
        Scope::Account(a.id.to_string())
    };
    history_in(app, &a.tenant, &scope, from, to, recipient).await
}

/// The history of `scope` over the days `from..=to` in its zone (the
/// company's, or the user's own).
pub async fn history_in(
    app: &App,
    t: &TenantId,
    scope: &Scope,
    from: Date,
    to: Date,
    recipient: Option<&str>,
) -> Outcome<Vec<BatchRow>> {
    let viewer = match scope {
        Scope::Company => crate::calls::Viewer::Company,
        Scope::Account(id) => crate::calls::Viewer::Account(
            AccountId::parse(id).map_err(|_| Fail::not_found("계정을 찾을 수 없습니다"))?,
        ),
    };
    let tz = crate::calls::zone(app, t, &viewer).await?;
    let (lo, hi) = days_ms(&tz, from, to)?;
    let wanted = match recipient.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(
            PhoneNumber::parse(r)
                .map_err(|e| {
                    Fail::bad(
                        "invalid_number",
                        "recipient",
                        format!(
                            "수신번호 형식이 올바르지 않습니다 ({})",
                            crate::labels::phone_error(&e)
                        ),
                    )
                })?
                .e164(),
        ),
        None => None,
    };
    let mut rows = Vec::new();
    for m in months(lo, hi).iter().rev() {
        for b in messages::batches_in(&*app.store, t, m, lo, hi).await? {
            let visible = match scope {
                Scope::Company => b.as_admin,
                Scope::Account(id) => !b.as_admin && &b.sender_account == id,
            };
            if !visible {
                continue;
            }
            let ds = messages::deliveries(&*app.store, &b.id).await?;
            if let Some(w) = &wanted
                && !ds.iter().any(|d| &d.to == w)
            {
                continue;
            }
            let first = ds
                .first()
                .and_then(|d| PhoneNumber::from_e164(&d.to).ok())
                .map(|n| n.to_string())
                .unwrap_or_default();
            rows.push(BatchRow::of(&b, first, &tz));
        }
    }
    Ok(rows)
}

/// A batch of a tenant and its deliveries (integrators see all of their tenant's).
pub async fn detail_in_tenant(
    app: &App,
    t: &TenantId,
    id: &str,
) -> Outcome<(Batch, Vec<Delivery>)> {
    let b = messages::batch(&*app.store, t, id)
        .await?
        .ok_or_else(|| Fail::not_found("발송 내역을 찾을 수 없습니다"))?;
    let ds = messages::deliveries(&*app.store, id).await?;
    Ok((b, ds))
}

/// 내역확인: the batch and every delivery, if the caller may see it.
pub async fn detail(app: &App, a: &Account, id: &str) -> Outcome<(Batch, Vec<Delivery>)> {
    let nf = || Fail::not_found("발송 내역을 찾을 수 없습니다");
    let b = messages::batch(&*app.store, &a.tenant, id)
        .await?
        .ok_or_else(nf)?;
    let mine = b.sender_account == a.id.as_str() || (b.as_admin && a.role == Role::Admin);
    if !mine {
        return Err(nf());
    }
    let ds = messages::deliveries(&*app.store, id).await?;
    Ok((b, ds))
}

/// 실패 건 재전송: a new batch, linked to the original, to the failed recipients only.
pub async fn resend_failed(app: &App, a: &Account, id: &str) -> Result<Batch, SendError> {
    let (b, ds) = detail(app, a, id).await?;
    let failed: Vec<String> = ds
        .iter()
        .filter(|d| d.status == "failed")
        .map(|d| d.to.clone())
        .collect();
    if failed.is_empty() {
        return Err(Fail::new(
            FailKind::Conflict,
            "nothing_failed",
            "재전송할 실패 건이 없습니다",
        )
        .into());
    }
    let images = {
        let mut v = Vec::new();
        for k in &b.images {
            let key = blobs::BlobKey::parse(k).map_err(|e| Fail::internal(&e))?;
            if let Some(blob) = app.blobs.get(&key).await.map_err(|e| Fail::internal(&e))? {
                v.push(blob.bytes);
            }
        }
        v
    };
    let input = SendInput {
        recipients: failed,
        text: b.body.clone(),
        subject: b.subject.clone(),
        images,
        alimtalk_template: None,
    };
    // One resend per original: the same request twice resends once.
    let key = format!("resend-{}", b.id);
    let mut nb = accept(app, a, b.as_admin, input, Some(&key)).await?;
    nb.resend_of = Some(b.id.clone());
    store::repo::messages::mark_resend(&*app.store, &nb, &b.id)
        .await
        .map_err(Fail::from)?;
    Ok(nb)
}

/// 정산관리: charges of delivered messages in a date range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settlement {
    pub sms_count: i64,
    pub lms_count: i64,
    pub mms_count: i64,
    pub sms: Won10,
    pub lms: Won10,
    pub mms: Won10,
    pub total: Won10,
}

/// 정산: what was delivered over the days `from..=to` in the company's zone.
pub async fn settlement(app: &App, t: &TenantId, from: Date, to: Date) -> Outcome<Settlement> {
    let tenant = crate::admin::tenant(app, t).await?;
    let (lo, hi) = days_ms(&tenant.time_zone, from, to)?;
    let rates = store::repo::tenants::rates(&*app.store, t).await?;
    let (mut s, mut l, mut m) = (0i64, 0i64, 0i64);
    for month in months(lo, hi) {
        for b in messages::batches_in(&*app.store, t, &month, lo, hi).await? {
            // Alimtalk is billed by its provider; its SMS fallbacks are batches of their own.
            match b.kind.as_str() {
                "SMS" => s += b.delivered,
                "LMS" => l += b.delivered,
                "MMS" => m += b.delivered,
                _ => {}
            }
        }
    }
    let charge = |rate: Won10, n: i64| {
        rate.times(u64::try_from(n).unwrap_or(0))
            .unwrap_or(Won10(i64::MAX))
    };
    let (sms, lms, mms) = (charge(rates.0, s), charge(rates.1, l), charge(rates.2, m));
    Ok(Settlement {
        sms_count: s,
        lms_count: l,
        mms_count: m,
        sms,
        lms,
        mms,
        total: Won10(sms.0 + lms.0 + mms.0),
    })
}

/// The kind of a stored batch (Alimtalk counts as the LMS it may fall back to).
pub fn kind_of(b: &Batch) -> MessageKind {
    match b.kind.as_str() {
        "SMS" => MessageKind::Sms,
        "MMS" => MessageKind::Mms,
        _ => MessageKind::Lms,
    }
}

/// Sends a registered Alimtalk template to recipients; each recipient who
/// cannot get it as Alimtalk gets the same text by SMS/LMS instead.
pub async fn accept_alimtalk(
    app: &App,
    t: &TenantId,
    template_code: &str,
    recipients: Vec<String>,
    variables: &std::collections::BTreeMap<String, String>,
    idempotency_key: Option<&str>,
) -> Result<Batch, SendError> {
    let tenant = crate::admin::tenant(app, t).await?;
    if store::repo::tenants::kakao(&*app.store, t)
        .await
        .map_err(Fail::from)?
        .is_none()
    {
        return Err(Fail::new(
            FailKind::Conflict,
            "kakao_not_configured",
            "카카오 알림톡 발신 정보가 등록되어 있지 않습니다",
        )
        .into());
    }
    let template = store::repo::tenants::template(&*app.store, t, template_code)
        .await
        .map_err(Fail::from)?
        .ok_or_else(|| {
            Fail::bad(
                "unknown_template",
                "template_code",
                format!("등록되지 않은 템플릿입니다: {template_code}"),
            )
        })?;
    let text = ::messaging::kakao::render(&template, variables)
        .map_err(|e| Fail::bad("invalid_variables", "variables", e))?;
    let from = tenant.representative_number.ok_or_else(|| {
        Fail::new(
            FailKind::Conflict,
            "no_sender",
            "회사 대표번호가 등록되어 있지 않아 보낼 수 없습니다",
        )
    })?;
    let sender = Sender {
        tenant: t.clone(),
        account: "api".into(),
        from,
        as_admin: true,
    };
    let input = SendInput {
        recipients,
        text,
        subject: None,
        images: Vec::new(),
        alimtalk_template: Some(template_code.to_owned()),
    };
    accept_as(app, &sender, input, idempotency_key).await
}

/// A carrier's inbound-SMS webhook call, after its signature was checked.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboundSms {
    /// The provider's message id (redeliveries repeat it).
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub text: String,
}

/// Stores an inbound SMS for the account holding the `to` number.
/// Returns whether it was new (a redelivery is accepted and ignored).
pub async fn receive(app: &App, m: &InboundSms) -> Outcome<bool> {
    if m.message_id.trim().is_empty() || m.message_id.len() > 200 || m.message_id.contains('#') {
        return Err(Fail::bad(
            "invalid_message_id",
            "message_id",
            "message_id is required (at most 200 characters, no '#')",
        ));
    }
    let to = PhoneNumber::parse(&m.to)
        .map_err(|e| Fail::bad("invalid_number", "to", format!("to: {e}")))?;
    let from = PhoneNumber::parse(&m.from)
        .map_err(|e| Fail::bad("invalid_number", "from", format!("from: {e}")))?;
    sms::byte_len(&m.text).map_err(|e| Fail::bad("invalid_message", "text", sms_error_ko(&e)))?;
    let Some((t, a)) = store::repo::inbox::owner_of(&*app.store, &app.region, &to).await? else {
        return Err(Fail::not_found(format!("{to} is not assigned to anyone")));
    };
    let r = store::repo::inbox::Received {
        id: m.message_id.clone(),
        from: from.to_string(),
        to: to.to_string(),
        text: m.text.clone(),
        received_ms: now_epoch_seconds() * 1000,
    };
    Ok(store::repo::inbox::store_received(&*app.store, &t, &a, &r).await?)
}

/// Checks an inbound webhook signature: `X-Office-Signature: t=<unix>,v1=<hex>`
/// where v1 = HMAC-SHA256(secret, "<t>." + body), within five minutes.
pub fn verify_signature(secret: &[u8], header: &str, body: &[u8], now: i64) -> bool {
    use hmac::Mac as _;
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(sig)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > 300 {
        return false;
    }
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// Signs a webhook body the way [`verify_signature`] expects (for senders and tests).
pub fn sign(secret: &[u8], body: &[u8], now: i64) -> String {
    use hmac::Mac as _;
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(format!("{now}.").as_bytes());
    mac.update(body);
    format!("t={now},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_abroad_reads_every_korean_month_it_touches() {
        // 2026-06-30 in Los Angeles runs from 16:00 on the 30th to 16:00 on
        // 1 July in Seoul: both months' partitions hold its messages.
        let la = TimeZone::parse("America/Los_Angeles").expect("zone");
        let day = Date::new(2026, 6, 30).expect("date");
        let (lo, hi) = days_ms(&la, day, day).expect("bounds");
        assert_eq!(months(lo, hi), ["202606", "202607"]);
        let (lo, hi) = days_ms(&TimeZone::seoul(), day, day).expect("bounds");
        assert_eq!(months(lo, hi), ["202606"]);
        assert_eq!(month_of(hi), "202606");
        assert_eq!(month_of(hi + 1), "202607");
    }

    #[test]
    fn a_reversed_range_is_refused() {
        let d = Date::new(2026, 6, 30).expect("date");
        let e = days_ms(&TimeZone::seoul(), d, d.add_days(-1)).expect_err("reversed");
        assert_eq!(e.code, "invalid_range");
    }
}
