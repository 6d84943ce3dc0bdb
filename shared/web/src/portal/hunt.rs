//! 착신그룹 (T11): the admin's hunt groups. A list that shows each group
//! as a person reads it (extension, how it rings, who in which order), and
//! one form to create or edit a group: name, extension, strategy, members
//! with their penalty and ring time, wrap-up, queue limits and overflow.
//! A form the rules refuse is shown again as typed, with the Korean reason.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::Account;
use domain::hunt::{HuntGroup, Overflow, Strategy};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Menu, csrf, error_box, ok, page, render_fail, status_for};
use super::{Admin, Portal, csrf_refusal};
use app::hunt::{GroupForm, MemberForm};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    saved: Option<String>,
    deleted: Option<String>,
}

fn overflow_label(o: &Overflow, people: &[Account]) -> String {
    match o {
        Overflow::Hangup => "안내 후 종료".into(),
        Overflow::Callback => "콜백 요청".into(),
        Overflow::Voicemail { account } => {
            format!("{}의 음성사서함", name_of(account.as_str(), people))
        }
        Overflow::Group { .. } => "다른 착신그룹".into(),
    }
}

fn name_of(id: &str, people: &[Account]) -> String {
    people
        .iter()
        .find(|a| a.id.as_str() == id)
        .map_or_else(|| "(삭제된 사용자)".to_owned(), |a| a.name.clone())
}

pub async fn list(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<ListQuery>,
) -> Response {
    let t = &p.session.tenant;
    let groups = match app::hunt::list(&app, t).await {
        Ok(g) => g,
        Err(f) => return render_fail(Some(&p), &f),
    };
    let people = store::repo::accounts::all(&*app.store, t)
        .await
        .unwrap_or_default();
    let mut paused = Vec::with_capacity(groups.len());
    for g in &groups {
        paused.push(app::hunt::paused(&app, g).await.unwrap_or_default());
    }
    let body = html! {
        @if q.saved.is_some() { div class="notice" role="status" { "저장되었습니다. 다음 전화부터 적용됩니다." } }
        @if q.deleted.is_some() { div class="notice" role="status" { "삭제되었습니다." } }
        p { a class="btn" href="/admin/hunt-groups/new" id="new-group" { "+ 착신그룹 추가" } }
        @if groups.is_empty() {
            p class="muted" id="no-groups" { "착신그룹이 없습니다. 그룹의 내선번호로 걸려 온 전화를 구성원에게 차례로 또는 동시에 울립니다." }
        }
        @for (g, paused) in groups.iter().zip(&paused) {
            div class="card group" id=(format!("group-{}", g.id)) {
                h2 {
                    a href=(format!("/admin/hunt-groups/{}", g.id)) { (g.name) }
                    " " small class="muted" { "내선 " (g.extension.map(|e| e.to_string()).unwrap_or_else(|| "없음".into())) }
                }
                p { strong { "분배 방식 " } (app::labels::strategy(g.strategy)) }
                ol class="members" {
                    @for (i, m) in g.members.iter().enumerate() {
                        @let is_paused = paused.contains(&m.account);
                        li {
                            (name_of(m.account.as_str(), &people))
                            @if m.penalty > 0 { " · 우선순위 " (m.penalty) }
                            " · " (g.ring_timeout_of(i)) "초 호출"
                            @if is_paused { " · " strong { "일시정지" } }
                            " "
                            form method="post" action=(format!("/admin/hunt-groups/{}/members/{}/pause", g.id, m.account)) style="display:inline" {
                                (csrf(&p))
                                input type="hidden" name="paused" value=(if is_paused { "0" } else { "1" });
                                button type="submit" class="secondary small" { (if is_paused { "재개" } else { "일시정지" }) }
                            }
                        }
                    }
                }
                p class="muted" {
                    "후처리 " (g.wrapup_secs) "초 · 최대 대기 " (g.max_wait_secs) "초 · 최대 대기 인원 " (g.max_callers) "명 · 넘치면 " (overflow_label(&g.overflow, &people))
                }
            }
        }
    };
    ok(page(&p, Menu::HuntGroups, "착신그룹", body))
}

fn form_of(g: &HuntGroup) -> GroupForm {
    GroupForm {
        name: g.name.clone(),
        extension: g.extension.map(|e| e.to_string()),
        strategy: Some(g.strategy.as_str().into()),
        members: g
            .members
            .iter()
            .map(|m| MemberForm {
                account: m.account.to_string(),
                penalty: m.penalty,
                ring_timeout_secs: m.ring_timeout_secs,
            })
            .collect(),
        ring_timeout_secs: Some(g.ring_timeout_secs),
        wrapup_secs: Some(g.wrapup_secs),
        max_wait_secs: Some(g.max_wait_secs),
        max_callers: Some(g.max_callers),
        overflow: Some(g.overflow.clone()),
    }
}

fn number(v: Option<u32>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

async fn form_page(
    app: &app::App,
    p: &Portal,
    id: Option<&str>,
    f: &GroupForm,
    error: Option<&str>,
) -> Markup {
    let people = store::repo::accounts::all(&*app.store, &p.session.tenant)
        .await
        .unwrap_or_default();
    let chosen = |a: &Account| f.members.iter().find(|m| m.account == a.id.as_str());
    let strategy = f.strategy.clone().unwrap_or_else(|| "ringall".into());
    let overflow = match &f.overflow {
        None | Some(Overflow::Hangup) => "hangup".to_owned(),
        Some(Overflow::Callback) => "callback".to_owned(),
        Some(Overflow::Voicemail { account }) => format!("voicemail:{account}"),
        Some(Overflow::Group { group }) => format!("group:{group}"),
    };
    let action = id.map_or_else(
        || "/admin/hunt-groups".to_owned(),
        |id| format!("/admin/hunt-groups/{id}"),
    );
    let title = if id.is_some() {
        "착신그룹 수정"
    } else {
        "착신그룹 추가"
    };
    page(
        p,
        Menu::HuntGroups,
        title,
        html! {
            (error_box(error))
            form method="post" action=(action) id="group-form" {
                (csrf(p))
                div class="card" {
                    label for="name" { "그룹 이름" }
                    input type="text" id="name" name="name" value=(f.name) maxlength="60";
                    label for="extension" { "내선번호" }
                    input type="text" id="extension" name="extension" value=(f.extension.clone().unwrap_or_default()) maxlength="4" placeholder="4자리";
                    label for="strategy" { "분배 방식" }
                    select id="strategy" name="strategy" {
                        @for s in Strategy::ALL {
                            option value=(s.as_str()) selected[s.as_str() == strategy] { (app::labels::strategy(s)) }
                        }
                    }
                    p class="muted" { "우선순위(페널티)가 낮은 구성원이 먼저 울리고, 높은 구성원은 낮은 구성원이 모두 통화 중이거나 자리를 비웠을 때만 울립니다. 가중 랜덤에서는 우선순위가 낮을수록 자주 선택됩니다." }
                }
                div class="card" {
                    h2 { "구성원" }
                    table id="members" {
                        thead { tr { th { "포함" } th { "이름" } th { "내선" } th { "우선순위" } th { "호출 시간(초)" } } }
                        tbody {
                            @for a in &people {
                                @let m = chosen(a);
                                tr {
                                    td { input type="checkbox" name=(format!("member_{}", a.id)) value="1" checked[m.is_some()]; }
                                    td { (a.name) }
                                    td { (a.extension.map(|e| e.to_string()).unwrap_or_default()) }
                                    td { input type="number" min="0" name=(format!("penalty_{}", a.id)) value=(m.map_or(0, |m| m.penalty)) style="width:80px"; }
                                    td { input type="number" name=(format!("timeout_{}", a.id)) value=(number(m.and_then(|m| m.ring_timeout_secs))) placeholder="그룹 설정" style="width:100px"; }
                                }
                            }
                        }
                    }
                }
                div class="card" {
                    h2 { "호출과 대기" }
                    label for="ring_timeout_secs" { "구성원 호출 시간(초)" }
                    input type="number" id="ring_timeout_secs" name="ring_timeout_secs" value=(number(f.ring_timeout_secs)) placeholder="20";
                    label for="wrapup_secs" { "후처리 시간(초): 통화가 끝난 구성원은 이 시간 동안 그룹 전화를 받지 않습니다" }
                    input type="number" id="wrapup_secs" name="wrapup_secs" value=(number(f.wrapup_secs)) placeholder="0";
                    label for="max_wait_secs" { "최대 대기 시간(초)" }
                    input type="number" id="max_wait_secs" name="max_wait_secs" value=(number(f.max_wait_secs)) placeholder="120";
                    label for="max_callers" { "최대 대기 인원" }
                    input type="number" id="max_callers" name="max_callers" value=(number(f.max_callers)) placeholder="20";
                    label for="overflow" { "받을 사람이 없을 때" }
                    select id="overflow" name="overflow" {
                        option value="hangup" selected[overflow == "hangup"] { "안내 후 종료" }
                        @for a in &people {
                            @let v = format!("voicemail:{}", a.id);
                            option value=(v) selected[overflow == v] { (a.name) "의 음성사서함" }
                        }
                    }
                }
                p { button type="submit" id="save" { "저장" } " " a class="btn secondary" href="/admin/hunt-groups" { "취소" } }
            }
            @if let Some(id) = id {
                form method="post" action=(format!("/admin/hunt-groups/{id}/delete")) {
                    (csrf(p))
                    button type="submit" class="secondary" id="delete" { "그룹 삭제" }
                }
            }
        },
    )
}

/// The form as posted: `member_<id>` for each chosen account, with its
/// `penalty_<id>` and `timeout_<id>`; numbers left empty take defaults.
fn parse(fields: &HashMap<String, String>) -> Result<GroupForm, &'static str> {
    let num = |k: &str| -> Result<Option<u32>, &'static str> {
        match fields.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| "시간과 인원은 0 이상의 숫자로 입력해 주세요"),
        }
    };
    let mut members = Vec::new();
    let mut ids: Vec<&String> = fields.keys().filter(|k| k.starts_with("member_")).collect();
    ids.sort();
    for k in ids {
        let id = &k["member_".len()..];
        members.push(MemberForm {
            account: id.to_owned(),
            penalty: num(&format!("penalty_{id}"))?.unwrap_or(0),
            ring_timeout_secs: num(&format!("timeout_{id}"))?,
        });
    }
    let overflow = match fields.get("overflow").map(String::as_str) {
        None | Some("" | "hangup") => Overflow::Hangup,
        Some("callback") => Overflow::Callback,
        Some(v) => match v.strip_prefix("voicemail:").map(domain::AccountId::parse) {
            Some(Ok(account)) => Overflow::Voicemail { account },
            _ => return Err("넘침 대상을 다시 골라 주세요"),
        },
    };
    Ok(GroupForm {
        name: fields.get("name").cloned().unwrap_or_default(),
        extension: fields.get("extension").cloned(),
        strategy: fields.get("strategy").cloned(),
        members,
        ring_timeout_secs: num("ring_timeout_secs")?,
        wrapup_secs: num("wrapup_secs")?,
        max_wait_secs: num("max_wait_secs")?,
        max_callers: num("max_callers")?,
        overflow: Some(overflow),
    })
}

pub async fn new_form(State(app): State<app::App>, Admin(p): Admin) -> Response {
    ok(form_page(&app, &p, None, &GroupForm::default(), None).await)
}

pub async fn edit_form(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
) -> Response {
    match app::hunt::get(&app, &p.session.tenant, &id).await {
        Ok(g) => ok(form_page(&app, &p, Some(&id), &form_of(&g), None).await),
        Err(f) => render_fail(Some(&p), &f),
    }
}

async fn save(
    app: &app::App,
    p: &Portal,
    id: Option<&str>,
    fields: &HashMap<String, String>,
) -> Response {
    if let Some(r) = csrf_refusal(p, fields.get("_csrf").map(String::as_str)) {
        return r;
    }
    let form = match parse(fields) {
        Ok(f) => f,
        Err(message) => {
            let page = form_page(app, p, id, &GroupForm::default(), Some(message)).await;
            return (axum::http::StatusCode::UNPROCESSABLE_ENTITY, ok(page)).into_response();
        }
    };
    let t = &p.session.tenant;
    let result = match id {
        Some(id) => app::hunt::update(app, t, id, &form).await,
        None => app::hunt::create(app, t, &form).await,
    };
    match result {
        Ok(_) => Redirect::to("/admin/hunt-groups?saved=1").into_response(),
        Err(fail) => {
            let page = form_page(app, p, id, &form, Some(&fail.message)).await;
            (status_for(fail.kind), ok(page)).into_response()
        }
    }
}

pub async fn create(
    State(app): State<app::App>,
    Admin(p): Admin,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    save(&app, &p, None, &fields).await
}

pub async fn edit(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    save(&app, &p, Some(&id), &fields).await
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn delete(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<DeleteForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    match app::hunt::delete(&app, &p.session.tenant, &id).await {
        Ok(()) => Redirect::to("/admin/hunt-groups?deleted=1").into_response(),
        Err(f) => render_fail(Some(&p), &f),
    }
}

#[derive(Debug, Deserialize)]
pub struct PauseForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    paused: String,
}

/// A member's 일시정지 / 재개 from the list.
pub async fn pause(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path((id, account)): Path<(String, String)>,
    Form(f): Form<PauseForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    match app::hunt::set_paused(&app, &p.session.tenant, &id, &account, f.paused == "1").await {
        Ok(()) => Redirect::to("/admin/hunt-groups?saved=1").into_response(),
        Err(f) => render_fail(Some(&p), &f),
    }
}
