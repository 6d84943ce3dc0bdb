//! How a step is wired into its scenario: references renamed with the
//! step, a new step linked in, and the places it can be linked from.

use domain::ivr::{Action, MenuOption, Scenario};

use super::graph::step_name;
use super::{Fields, field};
use app::ivr::ScenarioForm;

/// Every reference to step `from` (and the start) now names `to`.
pub(super) fn rename(form: &mut ScenarioForm, from: &str, to: &str) {
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
pub(super) fn link(form: &mut ScenarioForm, f: &Fields, new: &str) -> Result<(), String> {
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
pub(super) fn link_places(s: &Scenario) -> Vec<(String, String)> {
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
