//! Scenarios as a whole: the list, a new scenario, the scenario page
//! (graph, settings, JSON editor) and saving or deleting it.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::ivr::{Action, Node, Prompt, Scenario};
use maud::{Markup, html};

use super::graph::graph;
use super::prompts::{listen, upload_form};
use super::steps::node_select;
use super::{Fields, Names, field, load};
use crate::portal::layout::{Menu, csrf, error_box, ok, page, render_fail, status_for};
use crate::portal::{Admin, Portal, csrf_refusal};
use app::ivr::ScenarioForm;

// ------------------------------------------------------------------ list

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    deleted: Option<String>,
}

pub async fn list(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<ListQuery>,
) -> Response {
    let scenarios = match app::ivr::list(&app, &p.session.tenant).await {
        Ok(s) => s,
        Err(f) => return render_fail(Some(&p), &f),
    };
    let body = html! {
        @if q.deleted.is_some() { div class="notice" role="status" { "삭제되었습니다." } }
        p { a class="btn" href="/admin/ivr/new" id="new-scenario" { "+ 시나리오 추가" } }
        @if scenarios.is_empty() {
            p class="muted" id="no-scenarios" { "ARS 시나리오가 없습니다. 대표번호로 걸려 온 전화에 안내 멘트를 들려주고, 누른 번호에 따라 담당자나 착신그룹에 연결합니다." }
        } @else {
            table id="scenarios" {
                thead { tr { th { "이름" } th { "받는 번호" } th { "단계" } } }
                tbody {
                    @for s in &scenarios {
                        tr {
                            td { a href=(format!("/admin/ivr/{}", s.id)) { (s.name) } }
                            td class="nums" {
                                @if s.numbers.is_empty() { span class="muted" { "없음" } }
                                @for (i, n) in s.numbers.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    (n.display())
                                }
                            }
                            td class="count" { (s.nodes.len()) "단계" }
                        }
                    }
                }
            }
        }
    };
    ok(page(&p, Menu::Ivr, "ARS 설정", body))
}

// ------------------------------------------------------------- new scenario

fn new_page(p: &Portal, f: &Fields, error: Option<&str>) -> Markup {
    page(
        p,
        Menu::Ivr,
        "ARS 시나리오 추가",
        html! {
            (error_box(error))
            form method="post" action="/admin/ivr" id="scenario-new" class="card ivr" {
                (csrf(p))
                label for="name" { "시나리오 이름" }
                input type="text" id="name" name="name" maxlength="60" value=(field(f, "name")) placeholder="대표번호 안내";
                label for="numbers" { "받는 번호 (대표번호나 070 번호, 한 줄에 하나)" }
                textarea id="numbers" name="numbers" rows="3" { (field(f, "numbers")) }
                p class="muted" { "처음에는 인사말 후 종료하는 두 단계로 만들어집니다. 만든 뒤 메뉴와 연결 단계를 추가하세요." }
                p { button type="submit" id="create" { "만들기" } " " a class="btn secondary" href="/admin/ivr" { "취소" } }
            }
        },
    )
}

pub async fn new_form(Admin(p): Admin) -> Response {
    ok(new_page(&p, &Fields::new(), None))
}

fn numbers_of(text: &str) -> Vec<String> {
    text.split([',', '\n', ';'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

pub async fn create(
    State(app): State<app::App>,
    Admin(p): Admin,
    Form(f): Form<Fields>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.get("_csrf").map(String::as_str)) {
        return r;
    }
    let name = field(&f, "name").to_owned();
    let say = |t: String| Prompt::Tts { text: t };
    let form = ScenarioForm {
        numbers: numbers_of(field(&f, "numbers")),
        start: "welcome".into(),
        nodes: vec![
            Node {
                id: "welcome".into(),
                label: Some("인사말".into()),
                action: Action::Play {
                    prompt: say(format!("안녕하세요, {}입니다.", p.tenant.name)),
                    next: "bye".into(),
                },
            },
            Node {
                id: "bye".into(),
                label: Some("종료".into()),
                action: Action::HangUp {
                    prompt: Some(say("전화해 주셔서 감사합니다.".into())),
                },
            },
        ],
        name,
    };
    match app::ivr::create(&app, &p.session.tenant, &form).await {
        Ok(s) => Redirect::to(&format!("/admin/ivr/{}?saved=1", s.id)).into_response(),
        Err(fail) => (
            status_for(fail.kind),
            ok(new_page(&p, &f, Some(&fail.message))),
        )
            .into_response(),
    }
}

// ----------------------------------------------------------- scenario page

#[derive(Debug, Default, serde::Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
    uploaded: Option<String>,
    ms: Option<u64>,
}

/// What a refused scenario-level save shows again as typed.
#[derive(Default)]
pub(super) struct Typed<'a> {
    pub(super) settings: Option<&'a Fields>,
    pub(super) json: Option<&'a str>,
    pub(super) error: Option<&'a str>,
}

pub(super) async fn scenario_page(
    app: &app::App,
    p: &Portal,
    s: &Scenario,
    q: &ShowQuery,
    typed: &Typed<'_>,
) -> Markup {
    let names = Names::load(app, p).await;
    let current = ScenarioForm::of(s);
    let (name, numbers, start) = match typed.settings {
        Some(f) => (
            field(f, "name").to_owned(),
            f.get("numbers").cloned().unwrap_or_default(),
            field(f, "start").to_owned(),
        ),
        None => (s.name.clone(), current.numbers.join("\n"), s.start.clone()),
    };
    let json = typed.json.map_or_else(
        || serde_json::to_string_pretty(&current).unwrap_or_default(),
        str::to_owned,
    );
    let base = format!("/admin/ivr/{}", s.id);
    page(
        p,
        Menu::Ivr,
        &format!("ARS 설정 · {}", s.name),
        html! {
            @if q.saved.is_some() { div class="notice" role="status" id="saved" { "저장되었습니다. 다음 전화부터 적용됩니다." } }
            @if let Some(id) = &q.uploaded {
                div class="notice" role="status" id="uploaded" {
                    "음원을 올렸습니다: " code id="uploaded-id" { (id) }
                    @if let Some(ms) = q.ms { " (" (format!("{:.1}", ms as f64 / 1000.0)) "초)" }
                    ". 단계 수정에서 안내 종류를 ‘녹음 파일’로 고르고 이 ID를 넣으세요. "
                    (listen(&Prompt::Audio { id: id.clone() }, "play-uploaded"))
                }
            }
            (error_box(typed.error))
            p class="muted" {
                "받는 번호: "
                @if s.numbers.is_empty() { "없음 (전화를 받지 않는 시나리오)" }
                @for (i, n) in s.numbers.iter().enumerate() { @if i > 0 { ", " } (n.display()) }
            }
            h2 { "통화 흐름" }
            (graph(s, &names))
            p { a class="btn" id="add-node" href=(format!("{base}/add-node")) { "+ 단계 추가" } " " a class="btn secondary" href="/admin/ivr" { "목록" } }

            h2 { "기본 설정" }
            form method="post" action=(base) id="settings" class="card ivr" {
                (csrf(p))
                label for="name" { "시나리오 이름" }
                input type="text" id="name" name="name" maxlength="60" value=(name);
                label for="numbers" { "받는 번호 (대표번호나 070 번호, 쉼표나 줄바꿈으로 구분)" }
                textarea id="numbers" name="numbers" rows="3" { (numbers) }
                label for="start" { "시작 단계" }
                (node_select("start", &start, s, false))
                p { button type="submit" id="save-settings" { "저장" } }
            }

            h2 { "음원 올리기" }
            div class="card" { (upload_form(p, s.id.as_str(), None)) }

            details class="card" id="json-editor" open[typed.json.is_some()] {
                summary { "고급: JSON으로 편집" }
                form method="post" action=(format!("{base}/json")) class="ivr" {
                    (csrf(p))
                    textarea name="json" id="json" rows="24" spellcheck="false" class="code" { (json) }
                    p { button type="submit" id="save-json" { "JSON 저장" } }
                }
            }

            form method="post" action=(format!("{base}/delete")) onsubmit="return confirm('이 ARS 시나리오를 삭제할까요? 받는 번호로 온 전화는 더 이상 안내되지 않습니다.')" {
                (csrf(p))
                button type="submit" class="danger" id="delete" { "시나리오 삭제" }
            }
        },
    )
}

pub async fn show(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    match app::ivr::get(&app, &p.session.tenant, &id).await {
        Ok(s) => ok(scenario_page(&app, &p, &s, &q, &Typed::default()).await),
        Err(f) => render_fail(Some(&p), &f),
    }
}

/// Stores `form` over scenario `id`, or shows the scenario page with the
/// reason and what was typed.
pub(super) async fn save_scenario(
    app: &app::App,
    p: &Portal,
    s: &Scenario,
    form: &ScenarioForm,
    typed: Typed<'_>,
) -> Response {
    match app::ivr::update(app, &p.session.tenant, s.id.as_str(), form).await {
        Ok(_) => Redirect::to(&format!("/admin/ivr/{}?saved=1", s.id)).into_response(),
        Err(fail) => {
            let typed = Typed {
                error: Some(&fail.message),
                ..typed
            };
            let page = scenario_page(app, p, s, &ShowQuery::default(), &typed).await;
            (status_for(fail.kind), ok(page)).into_response()
        }
    }
}

/// `POST /admin/ivr/{id}`: name, numbers, start.
pub async fn save_settings(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.get("_csrf").map(String::as_str)) {
        return r;
    }
    let s = match load(&app, &p, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = ScenarioForm {
        name: field(&f, "name").to_owned(),
        numbers: numbers_of(field(&f, "numbers")),
        start: field(&f, "start").to_owned(),
        nodes: s.nodes.clone(),
    };
    let typed = Typed {
        settings: Some(&f),
        ..Typed::default()
    };
    save_scenario(&app, &p, &s, &form, typed).await
}

/// `POST /admin/ivr/{id}/json`: the whole scenario as JSON.
pub async fn save_json(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.get("_csrf").map(String::as_str)) {
        return r;
    }
    let s = match load(&app, &p, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let text = f.get("json").map_or("", String::as_str);
    match serde_json::from_str::<ScenarioForm>(text) {
        Ok(form) => {
            let typed = Typed {
                json: Some(text),
                ..Typed::default()
            };
            save_scenario(&app, &p, &s, &form, typed).await
        }
        Err(e) => {
            let message = format!("JSON 형식이 올바르지 않습니다: {e}");
            let typed = Typed {
                json: Some(text),
                error: Some(&message),
                ..Typed::default()
            };
            let page = scenario_page(&app, &p, &s, &ShowQuery::default(), &typed).await;
            (StatusCode::UNPROCESSABLE_ENTITY, ok(page)).into_response()
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf")]
    pub(super) csrf: Option<String>,
}

pub async fn delete(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    match app::ivr::delete(&app, &p.session.tenant, &id).await {
        Ok(()) => Redirect::to("/admin/ivr?deleted=1").into_response(),
        Err(f) => render_fail(Some(&p), &f),
    }
}
