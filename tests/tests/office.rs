//! The local all-in-one as a newcomer meets it: the `office` process, its
//! JSON start-up line, its HTTP endpoints, restarts and operator commands.

use std::path::Path;

use e2e::{Office, office};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn serving_prints_urls_and_demo_logins_and_answers_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let office = Office::start(dir.path(), &[]).expect("office starts");
    let info = &office.info;
    assert!(
        office.base.starts_with("http://127.0.0.1:"),
        "{}",
        office.base
    );
    assert_eq!(info["api_url"], format!("{}/v1", office.base));
    assert_eq!(info["tenant_id"], "demo");
    assert_eq!(info["admin"]["email"], "admin@demo.example");
    assert!(info["admin"]["password"].as_str().expect("password").len() >= 16);
    let users = info["users"].as_array().expect("users");
    assert_eq!(users.len(), 3);
    assert_eq!(users[0]["extension"], "1001");
    assert_eq!(users[0]["number"], "070-4000-0001");
    assert!(info["api_key"].as_str().expect("key").starts_with("mto_"));
    assert_eq!(info["join_code"].as_str().map(str::len), Some(8));
    assert_eq!(users[0]["sip_username"].as_str().map(str::len), Some(10));
    assert_eq!(users[0]["sip_password"].as_str().map(str::len), Some(20));

    let health: serde_json::Value = reqwest::get(format!("{}/health", office.base))
        .await
        .expect("GET /health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
    let landing = reqwest::get(format!("{}/", office.base))
        .await
        .expect("GET /");
    assert_eq!(landing.status(), 200);
    assert!(landing.text().await.expect("text").contains("말톡오피스"));
    assert!(
        office.stop().expect("stop"),
        "office exits cleanly on SIGTERM"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_is_idempotent_and_data_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    // With the demo's finished calls: two of them have recordings.
    let first = Office::start_with_env(dir.path(), &[], &[("OFFICE_DEMO_NO_CALLS", "0")])
        .expect("first start");
    let creds = first.info.clone();
    assert!(first.stop().expect("stop"));

    let out = office(
        dir.path(),
        &["tenant", "create", "--id", "acme", "--name", "(주)애크미"],
    )
    .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));

    let second = Office::start(dir.path(), &["--demo"]).expect("second start");
    assert_eq!(creds["hunt_group"]["extension"], "1000", "{creds:#}");
    assert_eq!(creds["hunt_group"]["strategy"], "rrmemory");
    for field in [
        "admin",
        "users",
        "api_key",
        "tenant_id",
        "join_code",
        "hunt_group",
        "ivr",
    ] {
        assert_eq!(second.info[field], creds[field], "{field} is reused");
    }
    assert!(second.stop().expect("stop"));
    // Only this user may read the data: the directory 0700, the table,
    // the secrets and the kept files 0600.
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(dir.path()), 0o700, "the data directory");
        for f in ["office.redb", "demo.json"] {
            assert_eq!(mode(&dir.path().join(f)), 0o600, "{f}");
        }
        // Everything below it too: recordings, their metadata, the spool,
        // keys. Only the TLS certificate (public by nature) may be read by others.
        let mut todo = vec![dir.path().to_owned()];
        let (mut files, mut recordings) = (0, 0);
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).expect("read dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    assert_eq!(mode(&p), 0o700, "{}", p.display());
                    todo.push(p);
                } else if p.extension().is_some_and(|x| x == "crt") {
                    assert_eq!(mode(&p) & 0o022, 0, "{}", p.display());
                } else {
                    assert_eq!(mode(&p), 0o600, "{}", p.display());
                    files += 1;
                    recordings += usize::from(p.extension().is_some_and(|x| x == "wav"));
                }
            }
        }
        assert!(
            recordings >= 2,
            "the demo's recordings were checked ({files} files)"
        );
    }

    let out = office(dir.path(), &["tenant", "list"]).expect("run");
    let listed = stdout(&out);
    assert!(listed.contains("acme\t(주)애크미"), "{listed}");
    assert!(listed.contains("demo\t(주)데모커뮤니케이션즈"), "{listed}");
    // Three demo users hold three numbers: seventeen of twenty stay free.
    let out = office(dir.path(), &["numbers", "available"]).expect("run");
    assert!(
        stderr(&out).contains("17 free number(s) in region kr"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("070-4000-0001"));
}

#[tokio::test(flavor = "multi_thread")]
async fn serving_without_the_demo_prints_only_urls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let office = Office::start(dir.path(), &["--no-demo"]).expect("start");
    assert!(office.info.get("admin").is_none());
    assert!(
        office.info["health_url"]
            .as_str()
            .expect("url")
            .ends_with("/health")
    );
    assert!(office.stop().expect("stop"));
    let out = office_cmd_list(dir.path());
    assert_eq!(out.trim(), "", "no tenant was created");
}

fn office_cmd_list(dir: &Path) -> String {
    stdout(&office(dir, &["tenant", "list"]).expect("run"))
}

#[test]
fn operator_creates_a_tenant_and_its_admin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = office(
        dir.path(),
        &[
            "tenant",
            "create",
            "--id",
            "dial070",
            "--name",
            "(주)다이얼커뮤니케이션즈",
            "--representative",
            "1588-1234",
        ],
    )
    .expect("run");
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("created tenant dial070"));

    let again = office(
        dir.path(),
        &["tenant", "create", "--id", "dial070", "--name", "other"],
    )
    .expect("run");
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("tenant dial070 already exists"),
        "{}",
        stderr(&again)
    );

    let bad = office(
        dir.path(),
        &["tenant", "create", "--id", "Bad#Id", "--name", "x"],
    )
    .expect("run");
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("tenant id may contain only"),
        "{}",
        stderr(&bad)
    );

    let admin = office(
        dir.path(),
        &[
            "admin",
            "create",
            "--tenant",
            "dial070",
            "--email",
            "Boss@Dial070.co.kr",
        ],
    )
    .expect("run");
    assert!(admin.status.success(), "{}", stderr(&admin));
    let text = stdout(&admin);
    assert!(
        text.contains("created admin boss@dial070.co.kr of tenant dial070"),
        "{text}"
    );
    assert!(
        text.contains("password: "),
        "a generated password is shown once"
    );

    let dup = office(
        dir.path(),
        &[
            "admin",
            "create",
            "--tenant",
            "dial070",
            "--email",
            "boss@dial070.co.kr",
            "--password",
            "another-good-pass",
        ],
    )
    .expect("run");
    assert!(!dup.status.success());
    assert!(stderr(&dup).contains("already used"), "{}", stderr(&dup));

    let nowhere = office(
        dir.path(),
        &[
            "admin",
            "create",
            "--tenant",
            "nosuch",
            "--email",
            "x@y.co.kr",
            "--password",
            "long enough pw",
        ],
    )
    .expect("run");
    assert!(!nowhere.status.success());
    assert!(
        stderr(&nowhere).contains("tenant nosuch does not exist"),
        "{}",
        stderr(&nowhere)
    );

    let weak = office(
        dir.path(),
        &[
            "admin",
            "create",
            "--tenant",
            "dial070",
            "--email",
            "w@dial070.co.kr",
            "--password",
            "short",
        ],
    )
    .expect("run");
    assert!(!weak.status.success());
    assert!(
        stderr(&weak).contains("at least 10 characters"),
        "{}",
        stderr(&weak)
    );
}

#[test]
fn number_files_load_all_or_nothing_and_reloading_adds_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "number\n070-1111-0001\n07011110002\n+82 70 1111 0003\n070-1111-0001\n\n",
    )
    .expect("write");
    let out = office(
        dir.path(),
        &["numbers", "load", "--csv", good.to_str().expect("utf-8")],
    )
    .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("3 added, 0 already in the pool, 1 duplicate line(s) ignored"),
        "{}",
        stdout(&out)
    );

    let out = office(
        dir.path(),
        &["numbers", "load", "--csv", good.to_str().expect("utf-8")],
    )
    .expect("run");
    assert!(
        stdout(&out).contains("0 added, 3 already in the pool"),
        "{}",
        stdout(&out)
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "070-2222-0001\n010-1234-5678\n070-12\n070-2222-0004\n",
    )
    .expect("write");
    let out = office(
        dir.path(),
        &["numbers", "load", "--csv", bad.to_str().expect("utf-8")],
    )
    .expect("run");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("line 2: \"010-1234-5678\": 010-1234-5678 is not a 070 number"),
        "{err}"
    );
    assert!(err.contains("line 3: \"070-12\""), "{err}");
    assert!(err.contains("2 bad line(s)"), "{err}");

    let out = office(dir.path(), &["numbers", "available"]).expect("run");
    let listed = stdout(&out);
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        ["070-1111-0001", "070-1111-0002", "070-1111-0003"]
    );
    assert!(
        stderr(&out).contains("3 free number(s)"),
        "nothing from the bad file was loaded"
    );
}

#[test]
fn api_keys_take_known_scopes_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(
        office(
            dir.path(),
            &["tenant", "create", "--id", "acme", "--name", "Acme"]
        )
        .expect("run")
        .status
        .success()
    );
    let out = office(
        dir.path(),
        &[
            "apikey",
            "create",
            "--tenant",
            "acme",
            "--name",
            "crm",
            "--scope",
            "calls:read",
        ],
    )
    .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).trim().starts_with("mto_"));
    let out = office(
        dir.path(),
        &[
            "apikey", "create", "--tenant", "acme", "--name", "crm", "--scope", "root",
        ],
    )
    .expect("run");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown scope root"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_second_process_on_the_same_data_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let office_proc = Office::start(dir.path(), &["--no-demo"]).expect("start");
    let out = office(dir.path(), &["tenant", "list"]).expect("run");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is in use by another office process"),
        "{}",
        stderr(&out)
    );
    assert!(office_proc.stop().expect("stop"));
}

#[test]
fn holidays_are_printed_for_a_year_with_one_off_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = office(dir.path(), &["holidays", "2027"]).expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "2027-02-06 설날",
        "2027-02-09 대체공휴일",
        "2027-05-13 부처님오신날",
        "2027-09-15 추석",
        "2027-12-25 성탄절",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in {text}");
    }
    let add = office(
        dir.path(),
        &[
            "holidays",
            "add",
            "--date",
            "2027-03-03",
            "--name",
            "임시공휴일",
        ],
    )
    .expect("run");
    assert!(add.status.success(), "{}", stderr(&add));
    let json = office(dir.path(), &["holidays", "2027", "--json"]).expect("run");
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("json array");
    assert!(
        v.as_array()
            .expect("array")
            .iter()
            .any(|h| h["date"] == "2027-03-03" && h["name"] == "임시공휴일")
    );
    let bad = office(
        dir.path(),
        &["holidays", "add", "--date", "2027-02-30", "--name", "x"],
    )
    .expect("run");
    assert!(!bad.status.success());
}

#[test]
fn operator_sets_message_prices_with_one_decimal() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(
        office(
            dir.path(),
            &["tenant", "create", "--id", "acme", "--name", "Acme"]
        )
        .expect("run")
        .status
        .success()
    );
    let ok = office(
        dir.path(),
        &[
            "tenant", "rates", "--tenant", "acme", "--sms", "31.2", "--lms", "90", "--mms", "200.5",
        ],
    )
    .expect("run");
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).contains("SMS 31.2원, LMS 90원, MMS 200.5원"),
        "{}",
        stdout(&ok)
    );
    let bad = office(
        dir.path(),
        &[
            "tenant", "rates", "--tenant", "acme", "--sms", "31.25", "--lms", "1", "--mms", "1",
        ],
    )
    .expect("run");
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("at most one decimal"),
        "{}",
        stderr(&bad)
    );
}
