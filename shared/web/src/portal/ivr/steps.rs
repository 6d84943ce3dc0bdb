//! The step page: the form per action kind (add, edit) and its handlers,
//! saving the whole scenario with the step applied, or deleting a step.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::ivr::{Action, Scenario};
use maud::{Markup, html};

use super::graph::step_name;
use super::prompts::upload_form;
use super::scenario::{CsrfOnly, Typed, save_scenario};
use super::step_fields::{KINDS, fields_of, node_from};
use super::wiring::{link, link_places, rename};
use super::{Fields, Names, field, load};
use crate::portal::layout::{Menu, csrf, error_box, ok, page, render_fail, status_for};
use crate::portal::{Admin, Portal, csrf_refusal};
use app::ivr::ScenarioForm;

pub(super) fn node_select(name: &str, value: &str, s: &Scenario, with_id: bool) -> Markup {
    let known = s.nodes.iter().any(|n| n.id == value);
    html! {
        select id=[with_id.then_some(name)] name=(name) {
            @if !known { option value=(value) selected { (if value.is_empty() { "(고르세요)".to_owned() } else { format!("{value} (없는 단계)") }) } }
            @for n in &s.nodes {
                option value=(n.id) selected[n.id == value] { (step_name(s, &n.id)) " (" (n.id) ")" }
            }
        }
    }
}

fn prompt_editor(f: &Fields, prefix: &str, title: &str, optional: bool) -> Markup {
    let kind = match field(f, &format!("{prefix}_kind")) {
        "" if optional => "none",
        "" => "tts",
        k => k,
    };
    let id = |k: &str| format!("{prefix}_{k}");
    html! {
        fieldset class="prompt-editor" {
            legend { (title) }
            select name=(id("kind")) id=(id("kind")) {
                @if optional { option value="none" selected[kind == "none"] { "없음" } }
                option value="tts" selected[kind == "tts"] { "문구 읽어 주기 (TTS)" }
                option value="audio" selected[kind == "audio"] { "녹음 파일" }
            }
            label for=(id("text")) { "안내 문구" }
            textarea name=(id("text")) id=(id("text")) rows="2" maxlength="500" { (f.get(&id("text")).map_or("", String::as_str)) }
            label for=(id("audio")) { "녹음 파일 ID (‘음원 올리기’로 올린 파일)" }
            input type="text" name=(id("audio")) id=(id("audio")) value=(field(f, &id("audio"))) maxlength="64";
            p {
                button type="button" class="secondary small listen" hx-get="/admin/ivr/player"
                    hx-vals=(format!("js:{{text: document.getElementById('{0}_text').value, audio: document.getElementById('{0}_kind').value === 'audio' ? document.getElementById('{0}_audio').value : ''}}", prefix))
                    hx-target=(format!("#play-form-{prefix}")) { "미리 듣기" }
                " " span class="player" id=(format!("play-form-{prefix}")) {}
            }
        }
    }
}

pub(super) async fn node_page(
    app: &app::App,
    p: &Portal,
    s: &Scenario,
    editing: Option<&str>,
    f: &Fields,
    error: Option<&str>,
    notice: Option<&str>,
) -> Markup {
    let names = Names::load(app, p).await;
    let kind = match field(f, "kind") {
        "" => "play",
        k => k,
    };
    let base = format!("/admin/ivr/{}", s.id);
    let action = editing.map_or_else(
        || format!("{base}/add-node"),
        |n| format!("{base}/nodes/{n}"),
    );
    let title = if editing.is_some() {
        "ARS 단계 수정"
    } else {
        "ARS 단계 추가"
    };
    let dest = field(f, "dest");
    let target = |k: &str| field(f, k).to_owned();
    page(
        p,
        Menu::Ivr,
        title,
        html! {
            p class="muted" { a href=(base) { "← " (s.name) } }
            @if let Some(text) = notice { div class="notice" role="status" id="uploaded" { (text) } }
            (error_box(error))
            form method="post" action=(action) id="node-form" class="card ivr" {
                (csrf(p))
                @if editing.is_none() {
                    label for="link" { "이 단계로 이어질 곳" }
                    select id="link" name="link" {
                        option value="" selected[field(f, "link").is_empty()] { "(나중에 연결)" }
                        @for (v, words) in link_places(s) {
                            option value=(v) selected[field(f, "link") == v] { (words) }
                        }
                    }
                    label for="link_key" { "메뉴 버튼 (메뉴에서 이어질 때)" }
                    input type="text" id="link_key" name="link_key" maxlength="1" value=(field(f, "link_key")) style="width:60px";
                }
                label for="id" { "단계 ID (영문 소문자, 숫자, -, _)" }
                input type="text" id="id" name="id" maxlength="32" value=(field(f, "id")) placeholder="sales";
                label for="label" { "단계 이름 (화면에 보이는 이름)" }
                input type="text" id="label" name="label" maxlength="60" value=(field(f, "label"));
                label for="kind" { "하는 일" }
                select id="kind" name="kind" {
                    @for (k, words) in KINDS {
                        option value=(k) selected[k == kind] { (words) }
                    }
                }

                div data-kinds="play menu collect hang_up" {
                    (prompt_editor(f, "prompt", "안내 멘트 (종료 단계에서는 끝인사, 없어도 됩니다)", kind == "hang_up"))
                }
                fieldset data-kinds="play" {
                    legend { "안내 멘트 재생" }
                    label for="next" { "다음 단계" }
                    (node_select("next", field(f, "next"), s, true))
                }
                fieldset data-kinds="menu" {
                    legend { "메뉴" }
                    label for="options" { "버튼과 다음 단계 (한 줄에 하나, 예: 1=team)" }
                    textarea id="options" name="options" rows="5" class="code" { (f.get("options").map_or("", String::as_str)) }
                    p class="muted" {
                        "단계 ID: "
                        @for (i, n) in s.nodes.iter().enumerate() { @if i > 0 { ", " } code { (n.id) } }
                    }
                }
                fieldset data-kinds="collect" {
                    legend { "번호 입력" }
                    label for="max_digits" { "최대 자릿수" }
                    input type="number" id="max_digits" name="max_digits" min="1" max="16" value=(field(f, "max_digits")) placeholder="4";
                }
                fieldset data-kinds="menu collect" {
                    legend { "입력 대기" }
                    label for="timeout_secs" { "키 입력 대기 (초)" }
                    input type="number" id="timeout_secs" name="timeout_secs" min="1" max="30" value=(field(f, "timeout_secs")) placeholder="5";
                    label for="retries" { "재시도 횟수" }
                    input type="number" id="retries" name="retries" min="0" max="5" value=(field(f, "retries")) placeholder="2";
                    label for="fallback" { "입력이 없거나 잘못되어 재시도를 다 쓰면" }
                    (node_select("fallback", field(f, "fallback"), s, true))
                    (prompt_editor(f, "invalid", "잘못 눌렀을 때 안내 (없어도 됩니다)", true))
                }
                fieldset data-kinds="hours" {
                    legend { "업무시간" }
                    input type="hidden" name="hours_json" value=(field(f, "hours_json"));
                    input type="hidden" name="hours_sig" value=(field(f, "hours_sig"));
                    div class="row" {
                        label for="hours_from" { "평일" }
                        input type="text" id="hours_from" name="hours_from" value=(match field(f, "hours_from") { "" => "09:00", v => v }) style="width:90px";
                        "~"
                        input type="text" id="hours_to" name="hours_to" value=(match field(f, "hours_to") { "" => "18:00", v => v }) style="width:90px";
                    }
                    label { input type="checkbox" name="hours_sat" value="1" checked[field(f, "hours_sat") == "1"]; " 토요일도 같은 시간" }
                    label { input type="checkbox" name="hours_holidays" value="1" checked[field(f, "hours_holidays") == "1" || (field(f, "hours_sig").is_empty() && field(f, "kind") != "hours")]; " 공휴일은 휴무" }
                    p class="muted" { "점심시간이나 요일별 시간은 ‘고급: JSON으로 편집’에서 바꿀 수 있습니다. 바꾸지 않으면 지금 설정이 그대로 유지됩니다." }
                    label for="open" { "업무시간이면" }
                    (node_select("open", field(f, "open"), s, true))
                    label for="closed" { "업무시간 외이면" }
                    (node_select("closed", field(f, "closed"), s, true))
                }
                fieldset data-kinds="route" {
                    legend { "연결" }
                    label for="dest" { "연결할 곳" }
                    select id="dest" name="dest" {
                        @for (k, words) in [("user", "사용자"), ("group", "착신그룹"), ("voicemail", "음성사서함"), ("callback", "콜백 요청"), ("outside", "외부번호")] {
                            option value=(k) selected[k == dest] { (words) }
                        }
                    }
                    label for="dest_user" { "사용자" }
                    select id="dest_user" name="dest_user" {
                        option value="" { "(고르세요)" }
                        @for a in &names.people { option value=(a.id) selected[a.id.as_str() == target("dest_user")] { (a.name) @if let Some(e) = a.extension { " (" (e) ")" } } }
                    }
                    label for="dest_group" { "착신그룹" }
                    select id="dest_group" name="dest_group" {
                        option value="" { "(고르세요)" }
                        @for g in &names.groups { option value=(g.id) selected[g.id.as_str() == target("dest_group")] { (g.name) } }
                    }
                    label for="dest_voicemail" { "음성사서함 (누구의)" }
                    select id="dest_voicemail" name="dest_voicemail" {
                        option value="" { "(고르세요)" }
                        @for a in &names.people { option value=(a.id) selected[a.id.as_str() == target("dest_voicemail")] { (a.name) } }
                    }
                    label for="dest_outside" { "외부번호" }
                    input type="text" id="dest_outside" name="dest_outside" value=(target("dest_outside")) placeholder="02-123-4567";
                }
                p { button type="submit" id="save-node" { "저장" } " " a class="btn secondary" href=(base) { "취소" } }
            }
            script {
                (maud::PreEscaped(r"(function(){var k=document.getElementById('kind');function f(){document.querySelectorAll('#node-form [data-kinds]').forEach(function(e){e.hidden=e.dataset.kinds.split(' ').indexOf(k.value)<0;});}k.addEventListener('change',f);f();})();"))
            }
            @if let Some(n) = editing {
                h2 { "음원 올리기" }
                div class="card" { (upload_form(p, s.id.as_str(), Some(n))) }
                form method="post" action=(format!("{base}/nodes/{n}/delete")) onsubmit="return confirm('이 단계를 삭제할까요?')" {
                    (csrf(p))
                    button type="submit" class="danger" id="delete-node" { "단계 삭제" }
                }
            }
        },
    )
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct NodeQuery {
    /// A recording just uploaded for this step.
    audio: Option<String>,
}

pub async fn edit_node_form(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path((id, node)): Path<(String, String)>,
    Query(q): Query<NodeQuery>,
) -> Response {
    let s = match load(&app, &p, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(n) = s.node(&node) else {
        return render_fail(
            Some(&p),
            &app::Fail::not_found("ARS 단계를 찾을 수 없습니다"),
        );
    };
    let mut f = fields_of(n);
    let mut notice = None;
    if let Some(audio) = q.audio {
        f.insert("prompt_kind".into(), "audio".into());
        f.insert("prompt_audio".into(), audio);
        notice = Some("음원을 올렸습니다. 저장하면 이 단계의 안내 멘트가 됩니다.");
    }
    ok(node_page(&app, &p, &s, Some(&node), &f, None, notice).await)
}

pub async fn add_node_form(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
) -> Response {
    let s = match load(&app, &p, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = Fields::from([("kind".to_owned(), "play".to_owned())]);
    ok(node_page(&app, &p, &s, None, &f, None, None).await)
}

/// Applies a step form (a new step, or step `editing` changed) to the
/// stored scenario and saves the whole; refused, the form comes back as
/// typed and nothing changes.
async fn save_node(
    app: &app::App,
    p: &Portal,
    id: &str,
    editing: Option<&str>,
    f: &Fields,
) -> Response {
    if let Some(r) = csrf_refusal(p, f.get("_csrf").map(String::as_str)) {
        return r;
    }
    let s = match load(app, p, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut form = ScenarioForm::of(&s);
    let applied = node_from(f).and_then(|node| {
        let new_id = node.id.clone();
        match editing {
            Some(old) => {
                let at = form
                    .nodes
                    .iter()
                    .position(|n| n.id == old)
                    .ok_or_else(|| "이 단계는 그사이 삭제되었습니다".to_owned())?;
                form.nodes[at] = node;
                if old != new_id {
                    rename(&mut form, old, &new_id);
                }
            }
            None => {
                form.nodes.push(node);
                link(&mut form, f, &new_id)?;
            }
        }
        Ok(new_id)
    });
    let (message, status) = match applied {
        Err(message) => (message, StatusCode::UNPROCESSABLE_ENTITY),
        Ok(new_id) => match app::ivr::update(app, &p.session.tenant, id, &form).await {
            Ok(_) => {
                return Redirect::to(&format!("/admin/ivr/{id}?saved=1#node-{new_id}"))
                    .into_response();
            }
            Err(fail) => (fail.message, status_for(fail.kind)),
        },
    };
    let page = node_page(app, p, &s, editing, f, Some(&message), None).await;
    (status, ok(page)).into_response()
}

pub async fn add_node(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    save_node(&app, &p, &id, None, &f).await
}

pub async fn edit_node(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path((id, node)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    save_node(&app, &p, &id, Some(&node), &f).await
}

/// Deletes a step; menu keys that led to it go with it. Anything else
/// that still leads there makes the scenario invalid: refused, with the
/// reason, and nothing changes.
pub async fn delete_node(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path((id, node)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    let s = match load(&app, &p, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut form = ScenarioForm::of(&s);
    form.nodes.retain(|n| n.id != node);
    for n in &mut form.nodes {
        if let Action::Menu { options, .. } = &mut n.action {
            options.retain(|o| o.next != node);
        }
    }
    save_scenario(&app, &p, &s, &form, Typed::default()).await
}
