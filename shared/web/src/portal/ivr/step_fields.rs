//! A step as its form's fields and back: a stored `Node` shown for
//! editing, and the typed fields parsed into a `Node` and its `Action`.

use domain::calendar::LocalTime;
use domain::hours::{BusinessHours, Day, Mode, WeeklyHours};
use domain::ivr::{Action, Destination, MenuOption, Node, Prompt};
use domain::{AccountId, HuntGroupId, PhoneNumber};

use super::{Fields, field};

pub(super) const KINDS: [(&str, &str); 6] = [
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
pub(super) fn fields_of(n: &Node) -> Fields {
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
pub(super) fn node_from(f: &Fields) -> Result<Node, String> {
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
