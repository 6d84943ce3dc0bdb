//! Prompts heard and uploaded: the 미리 듣기 link and player, the WAV
//! preview, and recordings uploaded as WAV or MP3.

use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::ivr::Prompt;
use maud::{Markup, html};

use super::scenario::{ShowQuery, Typed, scenario_page};
use super::step_fields::fields_of;
use super::steps::node_page;
use super::{Fields, field, load};
use crate::portal::layout::{Menu, csrf, ok, page, render_fail, status_for};
use crate::portal::{Admin, Portal, csrf_refusal};

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
pub(super) fn listen(p: &Prompt, slot: &str) -> Markup {
    let q = preview_query(p);
    html! {
        a class="btn secondary small listen" href=(format!("/admin/ivr/preview?{q}"))
            hx-get=(format!("/admin/ivr/player?{q}")) hx-target=(format!("#{slot}")) hx-swap="innerHTML" {
            "미리 듣기"
        }
        " " span class="player" id=(slot) {}
    }
}

pub(super) fn prompt_line(label: &str, p: &Prompt, slot: &str) -> Markup {
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

pub(super) fn upload_form(p: &Portal, scenario: &str, node: Option<&str>) -> Markup {
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
