//! 문자발송 / 메시지조회(발송) (A3, U5) and 정산관리 (A4): the send form with
//! the live byte counter, bulk recipients from Excel, the history, the
//! detail with progress, and resending the failed ones.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::PhoneNumber;
use domain::calendar::{Date, TimeZone};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::layout::{Menu, csrf, error_box, ok, page, render_fail, status_for};
use super::{Admin, Portal, csrf_refusal};

/// Counts bytes as carriers do (ASCII 1, everything else 2) and flips the
/// label to LMS past 90 bytes; the server re-checks with the real table.
const COUNTER_JS: &str = r#"
document.addEventListener('DOMContentLoaded', function () {
  var t = document.getElementById('text'), c = document.getElementById('counter'),
      n = document.getElementById('kind-note'), s = document.getElementById('subject'),
      img = document.getElementById('images');
  function count() {
    var bytes = 0, bad = null, i = 0;
    for (var ch of t.value) {
      i++;
      var cp = ch.codePointAt(0);
      if (cp > 0xFFFF && bad === null) bad = i;
      bytes += cp < 0x80 ? 1 : 2;
    }
    var mms = img && img.files && img.files.length > 0;
    var lms = bytes > 90 || (s && s.value.length > 0);
    var kind = mms ? 'MMS' : (lms ? 'LMS' : 'SMS');
    c.textContent = bytes + ' / ' + kind + ' ' + (kind === 'SMS' ? 90 : 2000) + 'byte';
    n.textContent = bad !== null ? (bad + '번째 글자는 문자로 보낼 수 없습니다')
      : (kind === 'LMS' && bytes > 90 ? '90byte를 넘어 LMS로 발송됩니다' : '');
  }
  ['input', 'change'].forEach(function (e) { t.addEventListener(e, count); if (s) s.addEventListener(e, count); if (img) img.addEventListener(e, count); });
  count();
});
"#;

fn today(tz: &TimeZone) -> Date {
    tz.date_of_ms(store::now_epoch_ms()).unwrap_or(Date::MIN)
}

fn first_of_month(d: Date) -> Date {
    Date::new(d.year(), d.month(), 1).unwrap_or(d)
}

fn show_number(e164: &str) -> String {
    PhoneNumber::from_e164(e164)
        .map(|n| n.to_string())
        .unwrap_or_else(|_| e164.to_owned())
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    recipient: String,
    sent: Option<String>,
    image_size: Option<String>,
    /// Back from saving the sink's failing numbers.
    sink: Option<String>,
}

fn base(as_admin: bool) -> &'static str {
    if as_admin { "/admin/sms" } else { "/sms" }
}

/// The local product's SMS go to a sink: numbers chosen here fail as if a
/// carrier refused them, so "실패 건만 재전송" can be tried.
fn sink_card(p: &Portal, failing: &[String]) -> Markup {
    let shown: Vec<String> = failing
        .iter()
        .map(|n| PhoneNumber::parse(n).map_or_else(|_| n.clone(), |p| p.to_string()))
        .collect();
    html! {
        div class="card" id="sink-card" {
            h2 { "테스트 발송 (로컬 설치)" }
            p class="muted" {
                "이 설치는 문자를 실제로 보내지 않고 기록만 합니다. 아래 번호로 보내는 문자는 통신사가 거부한 것처럼 실패합니다. "
                "'실패 건만 재전송'을 시험해 볼 때 쓰세요."
            }
            form method="post" action="/admin/sms/sink" {
                (csrf(p))
                label for="failing" { "실패시킬 번호 (줄바꿈 또는 쉼표로 구분)" }
                textarea id="failing" name="numbers" rows="2" style="width:100%;max-width:420px" { (shown.join("\n")) }
                button type="submit" class="secondary" id="save-failing" { "저장" }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SinkForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    numbers: String,
}

pub async fn set_sink_failures(
    State(app): State<app::App>,
    Admin(p): Admin,
    axum::Form(f): axum::Form<SinkForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    if !app.local_sms_sink {
        return render_fail(
            Some(&p),
            &app::Fail::not_found("이 설치는 실제 통신사로 문자를 보냅니다"),
        );
    }
    let mut numbers = Vec::new();
    for raw in f
        .numbers
        .split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match PhoneNumber::parse(raw) {
            Ok(n) => numbers.push(n.e164()),
            Err(e) => {
                let msg = format!("{}: {}", raw, app::labels::phone_error(&e));
                let page = sms_page(&app, &p, true, &SearchQuery::default(), Some(&msg), &[]).await;
                return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
            }
        }
    }
    match store::repo::sink::set_failing(&*app.store, &numbers).await {
        Ok(()) => Redirect::to("/admin/sms?sink=1").into_response(),
        Err(e) => render_fail(Some(&p), &app::Fail::from(e)),
    }
}

fn recipients_box(value: &str) -> Markup {
    html! {
        textarea id="recipients" name="recipients" rows="3" style="width:100%;max-width:420px" placeholder="010-0000-0000 (여러 명은 줄바꿈 또는 쉼표로 구분)" { (value) }
    }
}

/// What was typed into the send form, shown again when a send is refused
/// (the recipients include those read from an uploaded Excel file).
#[derive(Debug, Default)]
struct Typed {
    recipients: String,
    subject: String,
    text: String,
}

async fn sms_page(
    app: &app::App,
    p: &Portal,
    as_admin: bool,
    q: &SearchQuery,
    error: Option<&str>,
    bad_rows: &[app::messaging::RecipientError],
) -> Response {
    sms_page_typed(app, p, as_admin, q, error, bad_rows, &Typed::default()).await
}

async fn sms_page_typed(
    app: &app::App,
    p: &Portal,
    as_admin: bool,
    q: &SearchQuery,
    error: Option<&str>,
    bad_rows: &[app::messaging::RecipientError],
    typed: &Typed,
) -> Response {
    let tz = p.zone(app, as_admin).await;
    let to =
        q.to.as_deref()
            .and_then(|s| Date::parse(s).ok())
            .unwrap_or_else(|| today(&tz));
    let from = q
        .from
        .as_deref()
        .and_then(|s| Date::parse(s).ok())
        .unwrap_or_else(|| first_of_month(to));
    let (rows, search_error) = match app::messaging::history(
        app,
        &p.account,
        as_admin,
        from,
        to,
        Some(&q.recipient),
    )
    .await
    {
        Ok(r) => (r, None),
        Err(f) => (Vec::new(), Some(f.message)),
    };
    let sender = app::messaging::sender_number(app, &p.account, as_admin)
        .await
        .map(|n| n.to_string());
    let inbox = if as_admin {
        Vec::new()
    } else {
        store::repo::inbox::received(&*app.store, &p.account.tenant, &p.account.id, 50)
            .await
            .unwrap_or_default()
    };
    let failing = if as_admin && app.local_sms_sink {
        store::repo::sink::failing(&*app.store)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let b = base(as_admin);
    let menu = if as_admin { Menu::Sms } else { Menu::MySms };
    let title = if as_admin {
        "문자발송"
    } else {
        "메시지조회(발송)"
    };
    ok(page(
        p,
        menu,
        title,
        html! {
            @if q.sent.is_some() { div class="notice" role="status" id="sent" { "발송을 접수했습니다. 결과는 검색결과에서 확인할 수 있습니다." } }
            @if q.sink.is_some() { div class="notice" role="status" id="sink-saved" { "테스트 실패 번호를 저장했습니다." } }
            @if q.image_size.is_some() { div class="notice" role="status" { "첨부 이미지가 권장 크기(320X240)와 많이 달라 휴대폰에서 줄어들거나 흐리게 보일 수 있습니다." } }
            (error_box(error.or(search_error.as_deref())))
            @if !bad_rows.is_empty() {
                table id="recipient-errors" {
                    thead { tr { th { "순번" } th { "입력값" } th { "오류" } } }
                    tbody { @for e in bad_rows { tr { td { (e.position) } td { (e.value) } td { (e.message) } } } }
                }
            }
            div class="card" {
                h2 { "검색조건" }
                form method="get" action=(b) class="row" {
                    "발송일자" input type="date" name="from" value=(from.to_string()) style="width:160px"; "~"
                    input type="date" name="to" value=(to.to_string()) style="width:160px";
                    "수신번호" input type="text" name="recipient" value=(q.recipient) placeholder="-빼고 입력해주세요" style="width:180px";
                    button type="submit" class="secondary" id="search" { "조회하기" }
                }
            }
            div class="card" {
                h2 { "메시지 발송" }
                form method="post" action=(b) enctype="multipart/form-data" id="send-form" {
                    (csrf(p))
                    // One key per rendered form: submitting it twice sends once.
                    input type="hidden" name="_form" value=(app::auth::token());
                    label for="recipients" { "받는사람" }
                    (recipients_box(&typed.recipients))
                    div class="row" {
                        label for="bulk" style="margin:0" { "일괄등록" }
                        // Choosing a file fills 받는사람 with its numbers at once.
                        input type="file" id="bulk" name="bulk" accept=".xlsx"
                            hx-post=(format!("{b}/bulk")) hx-encoding="multipart/form-data" hx-trigger="change"
                            hx-target="#recipients" hx-swap="outerHTML" hx-include="#recipients, [name=_csrf]";
                        a class="btn secondary" href=(format!("{b}/sample")) { "샘플" }
                    }
                    label for="subject" { "제목 (LMS/MMS, 선택)" }
                    input type="text" id="subject" name="subject" value=(typed.subject);
                    label for="text" { "Content" }
                    textarea id="text" name="text" rows="6" style="width:100%;max-width:420px" placeholder="Content..." { (typed.text) }
                    p { span id="counter" class="secret" { "0 / SMS 90byte" } " " span id="kind-note" class="muted" {} }
                    div class="row" {
                        label for="images" style="margin:0" { "이미지 추가" }
                        input type="file" id="images" name="images" accept=".jpg,.jpeg,image/jpeg" multiple;
                    }
                    p class="muted" { "이미지는 JPG 형식, 해상도 320X240, 300KB 미만을 권장합니다 (최대 3개)." }
                    p { button type="submit" id="send" { "발송" } }
                }
                p class="muted" {
                    @match &sender {
                        Ok(n) => { "- 메시지 발송시 발신번호는 " (n) (if as_admin { " (회사 대표번호)" } else { "" }) "로 표시됩니다." }
                        Err(f) => { (f.message) }
                    }
                }
            }
            @if as_admin && app.local_sms_sink { (sink_card(p, &failing)) }
            div class="card" {
                h2 { "검색결과" }
                p { (rows.len()) "건 검색완료" }
                table id="history" {
                    thead { tr { th { "수신번호" } th { "발송시간" } th { "발송유형" } th { "건수" } th { "성공률" } th { "내역확인" } } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { (r.first_recipient) @if r.count > 1 { " 외 " (r.count - 1) "명" } }
                                td { (r.sent_at) }
                                td { (r.kind) }
                                td { (r.count) }
                                td { (r.success_percent) "%" }
                                td { a class="btn secondary detail" href=(format!("{b}/{}", r.id)) { "내역확인" } }
                            }
                        }
                    }
                }
            }
            @if !as_admin {
                div class="card" {
                    h2 { "받은 메시지" }
                    table id="inbox" {
                        thead { tr { th { "보낸사람" } th { "받은시간" } th { "내용" } } }
                        tbody {
                            @for m in &inbox { tr { td { (m.from) } td { (tz.wall_clock(m.received_ms)) } td { (m.text) } } }
                            @if inbox.is_empty() { tr { td colspan="3" class="muted" { "받은 메시지가 없습니다" } } }
                        }
                    }
                }
            }
            script { (PreEscaped(COUNTER_JS)) }
        },
    ))
}

pub async fn admin_page(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<SearchQuery>,
) -> Response {
    sms_page(&app, &p, true, &q, None, &[]).await
}

pub async fn user_page(
    State(app): State<app::App>,
    p: Portal,
    Query(q): Query<SearchQuery>,
) -> Response {
    sms_page(&app, &p, false, &q, None, &[]).await
}

/// Reads numbers from the first column of an uploaded .xlsx (header optional).
fn bulk_numbers(bytes: &[u8]) -> Result<Vec<String>, app::Fail> {
    use calamine::{Data, Reader, Xlsx};
    let bad = || {
        app::Fail::bad(
            "invalid_file",
            "bulk",
            "엑셀(.xlsx) 파일을 읽을 수 없습니다. 샘플 양식으로 올려 주세요",
        )
    };
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|_| bad())?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(bad)?
        .map_err(|_| bad())?;
    let mut out = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let v = match row.first() {
            Some(Data::String(s)) => s.trim().to_owned(),
            Some(Data::Int(n)) => format!("0{n}"),
            Some(Data::Float(f)) if f.fract() == 0.0 => format!("0{f:.0}"),
            _ => String::new(),
        };
        if i == 0 && !v.chars().any(|c| c.is_ascii_digit()) {
            continue; // header
        }
        out.push(v);
    }
    if out.len() > app::messaging::MAX_RECIPIENTS {
        return Err(app::Fail::bad(
            "too_many_recipients",
            "bulk",
            format!(
                "한 번에 {}명까지 보낼 수 있습니다",
                app::messaging::MAX_RECIPIENTS
            ),
        ));
    }
    Ok(out)
}

async fn submit(app: &app::App, p: &Portal, as_admin: bool, mut form: Multipart) -> Response {
    let mut fields: std::collections::HashMap<String, String> = Default::default();
    let mut images = Vec::new();
    let mut bulk = None;
    loop {
        match form.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or_default().to_owned();
                match name.as_str() {
                    "images" => {
                        if let Ok(b) = f.bytes().await
                            && !b.is_empty()
                        {
                            images.push(b);
                        }
                    }
                    "bulk" => bulk = f.bytes().await.ok().filter(|b| !b.is_empty()),
                    _ => {
                        let v = f.text().await.unwrap_or_default();
                        fields.insert(name, v);
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                return render_fail(
                    Some(p),
                    &app::Fail::bad("invalid_form", "form", "전송된 양식을 읽을 수 없습니다"),
                );
            }
        }
    }
    if let Some(r) = csrf_refusal(p, fields.get("_csrf").map(String::as_str)) {
        return r;
    }
    let mut recipients: Vec<String> = fields
        .get("recipients")
        .map(|s| {
            s.split(['\n', ',', ';'])
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut typed = Typed {
        recipients: fields.get("recipients").cloned().unwrap_or_default(),
        subject: fields.get("subject").cloned().unwrap_or_default(),
        text: fields.get("text").cloned().unwrap_or_default(),
    };
    if let Some(b) = bulk {
        match bulk_numbers(&b) {
            Ok(v) => {
                // Report bad file rows by their Excel row (row 1 is the header).
                if let Err(mut rows) = app::messaging::recipients(&v) {
                    for r in &mut rows {
                        r.message = format!("엑셀 {}행: {}", r.position + 1, r.message);
                        r.position += 1;
                    }
                    let msg = format!(
                        "엑셀 파일의 {}개 행에 오류가 있어 발송하지 않았습니다",
                        rows.len()
                    );
                    typed.recipients = joined(&typed.recipients, &v);
                    let q = SearchQuery::default();
                    let page =
                        sms_page_typed(app, p, as_admin, &q, Some(&msg), &rows, &typed).await;
                    return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
                }
                typed.recipients = joined(&typed.recipients, &v);
                recipients.extend(v);
            }
            Err(f) => {
                return (
                    status_for(f.kind),
                    sms_page_typed(
                        app,
                        p,
                        as_admin,
                        &SearchQuery::default(),
                        Some(&f.message),
                        &[],
                        &typed,
                    )
                    .await,
                )
                    .into_response();
            }
        }
    }
    // Carriers resize images far from 320x240; say so (the send still goes).
    let unusual_image = images
        .iter()
        .any(|img| domain::sms::check_jpeg(img).is_ok_and(|j| j.unusual_size));
    let input = app::messaging::SendInput {
        recipients,
        text: fields.get("text").cloned().unwrap_or_default(),
        subject: fields.get("subject").cloned(),
        images,
        alimtalk_template: None,
    };
    // The form's CSRF token is unique per page view: a double-submitted form sends once.
    let key = format!(
        "form-{}",
        fields
            .get("_form")
            .cloned()
            .unwrap_or_else(app::auth::token)
    );
    match app::messaging::accept(app, &p.account, as_admin, input, Some(&key)).await {
        Ok(_) if unusual_image => {
            Redirect::to(&format!("{}?sent=1&image_size=1", base(as_admin))).into_response()
        }
        Ok(_) => Redirect::to(&format!("{}?sent=1", base(as_admin))).into_response(),
        Err(app::messaging::SendError::Fail(f)) => (
            status_for(f.kind),
            sms_page_typed(
                app,
                p,
                as_admin,
                &SearchQuery::default(),
                Some(&f.message),
                &[],
                &typed,
            )
            .await,
        )
            .into_response(),
        Err(app::messaging::SendError::Recipients(rows)) => {
            let msg = format!(
                "받는사람 {}건에 오류가 있어 발송하지 않았습니다",
                rows.len()
            );
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                sms_page_typed(
                    app,
                    p,
                    as_admin,
                    &SearchQuery::default(),
                    Some(&msg),
                    &rows,
                    &typed,
                )
                .await,
            )
                .into_response()
        }
    }
}

/// The typed recipients with those of a file added, one per line.
fn joined(typed: &str, more: &[String]) -> String {
    let mut out = typed.trim_end().to_owned();
    for n in more {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(n);
    }
    out
}

/// 일괄등록: the chosen Excel file's numbers, added to 받는사람 before
/// sending (htmx swaps the box). A file that cannot be read leaves the box
/// as it was, with the reason under it.
async fn bulk_preview(p: &Portal, mut form: Multipart) -> Response {
    let (mut typed, mut csrf_value, mut file) = (String::new(), None, None);
    while let Ok(Some(f)) = form.next_field().await {
        match f.name().unwrap_or_default() {
            "recipients" => typed = f.text().await.unwrap_or_default(),
            "_csrf" => csrf_value = f.text().await.ok(),
            "bulk" => file = f.bytes().await.ok().filter(|b| !b.is_empty()),
            _ => {}
        }
    }
    if let Some(r) = csrf_refusal(p, csrf_value.as_deref()) {
        return r;
    }
    let Some(bytes) = file else {
        return ok(recipients_box(&typed));
    };
    match bulk_numbers(&bytes) {
        Ok(v) => ok(recipients_box(&joined(&typed, &v))),
        Err(f) => ok(html! {
            (recipients_box(&typed))
            div class="error" role="alert" id="bulk-error" { (f.message) }
        }),
    }
}

pub async fn admin_bulk(Admin(p): Admin, form: Multipart) -> Response {
    bulk_preview(&p, form).await
}

pub async fn user_bulk(p: Portal, form: Multipart) -> Response {
    bulk_preview(&p, form).await
}

pub async fn admin_send(State(app): State<app::App>, Admin(p): Admin, form: Multipart) -> Response {
    submit(&app, &p, true, form).await
}

pub async fn user_send(State(app): State<app::App>, p: Portal, form: Multipart) -> Response {
    submit(&app, &p, false, form).await
}

fn progress(b: &store::repo::messages::Batch) -> Markup {
    let done = b.delivered + b.failed;
    html! {
        span id="progress" {
            "- 메시지 성공 " strong id="ok-count" { (b.delivered) } "건 실패 "
            strong id="fail-count" { (b.failed) } "건"
            @if done < b.recipients { " (발송 중 " (done) " / " (b.recipients) ")" }
        }
    }
}

/// Recipients listed on the detail page (the rest are counted).
const SHOWN_DELIVERIES: usize = 500;

fn delivery_status(s: &str) -> &'static str {
    match s {
        "delivered" => "성공",
        "failed" => "실패",
        "sending" => "발송 중",
        _ => "대기",
    }
}

async fn detail(
    app: &app::App,
    p: &Portal,
    as_admin: bool,
    id: &str,
    headers: &HeaderMap,
) -> Response {
    let (b, ds) = match app::messaging::detail(app, &p.account, id).await {
        Ok(x) => x,
        Err(f) => return render_fail(Some(p), &f),
    };
    let tz = p.zone(app, as_admin).await;
    let done = b.delivered + b.failed;
    let poll = (done < b.recipients).then(|| format!("{}/{}/progress", base(as_admin), b.id));
    if headers.contains_key("hx-request") {
        return ok(progress(&b));
    }
    let failed: Vec<&store::repo::messages::Delivery> =
        ds.iter().filter(|d| d.status == "failed").collect();
    let comp = domain::sms::Composition {
        kind: app::messaging::kind_of(&b),
        bytes: usize::try_from(b.bytes).unwrap_or(0),
    };
    let menu = if as_admin { Menu::Sms } else { Menu::MySms };
    ok(page(
        p,
        menu,
        "발송 내용",
        html! {
            div class="card" {
                p { strong { "받는사람: " } @for d in ds.iter().take(20) { (show_number(&d.to)) " " } @if ds.len() > 20 { "외 " (ds.len() - 20) "명" } }
                @if let Some(s) = &b.subject { p { strong { "제목: " } (s) } }
                pre style="white-space:pre-wrap" { (b.body) }
                p class="secret" id="detail-counter" { (comp.label()) }
                @if let Some(url) = poll { div hx-get=(url) hx-trigger="every 2s" hx-swap="innerHTML" { (progress(&b)) } } @else { (progress(&b)) }
                @if let Some(orig) = &b.resend_of { p class="muted" { "재전송: 원래 발송 " a href=(format!("{}/{orig}", base(as_admin))) { (orig) } } }
            }
            div class="card" {
                h2 { "수신자별 결과" }
                table id="deliveries" {
                    thead { tr { th { "수신번호" } th { "상태" } th { "완료 시각" } th { "시도" } th { "사유" } } }
                    tbody {
                        @for d in ds.iter().take(SHOWN_DELIVERIES) {
                            tr class=(format!("delivery {}", d.status)) {
                                td class="number" { (show_number(&d.to)) }
                                td class="status" { (delivery_status(&d.status)) }
                                td { (d.done_ms.map(|ms| tz.wall_clock(ms)).unwrap_or_else(|| "-".into())) }
                                td { (d.attempts) }
                                td { (d.error.clone().unwrap_or_default()) }
                            }
                        }
                    }
                }
                @if ds.len() > SHOWN_DELIVERIES {
                    p class="muted" { "처음 " (SHOWN_DELIVERIES) "명까지 표시합니다 (전체 " (ds.len()) "명)." }
                }
            }
            @if !failed.is_empty() {
                div class="card" {
                    h2 { "실패 " (failed.len()) "건" }
                    table { thead { tr { th { "수신번호" } th { "사유" } } } tbody { @for d in &failed { tr { td { (show_number(&d.to)) } td { (d.error.clone().unwrap_or_default()) } } } } }
                    form method="post" action=(format!("{}/{}/resend", base(as_admin), b.id)) {
                        (csrf(p))
                        p { button type="submit" id="resend" { "실패 건만 재전송" } }
                    }
                }
            }
            p { a href=(base(as_admin)) { "← 목록" } }
        },
    ))
}

pub async fn admin_detail(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    detail(&app, &p, true, &id, &headers).await
}

pub async fn user_detail(
    State(app): State<app::App>,
    p: Portal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    detail(&app, &p, false, &id, &headers).await
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

async fn resend(app: &app::App, p: &Portal, as_admin: bool, id: &str, f: &CsrfForm) -> Response {
    if let Some(r) = csrf_refusal(p, f.csrf.as_deref()) {
        return r;
    }
    match app::messaging::resend_failed(app, &p.account, id).await {
        Ok(b) => Redirect::to(&format!("{}/{}", base(as_admin), b.id)).into_response(),
        Err(app::messaging::SendError::Fail(f)) => render_fail(Some(p), &f),
        Err(app::messaging::SendError::Recipients(_)) => {
            render_fail(Some(p), &app::Fail::internal(&"stored recipients invalid"))
        }
    }
}

pub async fn admin_resend(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Response {
    resend(&app, &p, true, &id, &f).await
}

pub async fn user_resend(
    State(app): State<app::App>,
    p: Portal,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Response {
    resend(&app, &p, false, &id, &f).await
}

/// The bulk-recipients sample (수신번호 column).
pub async fn sample(_p: Portal) -> Response {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows = ["수신번호", "010-1234-5678", "01098765432"];
    for (i, v) in rows.iter().enumerate() {
        if sheet
            .write_string(u32::try_from(i).unwrap_or(0), 0, *v)
            .is_err()
        {
            return render_fail(None, &app::Fail::internal(&"xlsx"));
        }
    }
    match book.save_to_buffer() {
        Ok(bytes) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    blobs::content_disposition("수신번호_샘플.xlsx"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => render_fail(None, &app::Fail::internal(&e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// 정산관리 (A4).
pub async fn settlement(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<RangeQuery>,
) -> Response {
    let to =
        q.to.as_deref()
            .and_then(|s| Date::parse(s).ok())
            .unwrap_or_else(|| today(&p.tenant.time_zone));
    let from = q
        .from
        .as_deref()
        .and_then(|s| Date::parse(s).ok())
        .unwrap_or_else(|| first_of_month(to));
    let (s, err) = match app::messaging::settlement(&app, &p.session.tenant, from, to).await {
        Ok(s) => (Some(s), None),
        Err(f) => (None, Some(f.message)),
    };
    ok(page(
        &p,
        Menu::Settlement,
        "정산관리",
        html! {
            (error_box(err.as_deref()))
            div class="card" {
                h2 { "검색조건" }
                form method="get" action="/admin/settlement" class="row" {
                    "날짜" input type="date" name="from" value=(from.to_string()) style="width:160px"; "~"
                    input type="date" name="to" value=(to.to_string()) style="width:160px";
                    button type="submit" class="secondary" { "조회하기" }
                    a class="btn secondary" href="/admin/settlement" { "새로고침" }
                }
            }
            @if let Some(s) = s {
                div class="card" {
                    h2 { "검색결과" }
                    table id="settlement" {
                        thead { tr { th { "SMS 요금" } th { "LMS 요금" } th { "MMS 요금" } th { "총 문자 이용료" } } }
                        tbody { tr { td { (s.sms) } td { (s.lms) } td { (s.mms) } td { strong { (s.total) } } } }
                    }
                    p class="muted" { "성공한 메시지만 과금됩니다 (SMS " (s.sms_count) "건, LMS " (s.lms_count) "건, MMS " (s.mms_count) "건)." }
                }
            }
        },
    ))
}
