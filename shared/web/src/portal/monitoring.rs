//! 모니터링 (T3): the admin sees who is registered and which calls are up.
//! The page is drawn from a snapshot, then follows the tenant's event
//! stream (`/admin/monitoring/stream`, server-sent events over the admin's
//! session): calls appear when they ring, change state (연결 중, ARS,
//! 대기 중, 통화 중, 보류) and disappear when they end; phones appear and
//! disappear as they register and unregister. Durations tick in the page.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::Admin;
use super::layout::{Menu, ok, page, render_fail};

fn when(tz: &domain::calendar::TimeZone, secs: i64) -> String {
    if secs <= 0 {
        return "-".into();
    }
    tz.wall_clock(secs * 1000)
}

fn party(p: &domain::event::PartyInfo) -> Markup {
    html! {
        span class="num" { (p.number) }
        @if let Some(n) = &p.name { " " (n) }
    }
}

/// The worse party's audio: 좋음 / 보통 / 나쁨 with loss and jitter.
fn quality(q: &app::monitoring::LiveQuality) -> Markup {
    match q.worst() {
        None => html! { "-" },
        Some(w) => {
            let (class, label) = match w.grade {
                app::monitoring::Grade::Good => ("q-good", "좋음"),
                app::monitoring::Grade::Fair => ("q-fair", "보통"),
                app::monitoring::Grade::Poor => ("q-poor", "나쁨"),
            };
            html! {
                span class=(class) { (label) }
                " (손실 " (format!("{:.1}", w.loss_percent)) "%, 지터 " (format!("{:.0}", w.jitter_ms)) "ms)"
            }
        }
    }
}

fn direction(d: domain::Direction) -> &'static str {
    match d {
        domain::Direction::Outgoing => "발신",
        domain::Direction::Incoming | domain::Direction::Missed => "수신",
        domain::Direction::Voicemail => "음성사서함",
        domain::Direction::Internal => "내선",
    }
}

pub async fn page_view(State(app): State<app::App>, Admin(p): Admin) -> Response {
    let snap = match app::monitoring::snapshot(&app, &p.session.tenant).await {
        Ok(s) => s,
        Err(f) => return render_fail(Some(&p), &f),
    };
    // Phones that register later are named from this (events carry ids).
    let people: std::collections::BTreeMap<String, (String, String)> =
        store::repo::accounts::all(&*app.store, &p.session.tenant)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|a| {
                let ext = a
                    .extension
                    .map_or_else(|| "-".to_owned(), |e| e.to_string());
                (a.id.to_string(), (a.name, ext))
            })
            .collect();
    let people = serde_json::to_string(&people).unwrap_or_else(|_| "{}".into());
    let body = html! {
        p class="muted" {
            "실시간으로 갱신됩니다. "
            span id="live-state" { "연결 중…" }
        }
        h2 { "통화 중인 콜 " span id="call-count" { (snap.calls.len()) } }
        table id="live-calls" data-since=(snap.at_ms) {
            thead { tr { th { "방향" } th { "발신" } th { "수신" } th { "상태" } th { "통화시간" } th { "품질" } } }
            tbody {
                @for c in &snap.calls {
                    tr data-call=(c.call_id) data-started=(c.started_ms) data-answered=[c.answered_ms] {
                        td { (direction(c.direction)) }
                        td class="caller" { (party(&c.caller)) }
                        td class="callee" { (party(&c.callee)) }
                        td class="state" { (c.state.label()) }
                        td class="duration" { "-" }
                        td class="quality" { (quality(&c.quality)) }
                    }
                }
            }
        }
        p class="muted" id="no-calls" hidden[!snap.calls.is_empty()] { "지금 진행 중인 통화가 없습니다." }
        h2 { "등록된 단말 " span id="device-count" { (snap.devices.len()) } }
        table id="devices" {
            thead { tr { th { "사용자" } th { "내선" } th { "단말" } th { "주소" } th { "서버" } th { "등록 시각" } } }
            tbody {
                @for d in &snap.devices {
                    tr data-account=(d.account) data-address=(d.address) {
                        td { (d.name) }
                        td { (d.extension.as_deref().unwrap_or("-")) }
                        td { (d.user_agent.as_deref().unwrap_or("-")) }
                        td class="num" { (d.address) " (" (d.transport.to_uppercase()) ")" }
                        td { (d.edge) }
                        td { (when(&p.tenant.time_zone, d.since)) }
                    }
                }
            }
        }
        script type="application/json" id="people" { (maud::PreEscaped(people.replace("</", "<\\/"))) }
        script src="/assets/monitoring.js" defer {}
    };
    ok(page(&p, Menu::Monitoring, "모니터링", body))
}

#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    last_event_id: Option<String>,
}

pub async fn stream(
    State(app): State<app::App>,
    Admin(p): Admin,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Response {
    crate::api::cti::tenant_stream(app, p.session.tenant, &headers, q.last_event_id)
}

pub async fn script() -> Response {
    super::asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/monitoring.js"),
    )
}
