//! ARS 설정 (T4): the admin's IVR scenarios. A list; a scenario page that
//! draws the graph as a person reads it (from the start, each step a card
//! saying what it does, its prompt with 미리 듣기, and where each key,
//! silence or hour leads, nested under the step that first leads there);
//! a form per step (add, edit, delete) and one for the scenario's name,
//! numbers and start; recordings uploaded as WAV or MP3; JSON editing as
//! an alternative.
//!
//! Every save goes through `app::ivr::update`, which validates the whole
//! scenario: a refused step is shown again as typed with the Korean
//! reason, and nothing is stored. Pages work without JavaScript (a preview
//! link opens the WAV); htmx plays previews in the page.

use std::collections::{HashMap, HashSet};

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::calendar::{LocalTime, Weekday};
use domain::hours::{BusinessHours, Day, Mode, WeeklyHours};
use domain::hunt::HuntGroup;
use domain::ivr::{Action, Destination, MenuOption, Node, Prompt, Scenario};
use domain::{Account, AccountId, HuntGroupId, PhoneNumber};
use maud::{Markup, html};

use super::layout::{Menu, csrf, error_box, ok, page, render_fail, status_for};
use super::{Admin, Portal, csrf_refusal};
use app::ivr::ScenarioForm;

type Fields = HashMap<String, String>;

/// The tenant's users and groups, for names in the graph and the route
/// target selects.
struct Names {
    people: Vec<Account>,
    groups: Vec<HuntGroup>,
}

impl Names {
    async fn load(app: &app::App, p: &Portal) -> Self {
        let t = &p.session.tenant;
        Self {
            people: store::repo::accounts::all(&*app.store, t)
                .await
                .unwrap_or_default(),
            groups: app::hunt::list(app, t).await.unwrap_or_default(),
        }
    }

    fn person(&self, id: &AccountId) -> String {
        self.people
            .iter()
            .find(|a| &a.id == id)
            .map_or_else(|| "(삭제된 사용자)".to_owned(), |a| a.name.clone())
    }

    fn group(&self, id: &HuntGroupId) -> String {
        self.groups
            .iter()
            .find(|g| &g.id == id)
            .map_or_else(|| "(삭제된 착신그룹)".to_owned(), |g| g.name.clone())
    }
}

fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map_or("", |v| v.trim())
}

// ------------------------------------------------------------------ words

/// What a step does, in Korean.
fn does(a: &Action, names: &Names) -> String {
    match a {
        Action::Play { .. } => "안내 멘트 재생".into(),
        Action::Menu {
            timeout_secs,
            retries,
            ..
        } => format!("메뉴 (키 입력 대기 {timeout_secs}초, 재시도 {retries}회)"),
        Action::Collect { max_digits, .. } => format!("번호 입력 (최대 {max_digits}자리)"),
        Action::Hours { .. } => "업무시간 분기".into(),
        Action::Route { to } => format!("연결: {}", destination(to, names)),
        Action::HangUp { .. } => "종료".into(),
    }
}

fn destination(d: &Destination, names: &Names) -> String {
    match d {
        Destination::User { account } => format!("사용자 {}", names.person(account)),
        Destination::Group { group } => format!("착신그룹 {}", names.group(group)),
        Destination::Voicemail { account } => format!("음성사서함 ({})", names.person(account)),
        Destination::Callback => "콜백 요청".into(),
        Destination::Outside { number } => format!("외부번호 {number}"),
    }
}

fn weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "월",
        Weekday::Tue => "화",
        Weekday::Wed => "수",
        Weekday::Thu => "목",
        Weekday::Fri => "금",
        Weekday::Sat => "토",
        Weekday::Sun => "일",
    }
}

fn hours_summary(h: &BusinessHours) -> String {
    match &h.mode {
        Mode::Off => "평일 09:00~18:00 (점심 12:00~13:00), 주말·공휴일 휴무".into(),
        Mode::On(w) => {
            let days: Vec<String> = Weekday::ALL
                .iter()
                .map(|&d| {
                    let day = w.day(d);
                    match day.work {
                        Some((from, to)) if !day.holiday => {
                            format!("{} {from}~{to}", weekday(d))
                        }
                        _ => format!("{} 휴무", weekday(d)),
                    }
                })
                .collect();
            let holidays = if h.public_holidays_apply() {
                ", 공휴일 휴무"
            } else {
                ""
            };
            format!("{}{holidays}", days.join(" · "))
        }
    }
}

fn step_name(s: &Scenario, id: &str) -> String {
    match s.node(id).and_then(|n| n.label.as_deref()) {
        Some(label) if !label.trim().is_empty() => label.to_owned(),
        _ => id.to_owned(),
    }
}

// ---------------------------------------------------------------- preview

fn preview_query(p: &Prompt) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    match p {
        Prompt::Tts { text } => q.append_pair("text", text),
        Prompt::Audio { id } => q.append_pair("audio", id),
    };
    q.finish()
}

/// A 미리 듣기 link: without JavaScript it opens the WAV; with htmx it
/// puts a player after itself.
fn listen(p: &Prompt, slot: &str) -> Markup {
    let q = preview_query(p);
    html! {
        a class="btn secondary small listen" href=(format!("/admin/ivr/preview?{q}"))
            hx-get=(format!("/admin/ivr/player?{q}")) hx-target=(format!("#{slot}")) hx-swap="innerHTML" {
            "미리 듣기"
        }
        " " span class="player" id=(slot) {}
    }
}

fn prompt_line(label: &str, p: &Prompt, slot: &str) -> Markup {
    html! {
        p class="prompt" {
            span class="muted" { (label) " " }
            @match p {
                Prompt::Tts { text } => { "“" (text) "” " }
                Prompt::Audio { id } => { "녹음 파일 " code { (id) } " " }
            }
            (listen(p, slot))
        }
    }
}

/// The prompt of a preview request: `text=` or `audio=`.
fn prompt_of(q: &Fields) -> Option<Prompt> {
    if let Some(id) = q.get("audio").filter(|v| !v.trim().is_empty()) {
        return Some(Prompt::Audio {
            id: id.trim().to_owned(),
        });
    }
    q.get("text").map(|t| Prompt::Tts { text: t.clone() })
}

fn no_prompt() -> app::Fail {
    app::Fail::bad("ivr_prompt", "text", "들을 안내 문구나 음원이 없습니다")
}

/// `GET /admin/ivr/preview?text=…` or `?audio=<id>`: the prompt as a WAV.
pub async fn preview(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<Fields>,
) -> Response {
    let Some(prompt) = prompt_of(&q) else {
        return render_fail(Some(&p), &no_prompt());
    };
    match app::ivr::prompt_audio(&app, &p.session.tenant, &prompt).await {
        Ok(wav) => (
            [
                (header::CONTENT_TYPE, "audio/wav"),
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            wav,
        )
            .into_response(),
        Err(f) => render_fail(Some(&p), &f),
    }
}

/// `GET /admin/ivr/player?…`: an `<audio>` for the preview, or the reason
/// there is none (speaking first, so a failure is worded, not a silent
/// player; the WAV request that follows finds it cached).
pub async fn player(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<Fields>,
) -> Response {
    let heard = match prompt_of(&q) {
        Some(prompt) => app::ivr::prompt_audio(&app, &p.session.tenant, &prompt)
            .await
            .map(|_| prompt),
        None => Err(no_prompt()),
    };
    ok(match heard {
        Ok(prompt) => html! {
            audio controls autoplay preload="auto" src=(format!("/admin/ivr/preview?{}", preview_query(&prompt))) {}
        },
        Err(f) => html! { span class="error inline" role="alert" { (f.message) } },
    })
}

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

// ---------------------------------------------------------------- the graph

/// The scenario from its start: each step once, nested under the step
/// that first leads to it (depth-first, in the order of its keys), so the
/// page reads like the call.
fn graph(s: &Scenario, names: &Names) -> Markup {
    let mut drawn = HashSet::new();
    drawn.insert(s.start.clone());
    html! {
        div id="graph" class="ivr-graph" {
            (branch(s, &s.start, names, &mut drawn))
        }
    }
}

fn branch(s: &Scenario, id: &str, names: &Names, drawn: &mut HashSet<String>) -> Markup {
    let Some(n) = s.node(id) else {
        return html! {};
    };
    let mut children = Vec::new();
    for to in n.action.targets() {
        if drawn.insert(to.to_owned()) {
            children.push(to.to_owned());
        }
    }
    let rest: Vec<Markup> = children
        .iter()
        .map(|c| branch(s, c, names, drawn))
        .collect();
    html! {
        (card(s, n, names))
        @if !rest.is_empty() {
            div class="ivr-branch" { @for m in rest { (m) } }
        }
    }
}

fn edge(s: &Scenario, what: Markup, to: &str) -> Markup {
    html! {
        li class="edge" {
            (what) " → "
            a href=(format!("#node-{to}")) class="target" data-target=(to) { (step_name(s, to)) }
        }
    }
}

fn card(s: &Scenario, n: &Node, names: &Names) -> Markup {
    let slot = |which: &str| format!("play-{}-{which}", n.id);
    let edit = format!("/admin/ivr/{}/nodes/{}", s.id, n.id);
    html! {
        div class="card ivr-node" id=(format!("node-{}", n.id)) data-node=(n.id) {
            div class="ivr-head" {
                @if s.start == n.id { span class="badge" { "시작" } " " }
                strong class="name" { (step_name(s, &n.id)) }
                " " small class="muted" { (n.id) }
                " " span class="does" { (does(&n.action, names)) }
                " " a class="edit" href=(edit) { "수정" }
            }
            @match &n.action {
                Action::Play { prompt, next } => {
                    (prompt_line("안내", prompt, &slot("prompt")))
                    ul class="edges" { (edge(s, html! { "다음" }, next)) }
                }
                Action::Menu { prompt, options, invalid, fallback, retries, .. } => {
                    (prompt_line("안내", prompt, &slot("prompt")))
                    @if let Some(invalid) = invalid {
                        (prompt_line("잘못 눌렀을 때", invalid, &slot("invalid")))
                    }
                    ul class="edges" {
                        @for o in options {
                            (edge(s, html! { span class="key" { (o.key) } }, &o.next))
                        }
                        (edge(s, html! { "입력 없음·잘못 누름 " (retries) "회 후" }, fallback))
                    }
                }
                Action::Collect { prompt, invalid, fallback, retries, .. } => {
                    (prompt_line("안내", prompt, &slot("prompt")))
                    @if let Some(invalid) = invalid {
                        (prompt_line("없는 번호일 때", invalid, &slot("invalid")))
                    }
                    ul class="edges" {
                        li class="edge" { "누른 내선의 사용자나 착신그룹으로 연결" }
                        (edge(s, html! { "입력 없음·없는 번호 " (retries) "회 후" }, fallback))
                    }
                }
                Action::Hours { hours, open, closed } => {
                    p class="muted" { (hours_summary(hours)) }
                    ul class="edges" {
                        (edge(s, html! { "업무시간" }, open))
                        (edge(s, html! { "업무시간 외" }, closed))
                    }
                }
                Action::Route { .. } => {}
                Action::HangUp { prompt } => {
                    @if let Some(prompt) = prompt {
                        (prompt_line("끝인사", prompt, &slot("prompt")))
                    }
                }
            }
        }
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
struct Typed<'a> {
    settings: Option<&'a Fields>,
    json: Option<&'a str>,
    error: Option<&'a str>,
}

fn upload_form(p: &Portal, scenario: &str, node: Option<&str>) -> Markup {
    html! {
        form method="post" action="/admin/ivr/prompts" enctype="multipart/form-data" class="row upload" id="upload-form" {
            (csrf(p))
            input type="hidden" name="scenario" value=(scenario);
            @if let Some(node) = node { input type="hidden" name="node" value=(node); }
            input type="file" name="file" id="file" accept=".wav,.mp3,audio/wav,audio/x-wav,audio/mpeg";
            button type="submit" class="secondary" id="upload" { "음원 올리기" }
        }
        p class="muted" { "WAV 또는 MP3, 0.2초~5분, 10MB까지. 전화용 8kHz로 변환해 저장합니다." }
    }
}

async fn scenario_page(
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
async fn save_scenario(
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

async fn load(app: &app::App, p: &Portal, id: &str) -> Result<Scenario, Response> {
    app::ivr::get(app, &p.session.tenant, id)
        .await
        .map_err(|f| render_fail(Some(p), &f))
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
    csrf: Option<String>,
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

// ------------------------------------------------------------- step forms

const KINDS: [(&str, &str); 6] = [
    ("play", "안내 멘트 재생"),
    ("menu", "메뉴 (키 입력)"),
    ("collect", "번호 입력 (내선 연결)"),
    ("hours", "업무시간 분기"),
    ("route", "연결"),
    ("hang_up", "종료"),
];

fn kind_of(a: &Action) -> &'static str {
    match a {
        Action::Play { .. } => "play",
        Action::Menu { .. } => "menu",
        Action::Collect { .. } => "collect",
        Action::Hours { .. } => "hours",
        Action::Route { .. } => "route",
        Action::HangUp { .. } => "hang_up",
    }
}

fn put_prompt(f: &mut Fields, prefix: &str, p: Option<&Prompt>) {
    let (kind, text, audio) = match p {
        None => ("none", "", ""),
        Some(Prompt::Tts { text }) => ("tts", text.as_str(), ""),
        Some(Prompt::Audio { id }) => ("audio", "", id.as_str()),
    };
    f.insert(format!("{prefix}_kind"), kind.into());
    f.insert(format!("{prefix}_text"), text.into());
    f.insert(format!("{prefix}_audio"), audio.into());
}

/// The hours fields as the form shows them, and their signature: an
/// unchanged form keeps the step's hours exactly (lunch, other days).
fn hours_fields(h: &BusinessHours) -> (String, String, bool, bool) {
    match &h.mode {
        Mode::Off => ("09:00".into(), "18:00".into(), false, true),
        Mode::On(w) => {
            let (from, to) = w
                .mon
                .work
                .map_or(("09:00".into(), "18:00".into()), |(a, b)| {
                    (a.to_string(), b.to_string())
                });
            (from, to, !w.sat.holiday, h.auto_public_holidays)
        }
    }
}

fn hours_signature(from: &str, to: &str, sat: bool, holidays: bool) -> String {
    format!("{from}|{to}|{sat}|{holidays}")
}

/// A stored step as the form's fields.
fn fields_of(n: &Node) -> Fields {
    let mut f = Fields::new();
    let put = |f: &mut Fields, k: &str, v: String| {
        f.insert(k.to_owned(), v);
    };
    put(&mut f, "id", n.id.clone());
    put(&mut f, "label", n.label.clone().unwrap_or_default());
    put(&mut f, "kind", kind_of(&n.action).into());
    match &n.action {
        Action::Play { prompt, next } => {
            put(&mut f, "next", next.clone());
            put_prompt(&mut f, "prompt", Some(prompt));
        }
        Action::Menu {
            prompt,
            options,
            timeout_secs,
            retries,
            invalid,
            fallback,
        } => {
            let lines: Vec<String> = options
                .iter()
                .map(|o| format!("{}={}", o.key, o.next))
                .collect();
            put(&mut f, "options", lines.join("\n"));
            put(&mut f, "timeout_secs", timeout_secs.to_string());
            put(&mut f, "retries", retries.to_string());
            put(&mut f, "fallback", fallback.clone());
            put_prompt(&mut f, "prompt", Some(prompt));
            put_prompt(&mut f, "invalid", invalid.as_ref());
        }
        Action::Collect {
            prompt,
            max_digits,
            timeout_secs,
            retries,
            invalid,
            fallback,
        } => {
            put(&mut f, "max_digits", max_digits.to_string());
            put(&mut f, "timeout_secs", timeout_secs.to_string());
            put(&mut f, "retries", retries.to_string());
            put(&mut f, "fallback", fallback.clone());
            put_prompt(&mut f, "prompt", Some(prompt));
            put_prompt(&mut f, "invalid", invalid.as_ref());
        }
        Action::Hours {
            hours,
            open,
            closed,
        } => {
            let (from, to, sat, holidays) = hours_fields(hours);
            put(
                &mut f,
                "hours_sig",
                hours_signature(&from, &to, sat, holidays),
            );
            put(&mut f, "hours_from", from);
            put(&mut f, "hours_to", to);
            if sat {
                put(&mut f, "hours_sat", "1".into());
            }
            if holidays {
                put(&mut f, "hours_holidays", "1".into());
            }
            put(
                &mut f,
                "hours_json",
                serde_json::to_string(hours).unwrap_or_default(),
            );
            put(&mut f, "open", open.clone());
            put(&mut f, "closed", closed.clone());
        }
        Action::Route { to } => {
            let (kind, target) = match to {
                Destination::User { account } => ("user", account.to_string()),
                Destination::Group { group } => ("group", group.to_string()),
                Destination::Voicemail { account } => ("voicemail", account.to_string()),
                Destination::Callback => ("callback", String::new()),
                Destination::Outside { number } => ("outside", number.display()),
            };
            put(&mut f, "dest", kind.into());
            put(&mut f, &format!("dest_{kind}"), target);
        }
        Action::HangUp { prompt } => put_prompt(&mut f, "prompt", prompt.as_ref()),
    }
    f
}

fn prompt_from(f: &Fields, prefix: &str) -> Option<Prompt> {
    let text = f.get(&format!("{prefix}_text")).map_or("", String::as_str);
    let audio = field(f, &format!("{prefix}_audio"));
    match field(f, &format!("{prefix}_kind")) {
        "none" => None,
        "audio" => Some(Prompt::Audio {
            id: audio.to_owned(),
        }),
        _ => Some(Prompt::Tts {
            text: text.trim().to_owned(),
        }),
    }
}

/// An optional prompt left empty is no prompt.
fn optional_prompt(f: &Fields, prefix: &str) -> Option<Prompt> {
    prompt_from(f, prefix).filter(|p| match p {
        Prompt::Tts { text } => !text.is_empty(),
        Prompt::Audio { id } => !id.is_empty(),
    })
}

fn number(f: &Fields, k: &str, default: u32) -> Result<u32, String> {
    match field(f, k) {
        "" => Ok(default),
        v => v.parse().map_err(|_| {
            "대기 시간, 재시도 횟수, 자릿수는 0 이상의 숫자로 입력해 주세요".to_owned()
        }),
    }
}

/// Menu keys, one a line: `1=team` (or `1 → team`, `1: team`).
fn options(text: &str) -> Result<Vec<MenuOption>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            format!(
                "메뉴 버튼 {}번째 줄: ‘1=team’처럼 버튼과 다음 단계를 적어 주세요",
                i + 1
            )
        };
        let (key, next) = line
            .split_once('=')
            .or_else(|| line.split_once('→'))
            .or_else(|| line.split_once(':'))
            .ok_or_else(bad)?;
        let mut chars = key.trim().chars();
        let (Some(key), None) = (chars.next(), chars.next()) else {
            return Err(bad());
        };
        let next = next.trim();
        if next.is_empty() {
            return Err(bad());
        }
        out.push(MenuOption {
            key,
            next: next.to_owned(),
        });
    }
    Ok(out)
}

fn hours_from(f: &Fields) -> Result<BusinessHours, String> {
    let from = field(f, "hours_from");
    let to = field(f, "hours_to");
    let sat = field(f, "hours_sat") == "1";
    let holidays = field(f, "hours_holidays") == "1";
    let kept = f
        .get("hours_json")
        .filter(|_| field(f, "hours_sig") == hours_signature(from, to, sat, holidays))
        .and_then(|j| serde_json::from_str::<BusinessHours>(j).ok());
    if let Some(h) = kept {
        return Ok(h);
    }
    let bad = || "업무시간은 09:00처럼 입력하고, 끝나는 시간을 시작보다 늦게 해 주세요".to_owned();
    let from: LocalTime = from.parse().map_err(|_| bad())?;
    let to: LocalTime = to.parse().map_err(|_| bad())?;
    let day = Day::working(from, to, None).map_err(|_| bad())?;
    let week = WeeklyHours {
        mon: day,
        tue: day,
        wed: day,
        thu: day,
        fri: day,
        sat: if sat { day } else { Day::closed() },
        sun: Day::closed(),
    };
    BusinessHours::new(Mode::On(week), Vec::new(), holidays, Default::default()).map_err(|_| bad())
}

fn destination_from(f: &Fields) -> Result<Destination, String> {
    let account = |k: &str| {
        AccountId::parse(field(f, k)).map_err(|_| "연결할 사용자를 골라 주세요".to_owned())
    };
    Ok(match field(f, "dest") {
        "user" => Destination::User {
            account: account("dest_user")?,
        },
        "voicemail" => Destination::Voicemail {
            account: account("dest_voicemail")?,
        },
        "group" => Destination::Group {
            group: HuntGroupId::parse(field(f, "dest_group"))
                .map_err(|_| "연결할 착신그룹을 골라 주세요".to_owned())?,
        },
        "callback" => Destination::Callback,
        "outside" => Destination::Outside {
            number: PhoneNumber::parse(field(f, "dest_outside"))
                .map_err(|_| "외부번호를 02-123-4567처럼 입력해 주세요".to_owned())?,
        },
        _ => return Err("연결할 곳의 종류를 골라 주세요".to_owned()),
    })
}

/// The step the form describes. What only the whole scenario can judge
/// (targets, keys, prompt lengths) is left to the app's validation.
fn node_from(f: &Fields) -> Result<Node, String> {
    let label = field(f, "label");
    let required = |prefix: &str| {
        prompt_from(f, prefix).unwrap_or(Prompt::Tts {
            text: String::new(),
        })
    };
    let action = match field(f, "kind") {
        "play" => Action::Play {
            prompt: required("prompt"),
            next: field(f, "next").to_owned(),
        },
        "menu" => Action::Menu {
            prompt: required("prompt"),
            options: options(f.get("options").map_or("", String::as_str))?,
            timeout_secs: number(f, "timeout_secs", 5)?,
            retries: number(f, "retries", 2)?,
            invalid: optional_prompt(f, "invalid"),
            fallback: field(f, "fallback").to_owned(),
        },
        "collect" => Action::Collect {
            prompt: required("prompt"),
            max_digits: number(f, "max_digits", 4)?,
            timeout_secs: number(f, "timeout_secs", 5)?,
            retries: number(f, "retries", 2)?,
            invalid: optional_prompt(f, "invalid"),
            fallback: field(f, "fallback").to_owned(),
        },
        "hours" => Action::Hours {
            hours: hours_from(f)?,
            open: field(f, "open").to_owned(),
            closed: field(f, "closed").to_owned(),
        },
        "route" => Action::Route {
            to: destination_from(f)?,
        },
        "hang_up" => Action::HangUp {
            prompt: optional_prompt(f, "prompt"),
        },
        _ => return Err("단계 종류를 골라 주세요".into()),
    };
    Ok(Node {
        id: field(f, "id").to_owned(),
        label: (!label.is_empty()).then(|| label.to_owned()),
        action,
    })
}

/// Every reference to step `from` (and the start) now names `to`.
fn rename(form: &mut ScenarioForm, from: &str, to: &str) {
    let fix = |t: &mut String| {
        if t == from {
            *t = to.to_owned();
        }
    };
    if form.start == from {
        form.start = to.to_owned();
    }
    for n in &mut form.nodes {
        match &mut n.action {
            Action::Play { next, .. } => fix(next),
            Action::Menu {
                options, fallback, ..
            } => {
                options.iter_mut().for_each(|o| fix(&mut o.next));
                fix(fallback);
            }
            Action::Collect { fallback, .. } => fix(fallback),
            Action::Hours { open, closed, .. } => {
                fix(open);
                fix(closed);
            }
            Action::Route { .. } | Action::HangUp { .. } => {}
        }
    }
}

/// Where a new step is entered from: a place in an existing step.
fn link(form: &mut ScenarioForm, f: &Fields, new: &str) -> Result<(), String> {
    let place = field(f, "link");
    if place.is_empty() {
        return Ok(());
    }
    if place == "@start" {
        form.start = new.to_owned();
        return Ok(());
    }
    let bad = || "이 단계로 이어질 곳을 다시 골라 주세요".to_owned();
    let (from, slot) = place.split_once(':').ok_or_else(bad)?;
    let n = form
        .nodes
        .iter_mut()
        .find(|n| n.id == from)
        .ok_or_else(bad)?;
    match (&mut n.action, slot) {
        (Action::Play { next, .. }, "next") => *next = new.to_owned(),
        (Action::Menu { fallback, .. } | Action::Collect { fallback, .. }, "fallback") => {
            *fallback = new.to_owned();
        }
        (Action::Hours { open, .. }, "open") => *open = new.to_owned(),
        (Action::Hours { closed, .. }, "closed") => *closed = new.to_owned(),
        (Action::Menu { options, .. }, "key") => {
            let mut chars = field(f, "link_key").chars();
            let (Some(key), None) = (chars.next(), chars.next()) else {
                return Err("메뉴에서 이 단계로 올 버튼(0~9, *, #)을 하나 적어 주세요".into());
            };
            match options.iter_mut().find(|o| o.key == key) {
                Some(o) => o.next = new.to_owned(),
                None => options.push(MenuOption {
                    key,
                    next: new.to_owned(),
                }),
            }
        }
        _ => return Err(bad()),
    }
    Ok(())
}

/// The places a new step can be entered from, for the add form.
fn link_places(s: &Scenario) -> Vec<(String, String)> {
    let mut out = vec![(
        "@start".to_owned(),
        "시작 단계로 (기존 시작 대신)".to_owned(),
    )];
    for n in &s.nodes {
        let name = step_name(s, &n.id);
        let mut add = |slot: &str, words: String| {
            out.push((format!("{}:{slot}", n.id), words));
        };
        match &n.action {
            Action::Play { .. } => add("next", format!("{name}: 다음 (기존 연결 대신)")),
            Action::Menu { .. } => {
                add("key", format!("{name}: 버튼 (아래에 적은 버튼)"));
                add("fallback", format!("{name}: 입력 없음·잘못 누름"));
            }
            Action::Collect { .. } => add("fallback", format!("{name}: 입력 없음·없는 번호")),
            Action::Hours { .. } => {
                add("open", format!("{name}: 업무시간"));
                add("closed", format!("{name}: 업무시간 외"));
            }
            Action::Route { .. } | Action::HangUp { .. } => {}
        }
    }
    out
}

fn node_select(name: &str, value: &str, s: &Scenario, with_id: bool) -> Markup {
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

async fn node_page(
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

// ----------------------------------------------------------------- upload

/// `POST /admin/ivr/prompts` (multipart `file`, optional `scenario` and
/// `node`): stores the recording and goes back where it was uploaded
/// from, showing its id (a step's form gets it as its prompt, unsaved).
pub async fn upload(State(app): State<app::App>, Admin(p): Admin, mut form: Multipart) -> Response {
    let mut fields = Fields::new();
    let mut file: Option<Vec<u8>> = None;
    let mut broken = None;
    loop {
        match form.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or_default().to_owned();
                if name == "file" {
                    match f.bytes().await {
                        Ok(b) => file = Some(b.to_vec()),
                        Err(e) => {
                            broken = Some(e.status());
                            break;
                        }
                    }
                } else if let Ok(text) = f.text().await {
                    fields.insert(name, text);
                }
            }
            Ok(None) => break,
            Err(e) => {
                broken = Some(e.status());
                break;
            }
        }
    }
    if broken.is_none()
        && let Some(r) = csrf_refusal(&p, fields.get("_csrf").map(String::as_str))
    {
        return r;
    }
    let scenario = field(&fields, "scenario").to_owned();
    let node = field(&fields, "node").to_owned();
    let result = match (broken, file.filter(|b| !b.is_empty())) {
        (Some(status), _) if status == StatusCode::PAYLOAD_TOO_LARGE => Err(app::Fail::bad(
            "audio_too_large",
            "audio",
            "10MB보다 큰 파일은 올릴 수 없습니다",
        )),
        (Some(_), _) => Err(app::Fail::bad(
            "invalid_file",
            "audio",
            "파일을 받지 못했습니다. 다시 시도해 주세요",
        )),
        (None, None) => Err(app::Fail::bad(
            "invalid_file",
            "audio",
            "올릴 WAV 또는 MP3 파일을 골라 주세요",
        )),
        (None, Some(bytes)) => app::ivr::upload_prompt(&app, &p.session.tenant, bytes).await,
    };
    let s = if scenario.is_empty() {
        None
    } else {
        match load(&app, &p, &scenario).await {
            Ok(s) => Some(s),
            Err(r) => return r,
        }
    };
    match (result, s) {
        (Ok(info), Some(s)) if s.node(&node).is_some() => Redirect::to(&format!(
            "/admin/ivr/{}/nodes/{node}?audio={}",
            s.id, info.id
        ))
        .into_response(),
        (Ok(info), Some(s)) => Redirect::to(&format!(
            "/admin/ivr/{}?uploaded={}&ms={}",
            s.id, info.id, info.duration_ms
        ))
        .into_response(),
        (Ok(info), None) => ok(page(
            &p,
            Menu::Ivr,
            "음원 올리기",
            html! {
                div class="notice" role="status" id="uploaded" {
                    "음원을 올렸습니다: " code id="uploaded-id" { (info.id) }
                    " (" (format!("{:.1}", info.duration_ms as f64 / 1000.0)) "초) "
                    (listen(&Prompt::Audio { id: info.id.clone() }, "play-uploaded"))
                }
                p { a href="/admin/ivr" { "ARS 설정으로" } }
            },
        )),
        (Err(fail), Some(s)) => {
            let status = status_for(fail.kind);
            let page = match s.node(&node) {
                Some(n) => {
                    let f = fields_of(n);
                    node_page(&app, &p, &s, Some(&node), &f, Some(&fail.message), None).await
                }
                None => {
                    let typed = Typed {
                        error: Some(&fail.message),
                        ..Typed::default()
                    };
                    scenario_page(&app, &p, &s, &ShowQuery::default(), &typed).await
                }
            };
            (status, ok(page)).into_response()
        }
        (Err(fail), None) => render_fail(Some(&p), &fail),
    }
}
