//! 조직도 엑셀: sample round trip, a 5,000-member import, all-or-nothing
//! rejection with a per-row report, the lock, and crash recovery.

mod common;

use app::orgfile::{self, UploadError};
use domain::{AccountStatus, TenantId};

async fn app_with(n: usize) -> (app::App, TenantId, Vec<domain::Account>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, t) = common::acme(dir.path()).await;
    let mut people = Vec::new();
    for i in 0..n {
        let c = app::admin::create_member(
            &app,
            &t,
            app::admin::NewMember {
                name: format!("직원{i:05}"),
                status: Some(AccountStatus::Active),
                ..Default::default()
            },
        )
        .await
        .expect("member");
        people.push(c.account);
    }
    (app, t, people, dir)
}

/// An .xlsx with the sample's header and the given rows.
fn xlsx(rows: &[[String; 9]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in orgfile::COLUMNS.iter().enumerate() {
        sheet
            .write_string(0, u16::try_from(c).expect("col"), *h)
            .expect("header");
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet
                    .write_string(
                        u32::try_from(r + 1).expect("row"),
                        u16::try_from(c).expect("col"),
                        v.as_str(),
                    )
                    .expect("cell");
            }
        }
    }
    book.save_to_buffer().expect("xlsx")
}

fn row(a: &domain::Account, parent: &str, dept: &str, pos: &str, ext: &str) -> [String; 9] {
    [
        a.id.to_string(),
        a.name.clone(),
        String::new(),
        String::new(),
        String::new(),
        parent.into(),
        dept.into(),
        pos.into(),
        ext.into(),
    ]
}

#[tokio::test]
async fn five_thousand_members_import_in_one_go_and_the_sample_round_trips() {
    let (app, t, people, _dir) = app_with(5000).await;
    let rows: Vec<[String; 9]> = people
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (parent, dept) = match i % 3 {
                0 => ("", "경영지원팀"),
                1 => ("경영지원팀", "인사파트"),
                _ => ("인사파트", "채용셀"),
            };
            row(
                a,
                parent,
                dept,
                if i % 2 == 0 { "대리" } else { "과장" },
                &format!("{:04}", 1000 + i),
            )
        })
        .collect();
    // One bad row in the middle rejects all 5,000, with its row number.
    let mut broken = rows.clone();
    broken[2500][8] = "25x0".into();
    let Err(UploadError::Rows(report)) = orgfile::upload(&app, &t, &xlsx(&broken)).await else {
        panic!("a bad row must reject the file");
    };
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].row, 2502, "Excel row of the 2,501st member");
    assert!(
        app::org::departments(&app, &t)
            .await
            .expect("departments")
            .is_empty(),
        "nothing was written"
    );

    let done = orgfile::upload(&app, &t, &xlsx(&rows))
        .await
        .expect("import");
    assert_eq!(done.members, 5000);
    assert_eq!(done.departments, 3);
    let chart = app::org::chart(&app, &t).await.expect("chart");
    assert_eq!(chart.departments.len(), 1);
    assert_eq!(chart.departments[0].name, "경영지원팀");
    assert_eq!(chart.departments[0].children[0].name, "인사파트");
    assert_eq!(chart.departments[0].children[0].children[0].name, "채용셀");
    assert_eq!(chart.departments[0].members.len(), 1667);
    let some = app::admin::account(&app, &t, people[4].id.as_str())
        .await
        .expect("account");
    assert_eq!(
        (
            some.department.as_deref(),
            some.position.as_deref(),
            some.extension.map(|e| e.to_string())
        ),
        (Some("인사파트"), Some("대리"), Some("1004".into()))
    );
    // The extension markers moved with the file: 1004 is taken.
    let clash = app::admin::update_profile(&app, &t, &people[0].id, None, None, Some("1004")).await;
    assert!(
        matches!(clash, Err(ref f) if f.code == "extension_taken"),
        "{clash:?}"
    );

    // The sample is the chart as it is: uploading it back changes nothing.
    let sample = orgfile::sample(&app, &t).await.expect("sample");
    orgfile::upload(&app, &t, &sample).await.expect("re-import");
    assert_eq!(app::org::chart(&app, &t).await.expect("chart"), chart);
}

#[tokio::test]
async fn one_bad_row_rejects_the_whole_file_with_a_report_and_changes_nothing() {
    let (app, t, people, _dir) = app_with(8).await;
    let first = xlsx(&[
        row(&people[0], "", "영업팀", "사원", "2001"),
        row(&people[1], "", "영업팀", "사원", "2002"),
    ]);
    orgfile::upload(&app, &t, &first)
        .await
        .expect("first import");
    let before = app::org::chart(&app, &t).await.expect("chart");

    let mut unknown = row(&people[5], "", "X", "", "");
    unknown[0] = "0".repeat(32);
    let bad = xlsx(&[
        row(&people[0], "", "마케팅팀", "차장", "3001"),
        row(&people[1], "마케팅팀", "디자인", "대리", "3001"),
        row(&people[2], "", "개발팀", "", "12a4"),
        unknown,
        row(&people[3], "디자인", "마케팅팀", "", ""),
        row(&people[4], "상위만", "", "", ""),
        row(&people[0], "", "개발팀", "", ""),
        row(&people[6], "Q팀", "P팀", "", ""),
        row(&people[7], "P팀", "Q팀", "", ""),
    ]);
    let Err(UploadError::Rows(report)) = orgfile::upload(&app, &t, &bad).await else {
        panic!("the file must be rejected");
    };
    let msgs: Vec<String> = report
        .iter()
        .map(|e| format!("{}: {}", e.row, e.message))
        .collect();
    let has = |row: usize, text: &str| {
        report
            .iter()
            .any(|e| e.row == row && e.message.contains(text))
    };
    assert!(has(3, "3001"), "{msgs:?}");
    assert!(has(4, "4자리 숫자"), "{msgs:?}");
    assert!(has(5, "알 수 없는 계정"), "{msgs:?}");
    assert!(has(6, "상위부서가"), "{msgs:?}");
    assert!(has(7, "부서명을 비울 수 없습니다"), "{msgs:?}");
    assert!(has(8, "2행에도"), "{msgs:?}");
    assert!(
        report.iter().any(|e| e.message.contains("순환")),
        "a department cycle is reported: {msgs:?}"
    );
    assert_eq!(
        app::org::chart(&app, &t).await.expect("chart"),
        before,
        "nothing changed"
    );

    let not_xlsx = orgfile::upload(&app, &t, b"name,dept\n").await;
    assert!(matches!(not_xlsx, Err(UploadError::File(ref f)) if f.code == "invalid_file"));
}

#[tokio::test]
async fn an_interrupted_import_is_finished_on_resume_and_edits_wait_for_it() {
    let (app, t, people, _dir) = app_with(120).await;
    let rows: Vec<[String; 9]> = people
        .iter()
        .enumerate()
        .map(|(i, a)| row(a, "", "지원팀", "", &format!("{:04}", 5000 + i)))
        .collect();
    let bytes = xlsx(&rows);
    // Simulate a crash: the plan is stored, then only two batches are applied.
    let plan_rows = orgfile::upload_plan_for_test(&app, &t, &bytes)
        .await
        .expect("plan");
    orgfile::apply(&app, &t, &plan_rows, 2)
        .await
        .expect_err("interrupted");
    let half = app::org::members(&app, &t, "지원팀")
        .await
        .expect("members")
        .len();
    assert!(half > 0 && half < 120, "partially applied: {half}");
    // While the upload holds the lock, a profile edit is turned away.
    let busy = app::admin::update_profile(&app, &t, &people[0].id, None, None, Some("9999")).await;
    assert!(
        matches!(busy, Err(ref f) if f.code == "org_busy"),
        "{busy:?}"
    );
    assert!(orgfile::resume(&app, &t).await.expect("resume"));
    assert_eq!(
        app::org::members(&app, &t, "지원팀")
            .await
            .expect("members")
            .len(),
        120
    );
    assert!(!orgfile::resume(&app, &t).await.expect("nothing pending"));
    app::admin::update_profile(&app, &t, &people[0].id, None, None, Some("9999"))
        .await
        .expect("edits work again");
}

#[tokio::test]
async fn an_unknown_parent_department_is_refused_and_a_known_one_keeps_its_place() {
    let (app, t, people, _dir) = app_with(3).await;
    // The company's chart: 본사 > 영업부.
    let first = vec![
        row(&people[0], "", "본사", "", ""),
        row(&people[1], "본사", "영업부", "", ""),
    ];
    orgfile::upload(&app, &t, &xlsx(&first))
        .await
        .expect("import");
    // A typo in 상위부서: refused, naming the row and the name.
    let typo = vec![row(&people[2], "영엽부", "영업1팀", "", "")];
    let Err(UploadError::Rows(report)) = orgfile::upload(&app, &t, &xlsx(&typo)).await else {
        panic!("an unknown parent must be refused");
    };
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(report[0].row, 2);
    assert!(
        report[0].message.contains("'영엽부'"),
        "{}",
        report[0].message
    );
    // A department the company has (not in this file) is a fine parent,
    // and stays under its own parent.
    let more = vec![row(&people[2], "영업부", "영업1팀", "", "")];
    orgfile::upload(&app, &t, &xlsx(&more))
        .await
        .expect("import");
    let chart = app::org::chart(&app, &t).await.expect("chart");
    let top = chart
        .departments
        .iter()
        .find(|d| d.name == "본사")
        .expect("본사");
    let sales = top
        .children
        .iter()
        .find(|d| d.name == "영업부")
        .expect("영업부 under 본사");
    assert_eq!(sales.children[0].name, "영업1팀");
}
