//! The outbox: acceptance rules, dispatch through the local sink exactly
//! once per recipient (10,000 of them), failures, retries, crash recovery,
//! resending the failed ones and settlement.

use std::collections::HashMap;
use std::sync::Arc;

use ::messaging::sink::SmsSink;
use app::messaging::{self, SendError, SendInput};
use domain::calendar::Date;
use domain::sms::Won10;
use domain::{AccountStatus, Role, TenantId};
use store::now_epoch_seconds;

struct W {
    app: app::App,
    admin: domain::Account,
    t: TenantId,
    _dir: tempfile::TempDir,
}

async fn world(sink: impl FnOnce(Arc<dyn store::Store>) -> SmsSink) -> W {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = app::App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
    app.sms = Arc::new(sink(app.store.clone()));
    app.sms_rate = 1_000_000;
    app::operator::create_tenant(
        &app,
        app::operator::NewTenant {
            id: Some("acme".into()),
            name: "(주)애크미".into(),
            representative_number: Some("1588-1234".into()),
            region: None,
        },
    )
    .await
    .expect("tenant");
    let (admin, _) = app::operator::create_admin(
        &app,
        "acme",
        "관리자",
        "boss@acme.example",
        Some("admin-password-1".into()),
    )
    .await
    .expect("admin");
    W {
        app,
        admin,
        t: TenantId::parse("acme").expect("id"),
        _dir: dir,
    }
}

fn nums(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("010-{:04}-{:04}", 2000 + i / 10_000, i % 10_000))
        .collect()
}

async fn sink_counts(app: &app::App) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for s in store::repo::sink::recent(&*app.store, "sms", 1000)
        .await
        .expect("sink")
    {
        *m.entry(s.to).or_insert(0) += 1;
    }
    m
}

fn now_ms() -> i64 {
    now_epoch_seconds() * 1000
}

#[tokio::test]
async fn bad_input_is_refused_with_reasons_and_writes_nothing() {
    let w = world(SmsSink::new).await;
    let input = |r: Vec<&str>, text: &str| SendInput {
        recipients: r.into_iter().map(str::to_owned).collect(),
        text: text.into(),
        ..Default::default()
    };
    let Err(SendError::Recipients(errs)) = messaging::accept(
        &w.app,
        &w.admin,
        true,
        input(vec!["010-1111-2222", "02-123", "1588-1234"], "안녕"),
        None,
    )
    .await
    else {
        panic!("bad recipients must be refused");
    };
    assert_eq!(
        errs.iter().map(|e| e.position).collect::<Vec<_>>(),
        vec![2, 3]
    );
    let Err(SendError::Fail(f)) = messaging::accept(
        &w.app,
        &w.admin,
        true,
        input(vec!["010-1111-2222"], "좋아요😀"),
        None,
    )
    .await
    else {
        panic!("emoji must be refused");
    };
    assert!(f.message.contains("4번째 글자"), "{}", f.message);
    let Err(SendError::Fail(f)) = messaging::accept(
        &w.app,
        &w.admin,
        true,
        input(vec!["010-1111-2222"], &"가".repeat(1001)),
        None,
    )
    .await
    else {
        panic!("too long");
    };
    assert!(f.message.contains("2002byte"));
    let Err(SendError::Fail(f)) = messaging::accept(
        &w.app,
        &w.admin,
        true,
        SendInput {
            images: vec![bytes::Bytes::from_static(b"GIF89a")],
            ..input(vec!["010-1111-2222"], "사진")
        },
        None,
    )
    .await
    else {
        panic!("not a jpeg");
    };
    assert!(f.message.contains("JPG"));
    let today = domain::calendar::TimeZone::seoul()
        .to_local(now_epoch_seconds())
        .expect("now")
        .date;
    assert!(
        messaging::history(&w.app, &w.admin, true, today, today, None)
            .await
            .expect("history")
            .is_empty()
    );
}

#[tokio::test]
async fn ten_thousand_recipients_are_each_sent_exactly_once() {
    let w = world(SmsSink::new).await;
    let mut recipients = nums(10_000);
    recipients.push(recipients[0].replace('-', "")); // a duplicate, typed differently
    let b = messaging::accept(
        &w.app,
        &w.admin,
        true,
        SendInput {
            recipients,
            text: "[애크미] 정기 점검 안내".into(),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("accepted");
    assert_eq!(b.recipients, 10_000);
    assert_eq!(b.kind, "SMS");
    let stats = app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    assert_eq!(stats.delivered, 10_000);
    let (batch, ds) = messaging::detail(&w.app, &w.admin, &b.id)
        .await
        .expect("detail");
    assert_eq!((batch.delivered, batch.failed), (10_000, 0));
    assert!(ds.iter().all(|d| d.status == "delivered"));
    let sent = store::repo::sink::recent(&*w.app.store, "sms", 1000)
        .await
        .expect("sink");
    assert!(
        sent.iter().all(|s| s.from == "1588-1234"),
        "admin sends from the representative number"
    );
    // Nothing is left to send, and running again sends nothing.
    assert_eq!(
        app::dispatch::drain(&w.app, now_ms() + 3_600_000)
            .await
            .expect("drain"),
        app::dispatch::Stats::default()
    );
}

#[tokio::test]
async fn rejected_numbers_fail_flaky_ones_are_retried_and_failures_can_be_resent() {
    let rejected = "+821099990001".to_owned();
    let flaky = "+821099990002".to_owned();
    let (r2, f2) = (rejected.clone(), flaky.clone());
    let w = world(move |s| SmsSink::new(s).rejecting([r2]).flaky([f2], 2)).await;
    let recipients = vec![
        "010-9999-0001".into(),
        "010-9999-0002".into(),
        "010-9999-0003".into(),
    ];
    let b = messaging::accept(
        &w.app,
        &w.admin,
        true,
        SendInput {
            recipients,
            text: "안내".into(),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("accepted");
    let t0 = now_ms();
    let s = app::dispatch::drain(&w.app, t0).await.expect("first pass");
    assert_eq!((s.delivered, s.failed, s.retried), (1, 1, 1));
    let s = app::dispatch::drain(&w.app, t0 + 2_000)
        .await
        .expect("second try");
    assert_eq!(s.retried, 1, "fails once more");
    let s = app::dispatch::drain(&w.app, t0 + 10_000)
        .await
        .expect("third try");
    assert_eq!(s.delivered, 1);
    let (batch, ds) = messaging::detail(&w.app, &w.admin, &b.id)
        .await
        .expect("detail");
    assert_eq!((batch.delivered, batch.failed), (2, 1));
    let failed: Vec<_> = ds
        .iter()
        .filter(|d| d.status == "failed")
        .map(|d| d.to.clone())
        .collect();
    assert_eq!(failed, vec![rejected.clone()]);
    assert_eq!(
        ds.iter().find(|d| d.to == flaky).map(|d| d.attempts),
        Some(3)
    );

    // 실패 건 재전송: only the failed recipient, once, linked to the original.
    let again = messaging::resend_failed(&w.app, &w.admin, &b.id)
        .await
        .expect("resend");
    assert_eq!(again.recipients, 1);
    let twice = messaging::resend_failed(&w.app, &w.admin, &b.id)
        .await
        .expect("resend again");
    assert_eq!(twice.id, again.id, "the same resend twice is one batch");
    let (nb, nds) = messaging::detail(&w.app, &w.admin, &again.id)
        .await
        .expect("detail");
    assert_eq!(nb.resend_of.as_deref(), Some(b.id.as_str()));
    assert_eq!(
        nds.iter().map(|d| d.to.clone()).collect::<Vec<_>>(),
        vec![rejected]
    );
}

#[tokio::test]
async fn a_dispatcher_dying_mid_batch_loses_nothing_and_sends_nothing_twice() {
    let w = world(SmsSink::new).await;
    let recipients = nums(300);
    let b = messaging::accept(
        &w.app,
        &w.admin,
        true,
        SendInput {
            recipients: recipients.clone(),
            text: "점검".into(),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("accepted");
    let t0 = now_ms();
    // A first dispatcher sends some, then dies: a few deliveries it had
    // claimed (one of them even sent) are left "sending".
    app::dispatch::run_once(&w.app, t0, 10)
        .await
        .expect("partial run");
    let mut claimed = Vec::new();
    for shard in 0..store::repo::messages::SHARDS {
        for (item, seen) in store::repo::messages::due(&*w.app.store, shard, t0, 2)
            .await
            .expect("due")
        {
            if let Some(c) = store::repo::messages::claim(
                &*w.app.store,
                &item,
                &seen,
                t0 + app::dispatch::LEASE_MS,
            )
            .await
            .expect("claim")
            {
                claimed.push(c);
            }
        }
    }
    assert!(!claimed.is_empty());
    // It had sent the first one before dying (same idempotency key as the dispatcher uses).
    let first = &claimed[0];
    let key = format!(
        "{}#{}",
        first.s("batch_id").unwrap_or_default(),
        first.s("sk").unwrap_or_default()
    );
    let (from, to) = (
        domain::PhoneNumber::parse("1588-1234").expect("from"),
        domain::PhoneNumber::from_e164(first.s("to").unwrap_or_default()).expect("to"),
    );
    w.app
        .sms
        .send(::messaging::Outbound::sms(&from, &to, "점검", &key))
        .await
        .expect("sent before the crash");

    // A new dispatcher: the rest goes now, the claimed ones after their lease.
    app::dispatch::drain(&w.app, t0).await.expect("restart");
    app::dispatch::drain(&w.app, t0 + app::dispatch::LEASE_MS + 1)
        .await
        .expect("after the lease");
    let counts = sink_counts(&w.app).await;
    let mut all = HashMap::new();
    for s in store::repo::sink::recent(&*w.app.store, "sms", 1000)
        .await
        .expect("sink")
    {
        *all.entry(s.to).or_insert(0usize) += 1;
    }
    assert_eq!(all.len(), 300, "every recipient got it");
    assert!(all.values().all(|n| *n == 1), "nobody got it twice");
    assert_eq!(counts.len(), 300);
    let (batch, _) = messaging::detail(&w.app, &w.admin, &b.id)
        .await
        .expect("detail");
    assert_eq!(batch.delivered, 300);
}

#[tokio::test]
async fn settlement_charges_delivered_messages_only_and_reconciles() {
    let rejected = "+821088880001".to_owned();
    let w = world(move |s| SmsSink::new(s).rejecting([rejected])).await;
    store::repo::tenants::set_rates(&*w.app.store, &w.t, Won10(312), Won10(900), Won10(2000))
        .await
        .expect("rates");
    let send = |r: Vec<&str>, text: String| SendInput {
        recipients: r.into_iter().map(str::to_owned).collect(),
        text,
        ..Default::default()
    };
    messaging::accept(
        &w.app,
        &w.admin,
        true,
        send(
            vec!["010-8888-0001", "010-8888-0002", "010-8888-0003"],
            "짧은 안내".into(),
        ),
        None,
    )
    .await
    .expect("sms");
    messaging::accept(
        &w.app,
        &w.admin,
        true,
        send(vec!["010-8888-0004"], "가".repeat(100)),
        None,
    )
    .await
    .expect("lms");
    app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    let today = domain::calendar::TimeZone::seoul()
        .to_local(now_epoch_seconds())
        .expect("now")
        .date;
    let s = messaging::settlement(&w.app, &w.t, today, today)
        .await
        .expect("settlement");
    assert_eq!(
        (s.sms_count, s.lms_count, s.mms_count),
        (2, 1, 0),
        "the rejected SMS is not charged"
    );
    assert_eq!(s.sms.to_string(), "62.4원");
    assert_eq!(s.lms.to_string(), "90원");
    assert_eq!(s.total.to_string(), "152.4원");
    let rows = messaging::history(&w.app, &w.admin, true, today, today, None)
        .await
        .expect("history");
    let delivered: i64 = rows.iter().map(|r| r.delivered).sum();
    assert_eq!(
        delivered,
        s.sms_count + s.lms_count + s.mms_count,
        "history and settlement agree"
    );
    let to_one = messaging::history(&w.app, &w.admin, true, today, today, Some("01088880004"))
        .await
        .expect("by recipient");
    assert_eq!(to_one.len(), 1);
    assert_eq!(to_one[0].kind, "LMS");
    let yesterday = Date::from_days(today.to_days() - 1).expect("date");
    assert!(
        messaging::history(&w.app, &w.admin, true, yesterday, yesterday, None)
            .await
            .expect("history")
            .is_empty()
    );
    let _ = (Role::Admin, AccountStatus::Active);
}

#[tokio::test]
async fn the_same_send_with_one_idempotency_key_is_one_batch() {
    let w = world(SmsSink::new).await;
    let input = || SendInput {
        recipients: vec!["010-7777-0001".into(), "010-7777-0002".into()],
        text: "한 번만".into(),
        ..Default::default()
    };
    let a = messaging::accept(&w.app, &w.admin, true, input(), Some("k-1"))
        .await
        .expect("first");
    // The retry comes in a later second than the first attempt.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let b = messaging::accept(&w.app, &w.admin, true, input(), Some("k-1"))
        .await
        .expect("retry");
    assert_eq!(a.id, b.id);
    app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    let counts = sink_counts(&w.app).await;
    assert_eq!(counts.len(), 2);
    assert!(counts.values().all(|n| *n == 1));
    let today = domain::calendar::TimeZone::seoul()
        .to_local(now_epoch_seconds())
        .expect("now")
        .date;
    let rows = messaging::history(&w.app, &w.admin, true, today, today, None)
        .await
        .expect("history");
    assert_eq!(
        rows.len(),
        1,
        "one batch in the history, not one per attempt"
    );
}
