//! The scenario drawn as cards, in the order a caller meets it, and the
//! Korean wording of what each step does (destinations, weekdays, hours).

use std::collections::HashSet;

use domain::calendar::Weekday;
use domain::hours::{BusinessHours, Mode};
use domain::ivr::{Action, Destination, Node, Scenario};
use maud::{Markup, html};

use super::Names;
use super::prompts::prompt_line;

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

pub(super) fn step_name(s: &Scenario, id: &str) -> String {
    match s.node(id).and_then(|n| n.label.as_deref()) {
        Some(label) if !label.trim().is_empty() => label.to_owned(),
        _ => id.to_owned(),
    }
}

// ---------------------------------------------------------------- the graph

/// The scenario from its start: each step once, nested under the step
/// that first leads to it (depth-first, in the order of its keys), so the
/// page reads like the call.
pub(super) fn graph(s: &Scenario, names: &Names) -> Markup {
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
