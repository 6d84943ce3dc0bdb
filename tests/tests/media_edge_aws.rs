//! The media edge's binary as it runs on AWS: its store is a DynamoDB table,
//! its recordings go to S3 and its call events to an SNS topic fanned out
//! to an SQS queue, all served here by moto. Phones register (the bindings
//! land in the table), a call is recorded automatically, the WAV ends up in
//! the bucket, linked from the call record, and the call's events, read
//! from the queue, go through the webhooks Lambda's handler to a local
//! receiver.
//!
//! Needs the edge built with its AWS adapters (`cargo build -p media-edge
//! --features aws`; the README test command does that).

use std::sync::Arc;
use std::time::Duration;

use blobs::s3::S3BlobStore;
use e2e::sipp::{Phone, Ports, answered_call, free_sip_port, register};
use e2e::{start_media_edge, terminate};
use store::dynamodb::DynamoStore;
use store::repo::{accounts, calls};
use store::{Query, SortKey};

#[test]
fn on_dynamodb_and_s3_the_edge_keeps_bindings_in_the_table_and_recordings_in_the_bucket() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let moto = testkit::Moto::start().expect("moto");
    let endpoint = moto.endpoint();
    let table = testkit::unique_name("edge");
    let bucket = testkit::unique_name("edge-recordings");
    let seed_dir = tempfile::tempdir().expect("seed dir");

    // The table and bucket the deployment would have, seeded with the demo tenant.
    let (app, info, tenant, (topic, queue, sqs)) = rt.block_on(async {
        let conf = testkit::aws_config_for(&endpoint).await;
        let ddb = aws_sdk_dynamodb::Client::new(&conf);
        DynamoStore::create_table(&ddb, &table)
            .await
            .expect("table");
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        );
        S3BlobStore::create_bucket(&s3, &bucket)
            .await
            .expect("bucket");
        let mut app = app::App::over(
            Arc::new(DynamoStore::new(ddb, table.clone())),
            seed_dir.path(),
            "http://127.0.0.1:9",
        )
        .expect("app");
        app.blobs = Arc::new(S3BlobStore::new(s3, bucket.clone()));
        // Without the demo's finished calls: the call found below must be
        // this test's own, and six weeks of history cost minutes on moto.
        let info = app::demo::seed_with(&app, seed_dir.path(), false)
            .await
            .expect("seed");
        // The events topic and the webhooks queue subscribed to it (raw).
        let sns = aws_sdk_sns::Client::new(&conf);
        let sqs = aws_sdk_sqs::Client::new(&conf);
        let topic = sns
            .create_topic()
            .name(testkit::unique_name("events"))
            .send()
            .await
            .expect("topic")
            .topic_arn
            .expect("topic arn");
        let queue = sqs
            .create_queue()
            .queue_name(testkit::unique_name("webhooks"))
            .send()
            .await
            .expect("queue")
            .queue_url
            .expect("queue url");
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("attributes")
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("queue arn");
        sns.subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", "true")
            .send()
            .await
            .expect("subscribe");

        // The caller's account records every call.
        let sip = accounts::sip_user(&*app.store, &info.users[0].sip_username)
            .await
            .expect("lookup")
            .expect("sip user");
        let a = accounts::get(&*app.store, &sip.tenant, &sip.account)
            .await
            .expect("get")
            .expect("account");
        let mut p = a.permissions;
        p.auto_record = true;
        accounts::set_permissions(&*app.store, &sip.tenant, &sip.account, a.role, p)
            .await
            .expect("auto record");
        (app, info, sip.tenant, (topic, queue, sqs))
    });

    let port = free_sip_port();
    let edge_dir = tempfile::tempdir().expect("edge dir");
    let mut edge = start_media_edge(
        edge_dir.path(),
        port,
        &[
            ("OFFICE_STORE", "dynamodb"),
            ("OFFICE_TABLE", &table),
            ("OFFICE_BLOBS", "s3"),
            ("OFFICE_BUCKET", &bucket),
            ("OFFICE_S3_PATH_STYLE", "1"),
            ("OFFICE_EVENTS_TOPIC_ARN", &topic),
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "ap-northeast-2"),
        ],
        Duration::from_millis(1500),
    )
    .expect("the edge runs on the AWS adapters (built with --features aws?)");

    let phone = |i: usize| Phone {
        user: info.users[i].sip_username.clone(),
        password: info.users[i].sip_password.clone(),
        extension: info.users[i].extension.clone(),
        ports: Ports::new(u64::from(port)),
    };
    let (a, b) = (phone(0), phone(1));
    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    register(w, &a);
    register(w, &b);

    // Both bindings are in the table, with their expiry, for other regions to see.
    let bindings = rt
        .block_on(
            app.store.query(
                &Query::partition(store::keys::tenant_pk(&tenant))
                    .sk(SortKey::BeginsWith("REG#".into())),
            ),
        )
        .expect("query");
    assert_eq!(bindings.items.len(), 2, "{:?}", bindings.items);
    assert!(
        bindings
            .items
            .iter()
            .all(|i| i.get(store::ATTR_EXPIRES_AT).is_some())
    );

    answered_call(w, &a, &b, "talk", 2000);

    // The call record in the table links a WAV that is in the bucket.
    let now = store::now_epoch_ms();
    let filter = calls::Filter {
        account: None,
        from_ms: now - 3_600_000,
        to_ms: now + 60_000,
        direction: None,
        caller: None,
        callee: None,
        number: None,
    };
    let mut record = None;
    for _ in 0..60 {
        let page = rt
            .block_on(calls::search(&*app.store, &tenant, &filter, 10, None))
            .expect("search");
        record = page
            .calls
            .into_iter()
            .find(|c| c.ended_ms.is_some() && !c.recordings.is_empty());
        if record.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let record = record.expect("a finished call with its recording");
    assert_eq!(record.disposition, domain::Disposition::Answered);
    let key = blobs::BlobKey::parse(&record.recordings[0].key).expect("key");
    let wav = rt
        .block_on(app.blobs.get(&key))
        .expect("get")
        .expect("the WAV is in S3");
    assert!(wav.bytes.starts_with(b"RIFF"), "a WAV");
    assert!(
        wav.bytes.len() > 44 + 8_000,
        "about two seconds of audio: {} bytes",
        wav.bytes.len()
    );
    assert!(
        std::fs::read_dir(edge_dir.path().join("recordings").join("spool"))
            .map(|d| d
                .filter_map(Result::ok)
                .all(|e| e.path().extension().is_none_or(|x| x != "wav")))
            .unwrap_or(true),
        "nothing left waiting in the spool"
    );

    // The call's events went to SNS and on to the queue: through the
    // webhooks handler, they reach an endpoint of the tenant.
    let received: std::sync::Arc<std::sync::Mutex<Vec<String>>> = std::sync::Arc::default();
    let seen = received.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hook = format!("http://{}/hook", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        use std::io::{BufRead as _, Read as _, Write as _};
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let mut r = std::io::BufReader::new(s.try_clone().expect("clone"));
            let (mut line, mut len) = (String::new(), 0usize);
            while r.read_line(&mut line).unwrap_or(0) > 2 {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            seen.lock()
                .expect("lock")
                .push(String::from_utf8_lossy(&body).into_owned());
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    rt.block_on(async {
        app::webhooks::create(
            &app,
            &tenant,
            &app::webhooks::Form {
                url: Some(hook),
                events: Some(vec!["call.*".into()]),
                ..Default::default()
            },
        )
        .await
        .expect("endpoint");
        let mut records = Vec::new();
        for _ in 0..20 {
            let got = sqs
                .receive_message()
                .queue_url(&queue)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("receive");
            for m in got.messages.unwrap_or_default() {
                records.push(serde_json::json!({
                    "messageId": m.message_id,
                    "receiptHandle": m.receipt_handle,
                    "body": m.body,
                    "eventSource": "aws:sqs",
                }));
            }
            let types = records
                .iter()
                .filter(|r| r["body"].as_str().is_some_and(|b| b.contains("call.ended")))
                .count();
            if types > 0 {
                break;
            }
        }
        let input: webhooks::Input =
            serde_json::from_value(serde_json::json!({ "Records": records })).expect("SQS event");
        let response = webhooks::handle(&app, input).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "every message is an event"
        );
    });
    let bodies = received.lock().expect("lock").clone();
    let types: Vec<String> = bodies
        .iter()
        .filter_map(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .filter_map(|e| e["type"].as_str().map(str::to_owned))
        .collect();
    for t in ["call.ringing", "call.answered", "call.ended"] {
        assert!(types.iter().any(|x| x == t), "{t} delivered: {types:?}");
    }

    assert!(terminate(&mut edge).expect("stop"), "clean stop on SIGTERM");
}
