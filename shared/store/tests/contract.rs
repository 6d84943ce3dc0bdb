//! The store contract: the same tests, run against every adapter.
//!
//! `embedded_memory` and `embedded_file` exercise redb; `dynamodb` talks to
//! a moto server that the harness starts on a free loopback port (one per
//! test binary, each test on its own table) and stops at the end.

use std::collections::BTreeSet;
use std::sync::Arc;

use store::embedded::EmbeddedStore;
use store::{
    Condition, Cursor, Index, Item, Key, Query, SortKey, Store, StoreError, TxOp, Update, Value,
    now_epoch_seconds,
};

type Handle = (Arc<dyn Store>, Option<tempfile::TempDir>);

async fn embedded_memory() -> Handle {
    (
        Arc::new(EmbeddedStore::in_memory().expect("in-memory store")),
        None,
    )
}

async fn embedded_file() -> Handle {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(&dir.path().join("data/table.redb")).expect("file store");
    (Arc::new(store), Some(dir))
}

async fn dynamodb() -> Handle {
    let moto = testkit::Moto::shared().expect("moto server");
    let conf = testkit::aws_config_for(&moto.endpoint()).await;
    let client = aws_sdk_dynamodb::Client::new(&conf);
    let table = testkit::unique_name("contract");
    store::dynamodb::DynamoStore::create_table(&client, &table)
        .await
        .expect("create table");
    (
        Arc::new(store::dynamodb::DynamoStore::new(client, table)),
        None,
    )
}

fn key(pk: &str, sk: &str) -> Key {
    Key::new(pk, sk)
}

fn item(pk: &str, sk: &str) -> Item {
    Item::new(&key(pk, sk))
}

fn sks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| i.s("sk").unwrap_or_default().to_owned())
        .collect()
}

async fn drain(s: &dyn Store, mut q: Query) -> Vec<Item> {
    let mut all = Vec::new();
    loop {
        let page = s.query(&q).await.expect("query");
        assert!(page.items.len() <= q.limit, "page larger than its limit");
        all.extend(page.items);
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return all,
        }
    }
}

mod cases {
    use super::*;

    pub async fn put_then_get_returns_the_same_item(s: Arc<dyn Store>) {
        let it = item("T#1", "A#1")
            .with("name", "김민수")
            .with("n", 42i64)
            .with("flag", true)
            .with("bytes", vec![0u8, 1, 255])
            .with("nothing", Value::Null)
            .with("list", Value::L(vec![Value::from("a"), Value::N(-3)]))
            .with(
                "map",
                Value::M([("k".to_owned(), Value::from("v"))].into_iter().collect()),
            );
        s.put(it.clone(), None).await.expect("put");
        assert_eq!(s.get(&key("T#1", "A#1")).await.expect("get"), Some(it));
        assert_eq!(s.get(&key("T#1", "A#2")).await.expect("get"), None);
    }

    pub async fn put_replaces_the_whole_item(s: Arc<dyn Store>) {
        s.put(item("p", "s").with("a", 1i64).with("b", 2i64), None)
            .await
            .expect("put");
        s.put(item("p", "s").with("a", 3i64), None)
            .await
            .expect("put");
        let got = s.get(&key("p", "s")).await.expect("get").expect("exists");
        assert_eq!(got.n("a"), Some(3));
        assert_eq!(got.get("b"), None);
    }

    pub async fn create_only_put_fails_on_an_existing_item_and_changes_nothing(s: Arc<dyn Store>) {
        s.put(item("p", "s").with("v", "first"), Some(Condition::absent()))
            .await
            .expect("first");
        let err = s
            .put(
                item("p", "s").with("v", "second"),
                Some(Condition::absent()),
            )
            .await
            .expect_err("second must fail");
        assert_eq!(err, StoreError::ConditionFailed);
        let got = s.get(&key("p", "s")).await.expect("get").expect("exists");
        assert_eq!(got.s("v"), Some("first"));
    }

    pub async fn conditions_compare_strings_and_numbers(s: Arc<dyn Store>) {
        s.put(
            item("p", "s").with("status", "active").with("n", 10i64),
            None,
        )
        .await
        .expect("put");
        let ok = |c: Condition| {
            let s = s.clone();
            async move {
                s.put(
                    item("p", "s").with("status", "active").with("n", 10i64),
                    Some(c),
                )
                .await
            }
        };
        assert_eq!(ok(Condition::eq("status", "active")).await, Ok(()));
        assert_eq!(
            ok(Condition::eq("status", "suspended")).await,
            Err(StoreError::ConditionFailed)
        );
        assert_eq!(
            ok(Condition::Ne("status".into(), "suspended".into())).await,
            Ok(())
        );
        assert_eq!(ok(Condition::Gt("n".into(), Value::N(9))).await, Ok(()));
        assert_eq!(
            ok(Condition::Gt("n".into(), Value::N(10))).await,
            Err(StoreError::ConditionFailed)
        );
        assert_eq!(ok(Condition::Ge("n".into(), Value::N(10))).await, Ok(()));
        assert_eq!(ok(Condition::Lt("n".into(), Value::N(11))).await, Ok(()));
        assert_eq!(
            ok(Condition::Le("n".into(), Value::N(9))).await,
            Err(StoreError::ConditionFailed)
        );
        assert_eq!(ok(Condition::Lt("status".into(), "b".into())).await, Ok(()));
        // A comparison with the wrong type, or a missing attribute, is false.
        assert_eq!(
            ok(Condition::Gt("n".into(), "9".into())).await,
            Err(StoreError::ConditionFailed)
        );
        assert_eq!(
            ok(Condition::Gt("missing".into(), Value::N(0))).await,
            Err(StoreError::ConditionFailed)
        );
        assert_eq!(
            ok(Condition::exists("n").and(Condition::not_exists("missing"))).await,
            Ok(())
        );
        assert_eq!(
            ok(Condition::Or(vec![
                Condition::eq("status", "x"),
                Condition::eq("n", 10i64)
            ]))
            .await,
            Ok(())
        );
        assert_eq!(
            ok(Condition::Not(Box::new(Condition::exists("n")))).await,
            Err(StoreError::ConditionFailed)
        );
    }

    pub async fn update_sets_removes_and_adds_atomically(s: Arc<dyn Store>) {
        s.put(item("p", "s").with("a", "x").with("gone", 1i64), None)
            .await
            .expect("put");
        let got = s
            .update(
                &key("p", "s"),
                Update::new().set("b", "y").remove("gone").add("count", 5),
                Some(Condition::present()),
            )
            .await
            .expect("update");
        assert_eq!(got.s("a"), Some("x"));
        assert_eq!(got.s("b"), Some("y"));
        assert_eq!(got.get("gone"), None);
        assert_eq!(got.n("count"), Some(5));
        let got = s
            .update(&key("p", "s"), Update::new().add("count", -2), None)
            .await
            .expect("add");
        assert_eq!(got.n("count"), Some(3));
        assert_eq!(s.get(&key("p", "s")).await.expect("get"), Some(got));
    }

    pub async fn update_creates_a_missing_item_unless_told_not_to(s: Arc<dyn Store>) {
        let err = s
            .update(
                &key("p", "new"),
                Update::new().set("a", 1i64),
                Some(Condition::present()),
            )
            .await
            .expect_err("must fail");
        assert_eq!(err, StoreError::ConditionFailed);
        assert_eq!(s.get(&key("p", "new")).await.expect("get"), None);
        let got = s
            .update(&key("p", "new"), Update::new().add("hits", 1), None)
            .await
            .expect("upsert");
        assert_eq!(got.key(), Some(key("p", "new")));
        assert_eq!(got.n("hits"), Some(1));
    }

    pub async fn concurrent_increments_are_not_lost(s: Arc<dyn Store>) {
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.update(&key("ctr", "c"), Update::new().add("n", 1), None)
                    .await
            }));
        }
        for t in tasks {
            t.await.expect("join").expect("increment");
        }
        let got = s.get(&key("ctr", "c")).await.expect("get").expect("exists");
        assert_eq!(got.n("n"), Some(20));
    }

    pub async fn delete_honours_its_condition(s: Arc<dyn Store>) {
        s.put(item("p", "s").with("v", 1i64), None)
            .await
            .expect("put");
        let err = s
            .delete(&key("p", "s"), Some(Condition::eq("v", 2i64)))
            .await
            .expect_err("fails");
        assert_eq!(err, StoreError::ConditionFailed);
        assert!(s.get(&key("p", "s")).await.expect("get").is_some());
        s.delete(&key("p", "s"), Some(Condition::eq("v", 1i64)))
            .await
            .expect("delete");
        assert_eq!(s.get(&key("p", "s")).await.expect("get"), None);
        // Deleting what is not there is fine; demanding it exists is not.
        s.delete(&key("p", "s"), None)
            .await
            .expect("idempotent delete");
        assert_eq!(
            s.delete(&key("p", "s"), Some(Condition::present())).await,
            Err(StoreError::ConditionFailed)
        );
    }

    pub async fn batch_get_returns_existing_items_in_key_order(s: Arc<dyn Store>) {
        for i in 0..30 {
            s.put(item("b", &format!("{i:03}")).with("i", i64::from(i)), None)
                .await
                .expect("put");
        }
        let keys: Vec<Key> = (0..40)
            .rev()
            .map(|i| key("b", &format!("{i:03}")))
            .collect();
        let got = s.batch_get(&keys).await.expect("batch get");
        let want: Vec<String> = (0..30).rev().map(|i| format!("{i:03}")).collect();
        assert_eq!(sks(&got), want);
        let too_many: Vec<Key> = (0..101).map(|i| key("b", &format!("{i:03}"))).collect();
        assert!(matches!(
            s.batch_get(&too_many).await,
            Err(StoreError::Invalid(_))
        ));
        let dup = vec![key("b", "001"), key("b", "001")];
        assert!(matches!(
            s.batch_get(&dup).await,
            Err(StoreError::Invalid(_))
        ));
    }

    pub async fn sort_key_conditions_select_the_right_range_in_either_order(s: Arc<dyn Store>) {
        for sk in ["A#1", "A#2", "A#3", "B#1", "B#2", "C"] {
            s.put(item("q", sk), None).await.expect("put");
        }
        s.put(item("q2", "A#9"), None)
            .await
            .expect("other partition");
        s.put(item("qq", "A#0"), None)
            .await
            .expect("partition sharing a prefix");
        let run = |cond: Option<SortKey>, desc: bool| {
            let s = s.clone();
            async move {
                let mut q = Query::partition("q");
                q.sk = cond;
                q.descending = desc;
                sks(&drain(&*s, q).await)
            }
        };
        assert_eq!(
            run(None, false).await,
            ["A#1", "A#2", "A#3", "B#1", "B#2", "C"]
        );
        assert_eq!(
            run(None, true).await,
            ["C", "B#2", "B#1", "A#3", "A#2", "A#1"]
        );
        assert_eq!(run(Some(SortKey::Eq("B#1".into())), false).await, ["B#1"]);
        assert_eq!(
            run(Some(SortKey::BeginsWith("A#".into())), false).await,
            ["A#1", "A#2", "A#3"]
        );
        assert_eq!(
            run(Some(SortKey::BeginsWith("A#".into())), true).await,
            ["A#3", "A#2", "A#1"]
        );
        assert_eq!(
            run(Some(SortKey::Between("A#2".into(), "B#1".into())), false).await,
            ["A#2", "A#3", "B#1"]
        );
        assert_eq!(
            run(Some(SortKey::Between("A#2".into(), "B#1".into())), true).await,
            ["B#1", "A#3", "A#2"]
        );
        assert_eq!(
            run(Some(SortKey::Lt("A#3".into())), false).await,
            ["A#1", "A#2"]
        );
        assert_eq!(
            run(Some(SortKey::Le("A#3".into())), true).await,
            ["A#3", "A#2", "A#1"]
        );
        assert_eq!(
            run(Some(SortKey::Gt("B#1".into())), false).await,
            ["B#2", "C"]
        );
        assert_eq!(
            run(Some(SortKey::Ge("B#1".into())), true).await,
            ["C", "B#2", "B#1"]
        );
        assert_eq!(
            run(Some(SortKey::BeginsWith("Z".into())), false).await,
            Vec::<String>::new()
        );
    }

    pub async fn pagination_returns_every_item_exactly_once(s: Arc<dyn Store>) {
        let n = 203;
        let mut ops = Vec::new();
        for i in 0..n {
            ops.push(TxOp::Put {
                item: item("page", &format!("K#{i:05}")),
                condition: None,
            });
            if ops.len() == 100 {
                s.transact_write(std::mem::take(&mut ops))
                    .await
                    .expect("load");
            }
        }
        s.transact_write(ops).await.expect("load rest");
        for desc in [false, true] {
            for limit in [1, 7, 50, 203, 1000] {
                let mut q = Query::partition("page").limit(limit);
                q.descending = desc;
                let got = sks(&drain(&*s, q).await);
                assert_eq!(got.len(), n, "limit {limit} desc {desc}");
                let unique: BTreeSet<&String> = got.iter().collect();
                assert_eq!(unique.len(), n, "duplicates with limit {limit} desc {desc}");
                let mut sorted = got.clone();
                sorted.sort();
                if desc {
                    sorted.reverse();
                }
                assert_eq!(got, sorted, "order with limit {limit} desc {desc}");
            }
        }
        // A narrowed range pages too.
        let q = Query::partition("page")
            .sk(SortKey::Between("K#00010".into(), "K#00109".into()))
            .limit(9);
        assert_eq!(drain(&*s, q).await.len(), 100);
    }

    pub async fn a_cursor_only_works_for_its_own_partition(s: Arc<dyn Store>) {
        for i in 0..5 {
            s.put(item("c1", &format!("{i}")), None).await.expect("put");
            s.put(item("c2", &format!("{i}")), None).await.expect("put");
        }
        let page = s
            .query(&Query::partition("c1").limit(2))
            .await
            .expect("query");
        let cursor = page.next.expect("more pages");
        let foreign = Query::partition("c2").limit(2).after(Some(cursor));
        assert_eq!(s.query(&foreign).await, Err(StoreError::InvalidCursor));
        let garbage = Query::partition("c1").after(Some(Cursor("not-a-cursor!".into())));
        assert_eq!(s.query(&garbage).await, Err(StoreError::InvalidCursor));
    }

    pub async fn secondary_index_is_sparse_ordered_and_follows_updates(s: Arc<dyn Store>) {
        for (sk, isk) in [
            ("N#3", Some("003")),
            ("N#1", Some("001")),
            ("N#2", None),
            ("N#4", Some("002")),
        ] {
            let it = item("pool", sk)
                .with_opt("gsi2pk", isk.map(|_| "AVAIL#kr"))
                .with_opt("gsi2sk", isk);
            s.put(it, None).await.expect("put");
        }
        let q = Query::index(Index::Gsi2, "AVAIL#kr");
        assert_eq!(sks(&drain(&*s, q.clone()).await), ["N#1", "N#4", "N#3"]);
        assert_eq!(
            sks(&drain(&*s, q.clone().descending()).await),
            ["N#3", "N#4", "N#1"]
        );
        assert_eq!(
            sks(&drain(&*s, q.clone().limit(1)).await),
            ["N#1", "N#4", "N#3"]
        );
        assert_eq!(
            sks(&drain(&*s, q.clone().limit(2).descending()).await),
            ["N#3", "N#4", "N#1"]
        );
        assert_eq!(
            sks(&drain(&*s, q.clone().sk(SortKey::Gt("001".into()))).await),
            ["N#4", "N#3"]
        );
        assert_eq!(
            sks(&drain(&*s, q.clone().sk(SortKey::Le("002".into()))).await),
            ["N#1", "N#4"]
        );
        // Claiming a number removes it from the index; releasing puts it back.
        s.update(
            &key("pool", "N#1"),
            Update::new()
                .remove("gsi2pk")
                .remove("gsi2sk")
                .set("owner", "t1"),
            None,
        )
        .await
        .expect("claim");
        assert_eq!(sks(&drain(&*s, q.clone()).await), ["N#4", "N#3"]);
        s.update(
            &key("pool", "N#2"),
            Update::new().set("gsi2pk", "AVAIL#kr").set("gsi2sk", "000"),
            None,
        )
        .await
        .expect("release");
        assert_eq!(sks(&drain(&*s, q.clone()).await), ["N#2", "N#4", "N#3"]);
        s.delete(&key("pool", "N#3"), None).await.expect("delete");
        assert_eq!(sks(&drain(&*s, q).await), ["N#2", "N#4"]);
    }

    pub async fn index_pages_through_equal_sort_keys_exactly_once(s: Arc<dyn Store>) {
        for i in 0..25 {
            let it = item(&format!("P#{}", i % 3), &format!("S#{i:02}"))
                .with("gsi1pk", "SAME")
                .with("gsi1sk", if i % 2 == 0 { "even" } else { "odd" });
            s.put(it, None).await.expect("put");
        }
        for desc in [false, true] {
            let mut q = Query::index(Index::Gsi1, "SAME").limit(4);
            q.descending = desc;
            let got = drain(&*s, q).await;
            let keys: BTreeSet<Key> = got.iter().filter_map(Item::key).collect();
            assert_eq!(got.len(), 25);
            assert_eq!(keys.len(), 25);
        }
    }

    pub async fn a_failed_transaction_leaves_no_trace(s: Arc<dyn Store>) {
        s.put(item("t", "taken").with("v", "old"), None)
            .await
            .expect("put");
        let err = s
            .transact_write(vec![
                TxOp::Put {
                    item: item("t", "new1"),
                    condition: Some(Condition::absent()),
                },
                TxOp::Update {
                    key: key("t", "counter"),
                    update: Update::new().add("n", 1),
                    condition: None,
                },
                TxOp::Put {
                    item: item("t", "taken").with("v", "new"),
                    condition: Some(Condition::absent()),
                },
                TxOp::Delete {
                    key: key("t", "other"),
                    condition: None,
                },
            ])
            .await
            .expect_err("must cancel");
        assert_eq!(err, StoreError::TransactionCanceled { failed: vec![2] });
        assert_eq!(s.get(&key("t", "new1")).await.expect("get"), None);
        assert_eq!(s.get(&key("t", "counter")).await.expect("get"), None);
        assert_eq!(
            s.get(&key("t", "taken"))
                .await
                .expect("get")
                .and_then(|i| i.s("v").map(str::to_owned)),
            Some("old".into())
        );
        assert_eq!(sks(&drain(&*s, Query::partition("t")).await), ["taken"]);
    }

    pub async fn transaction_reports_every_failed_condition(s: Arc<dyn Store>) {
        s.put(item("t", "a"), None).await.expect("put");
        s.put(item("t", "c").with("v", 1i64), None)
            .await
            .expect("put");
        let err = s
            .transact_write(vec![
                TxOp::Put {
                    item: item("t", "a"),
                    condition: Some(Condition::absent()),
                },
                TxOp::Put {
                    item: item("t", "b"),
                    condition: Some(Condition::absent()),
                },
                TxOp::Check {
                    key: key("t", "c"),
                    condition: Condition::eq("v", 2i64),
                },
            ])
            .await
            .expect_err("must cancel");
        assert_eq!(err, StoreError::TransactionCanceled { failed: vec![0, 2] });
        assert_eq!(s.get(&key("t", "b")).await.expect("get"), None);
    }

    pub async fn a_successful_transaction_applies_every_operation(s: Arc<dyn Store>) {
        s.put(item("t", "del"), None).await.expect("put");
        s.put(item("t", "chk").with("ok", true), None)
            .await
            .expect("put");
        s.transact_write(vec![
            TxOp::Put {
                item: item("t", "p").with("gsi1pk", "G").with("gsi1sk", "1"),
                condition: Some(Condition::absent()),
            },
            TxOp::Update {
                key: key("t", "u"),
                update: Update::new().set("x", "y"),
                condition: None,
            },
            TxOp::Delete {
                key: key("t", "del"),
                condition: Some(Condition::present()),
            },
            TxOp::Check {
                key: key("t", "chk"),
                condition: Condition::eq("ok", true),
            },
        ])
        .await
        .expect("commit");
        assert!(s.get(&key("t", "p")).await.expect("get").is_some());
        assert_eq!(
            s.get(&key("t", "u"))
                .await
                .expect("get")
                .and_then(|i| i.s("x").map(str::to_owned)),
            Some("y".into())
        );
        assert_eq!(s.get(&key("t", "del")).await.expect("get"), None);
        assert_eq!(
            sks(&drain(&*s, Query::index(Index::Gsi1, "G")).await),
            ["p"]
        );
    }

    pub async fn transactions_take_up_to_one_hundred_distinct_items(s: Arc<dyn Store>) {
        let ops = |n: usize| -> Vec<TxOp> {
            (0..n)
                .map(|i| TxOp::Put {
                    item: item("big", &format!("{i:03}")),
                    condition: Some(Condition::absent()),
                })
                .collect()
        };
        s.transact_write(ops(100)).await.expect("100 operations");
        assert_eq!(drain(&*s, Query::partition("big")).await.len(), 100);
        assert!(matches!(
            s.transact_write(ops(101)).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.transact_write(Vec::new()).await,
            Err(StoreError::Invalid(_))
        ));
        let twice = vec![
            TxOp::Put {
                item: item("dup", "x"),
                condition: None,
            },
            TxOp::Delete {
                key: key("dup", "x"),
                condition: None,
            },
        ];
        assert!(matches!(
            s.transact_write(twice).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(s.get(&key("dup", "x")).await.expect("get"), None);
    }

    pub async fn racing_conditional_puts_have_exactly_one_winner(s: Arc<dyn Store>) {
        for round in 0..5 {
            let pk = format!("race#{round}");
            let mut tasks = Vec::new();
            for contender in 0..8 {
                let s = s.clone();
                let pk = pk.clone();
                tasks.push(tokio::spawn(async move {
                    let it = item(&pk, "EXT#1001").with("owner", format!("account-{contender}"));
                    (contender, s.put(it, Some(Condition::absent())).await)
                }));
            }
            let mut winners = Vec::new();
            for t in tasks {
                let (who, res) = t.await.expect("join");
                match res {
                    Ok(()) => winners.push(who),
                    Err(StoreError::ConditionFailed) => {}
                    Err(e) => panic!("unexpected error {e}"),
                }
            }
            assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
            let owner = s
                .get(&key(&pk, "EXT#1001"))
                .await
                .expect("get")
                .expect("exists");
            assert_eq!(
                owner.s("owner"),
                Some(format!("account-{}", winners[0]).as_str())
            );
        }
    }

    pub async fn racing_transactions_claim_one_number_once(s: Arc<dyn Store>) {
        s.put(
            item("NUMPOOL#kr", "NUM#+827011112222")
                .with("gsi2pk", "AVAIL#kr")
                .with("gsi2sk", "+827011112222"),
            None,
        )
        .await
        .expect("seed");
        let mut tasks = Vec::new();
        for admin in 0..6 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let claim = vec![
                    TxOp::Update {
                        key: key("NUMPOOL#kr", "NUM#+827011112222"),
                        update: Update::new()
                            .remove("gsi2pk")
                            .remove("gsi2sk")
                            .set("account", format!("a{admin}")),
                        condition: Some(Condition::exists("gsi2pk")),
                    },
                    TxOp::Put {
                        item: item(&format!("TENANT#t{admin}"), "DID#+827011112222"),
                        condition: Some(Condition::absent()),
                    },
                ];
                loop {
                    match s.transact_write(claim.clone()).await {
                        Err(StoreError::Conflict) => tokio::task::yield_now().await,
                        other => return other,
                    }
                }
            }));
        }
        let mut wins = 0;
        for t in tasks {
            match t.await.expect("join") {
                Ok(()) => wins += 1,
                Err(StoreError::TransactionCanceled { failed }) => assert_eq!(failed, vec![0]),
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(wins, 1);
        let mut dids = 0;
        for admin in 0..6 {
            if s.get(&key(&format!("TENANT#t{admin}"), "DID#+827011112222"))
                .await
                .expect("get")
                .is_some()
            {
                dids += 1;
            }
        }
        assert_eq!(dids, 1, "exactly one tenant holds the number");
    }

    pub async fn expired_items_are_invisible_and_count_as_absent(s: Arc<dyn Store>) {
        let past = now_epoch_seconds() - 10;
        let future = now_epoch_seconds() + 3600;
        s.put(
            item("ttl", "old")
                .with("expires_at", past)
                .with("gsi1pk", "TTL")
                .with("gsi1sk", "1"),
            None,
        )
        .await
        .expect("put");
        s.put(
            item("ttl", "live")
                .with("expires_at", future)
                .with("gsi1pk", "TTL")
                .with("gsi1sk", "2"),
            None,
        )
        .await
        .expect("put");
        assert_eq!(s.get(&key("ttl", "old")).await.expect("get"), None);
        assert!(s.get(&key("ttl", "live")).await.expect("get").is_some());
        assert_eq!(
            sks(&s
                .batch_get(&[key("ttl", "old"), key("ttl", "live")])
                .await
                .expect("batch")),
            ["live"]
        );
        assert_eq!(sks(&drain(&*s, Query::partition("ttl")).await), ["live"]);
        assert_eq!(
            sks(&drain(&*s, Query::partition("ttl").limit(1)).await),
            ["live"]
        );
        assert_eq!(
            sks(&drain(&*s, Query::index(Index::Gsi1, "TTL")).await),
            ["live"]
        );
        // An expired session's key can be taken again by a create-only write...
        s.put(
            item("ttl", "old").with("v", "fresh"),
            Some(Condition::absent()),
        )
        .await
        .expect("reuse expired key");
        assert_eq!(
            s.get(&key("ttl", "old"))
                .await
                .expect("get")
                .and_then(|i| i.s("v").map(str::to_owned)),
            Some("fresh".into())
        );
        // ...and conditions on an expired item see nothing.
        s.put(
            item("ttl", "gone").with("expires_at", past).with("v", 1i64),
            None,
        )
        .await
        .expect("put");
        assert_eq!(
            s.delete(&key("ttl", "gone"), Some(Condition::eq("v", 1i64)))
                .await,
            Err(StoreError::ConditionFailed)
        );
        assert_eq!(
            s.transact_write(vec![TxOp::Check {
                key: key("ttl", "gone"),
                condition: Condition::present()
            }])
            .await,
            Err(StoreError::TransactionCanceled { failed: vec![0] })
        );
    }

    pub async fn malformed_requests_are_rejected_and_change_nothing(s: Arc<dyn Store>) {
        assert!(matches!(
            s.put(item("", "s"), None).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.put(Item::default().with("x", 1i64), None).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.put(item("p", "s").with("expires_at", "soon"), None).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.put(item("p", "s").with("gsi1pk", 5i64), None).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.update(&key("p", "s"), Update::new().set("pk", "other"), None)
                .await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.update(
                &key("p", "s"),
                Update::new().set("a", 1i64).add("a", 1),
                None
            )
            .await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.update(&key("p", "s"), Update::new(), None).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.query(&Query::partition("p").limit(0)).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.query(&Query::partition("p").sk(SortKey::Between("b".into(), "a".into())))
                .await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.put(item("p", "s").with("blob", vec![0u8; 500 * 1024]), None)
                .await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(s.get(&key("p", "s")).await.expect("get"), None);
        s.put(item("p", "s").with("n", "text"), None)
            .await
            .expect("put");
        assert!(matches!(
            s.update(&key("p", "s"), Update::new().add("n", 1), None)
                .await,
            Err(StoreError::Invalid(_))
        ));
    }
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod embedded_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (s, _dir) = super::embedded_memory().await;
                    super::cases::$case(s).await;
                }
            )*
        }
        mod embedded_file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (s, _dir) = super::embedded_file().await;
                    super::cases::$case(s).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (s, _dir) = super::dynamodb().await;
                    super::cases::$case(s).await;
                }
            )*
        }
    };
}

contract!(
    put_then_get_returns_the_same_item,
    put_replaces_the_whole_item,
    create_only_put_fails_on_an_existing_item_and_changes_nothing,
    conditions_compare_strings_and_numbers,
    update_sets_removes_and_adds_atomically,
    update_creates_a_missing_item_unless_told_not_to,
    concurrent_increments_are_not_lost,
    delete_honours_its_condition,
    batch_get_returns_existing_items_in_key_order,
    sort_key_conditions_select_the_right_range_in_either_order,
    pagination_returns_every_item_exactly_once,
    a_cursor_only_works_for_its_own_partition,
    secondary_index_is_sparse_ordered_and_follows_updates,
    index_pages_through_equal_sort_keys_exactly_once,
    a_failed_transaction_leaves_no_trace,
    transaction_reports_every_failed_condition,
    a_successful_transaction_applies_every_operation,
    transactions_take_up_to_one_hundred_distinct_items,
    racing_conditional_puts_have_exactly_one_winner,
    racing_transactions_claim_one_number_once,
    expired_items_are_invisible_and_count_as_absent,
    malformed_requests_are_rejected_and_change_nothing,
);
