//! One caller's way through a scenario, without I/O: the edge feeds a
//! [`Walk`] what happened ([`Input`]: the call started, a prompt finished,
//! a key, the wait ran out) and carries out the [`Step`]s it returns
//! (play, wait for keys, route, hang up). Each choice the caller made is
//! kept ([`Walk::path`]) for the call record, so statistics can count
//! calls per menu option.
//!
//! Keys pressed while a menu's or a collection's prompt plays count at
//! once (barge-in). A menu or collection asks again after an invalid key
//! or silence, `retries` times, then goes to its fallback. A walk that
//! has taken [`MAX_STEPS`] nodes hangs up: validation forbids loops that
//! never wait for the caller, and this bounds the ones that do.

use super::{Action, Destination, Node, Prompt, Scenario};
use crate::calendar::Date;
use crate::hours::open_at;

/// The most nodes one call visits.
pub const MAX_STEPS: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Start,
    /// The prompt played last has finished.
    PromptDone,
    Key(char),
    /// The wait the last [`Step::Wait`] asked for ran out.
    Timeout,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Play these back to back, then report [`Input::PromptDone`] once.
    Play(Vec<Prompt>),
    /// Wait this long for a key (report [`Input::Timeout`]).
    Wait { secs: u32 },
    /// Hand the call over.
    Route(Destination),
    /// Hand the call to whoever holds this extension; if nobody does,
    /// report it with [`Walk::no_such_extension`].
    Extension(String),
    /// Play this (if any), then hang up.
    HangUp(Option<Prompt>),
}

/// What the caller did at a node, for the record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Choice {
    pub node: String,
    /// The key pressed, the digits keyed, `timeout` or `invalid` (the
    /// fallback was taken), or `open` / `closed` at an hours branch.
    pub chose: String,
}

#[derive(Debug, Clone)]
pub struct Walk {
    scenario: Scenario,
    /// Closed days beyond the hours' own (the operator's one-off holidays).
    one_offs: Vec<(Date, String)>,
    node: String,
    tries: u32,
    digits: String,
    steps: u32,
    /// Keys count now (a menu or collection is current and not done).
    listening: bool,
    over: bool,
    path: Vec<Choice>,
}

impl Walk {
    pub fn new(scenario: Scenario, one_offs: Vec<(Date, String)>) -> Self {
        let node = scenario.start.clone();
        Self {
            scenario,
            one_offs,
            node,
            tries: 0,
            digits: String::new(),
            steps: 0,
            listening: false,
            over: false,
            path: Vec::new(),
        }
    }

    /// The caller's choices so far.
    pub fn path(&self) -> &[Choice] {
        &self.path
    }

    /// Whether the walk handed the call over or hung up.
    pub fn is_over(&self) -> bool {
        self.over
    }

    fn current(&self) -> Option<Node> {
        self.scenario.node(&self.node).cloned()
    }

    fn chose(&mut self, what: impl Into<String>) {
        self.path.push(Choice {
            node: self.node.clone(),
            chose: what.into(),
        });
    }

    /// What happened; `now` (Unix seconds) decides hours branches.
    pub fn feed(&mut self, input: Input, now: i64) -> Vec<Step> {
        if self.over {
            return Vec::new();
        }
        let Some(node) = self.current() else {
            return self.end(None);
        };
        match (input, &node.action) {
            (Input::Start, _) => self.enter(&self.scenario.start.clone(), now),
            (Input::PromptDone, Action::Play { next, .. }) => self.enter(&next.clone(), now),
            (Input::PromptDone, Action::HangUp { .. }) => Vec::new(),
            (Input::PromptDone, Action::Menu { timeout_secs, .. })
            | (Input::PromptDone, Action::Collect { timeout_secs, .. })
                if self.listening =>
            {
                vec![Step::Wait {
                    secs: *timeout_secs,
                }]
            }
            (Input::Key(k), Action::Menu { options, .. }) if self.listening => {
                match options.iter().find(|o| o.key == k) {
                    Some(o) => {
                        let next = o.next.clone();
                        self.chose(k.to_string());
                        self.enter(&next, now)
                    }
                    None => self.again(&node, "invalid", now),
                }
            }
            (Input::Key(k), Action::Collect { max_digits, .. }) if self.listening => {
                if k == '#' {
                    return self.collected(&node, now);
                }
                if k.is_ascii_digit() {
                    self.digits.push(k);
                }
                if self.digits.len() >= *max_digits as usize {
                    return self.collected(&node, now);
                }
                Vec::new()
            }
            (Input::Timeout, Action::Menu { .. }) if self.listening => {
                self.again(&node, "timeout", now)
            }
            (Input::Timeout, Action::Collect { .. }) if self.listening => {
                self.collected(&node, now)
            }
            _ => Vec::new(),
        }
    }

    /// The extension a collection handed over is held by nobody: ask again.
    pub fn no_such_extension(&mut self, now: i64) -> Vec<Step> {
        self.over = false;
        match self.current() {
            Some(node) if matches!(node.action, Action::Collect { .. }) => {
                self.again(&node, "invalid", now)
            }
            _ => self.end(None),
        }
    }

    fn collected(&mut self, node: &Node, now: i64) -> Vec<Step> {
        let digits = std::mem::take(&mut self.digits);
        if digits.is_empty() {
            return self.again(node, "timeout", now);
        }
        self.chose(digits.clone());
        self.listening = false;
        self.over = true;
        vec![Step::Extension(digits)]
    }

    /// An invalid key or silence: the invalid prompt and the question
    /// again, or the fallback once the retries are used up.
    fn again(&mut self, node: &Node, why: &str, now: i64) -> Vec<Step> {
        let (prompt, retries, invalid, fallback) = match &node.action {
            Action::Menu {
                prompt,
                retries,
                invalid,
                fallback,
                ..
            }
            | Action::Collect {
                prompt,
                retries,
                invalid,
                fallback,
                ..
            } => (prompt, *retries, invalid, fallback),
            _ => return Vec::new(),
        };
        self.digits.clear();
        if self.tries >= retries {
            self.chose(why);
            return self.enter(&fallback.clone(), now);
        }
        self.tries += 1;
        self.listening = true;
        let prompts = invalid.iter().chain([prompt]).cloned().collect();
        vec![Step::Play(prompts)]
    }

    fn enter(&mut self, id: &str, now: i64) -> Vec<Step> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return self.end(None);
        }
        self.node = id.to_owned();
        self.tries = 0;
        self.digits.clear();
        self.listening = false;
        let Some(node) = self.current() else {
            return self.end(None);
        };
        match node.action {
            Action::Play { prompt, .. } => vec![Step::Play(vec![prompt])],
            Action::Menu { prompt, .. } | Action::Collect { prompt, .. } => {
                self.listening = true;
                vec![Step::Play(vec![prompt])]
            }
            Action::Hours {
                hours,
                open,
                closed,
            } => {
                let is_open = open_at(&hours, now, &self.one_offs).is_open();
                self.chose(if is_open { "open" } else { "closed" });
                self.enter(if is_open { &open } else { &closed }, now)
            }
            Action::Route { to } => {
                self.over = true;
                vec![Step::Route(to)]
            }
            Action::HangUp { prompt } => self.end(prompt),
        }
    }

    fn end(&mut self, prompt: Option<Prompt>) -> Vec<Step> {
        self.over = true;
        self.listening = false;
        vec![Step::HangUp(prompt)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivr::tests::{demo, set, tts};

    /// Wednesday 2026-12-02, 11:00 and 22:00 in Seoul.
    const WORK_HOURS: i64 = 1_796_176_800;
    const NIGHT: i64 = 1_796_216_400;

    fn walk() -> Walk {
        Walk::new(demo(), Vec::new())
    }

    fn chose(w: &Walk) -> Vec<(String, String)> {
        w.path()
            .iter()
            .map(|c| (c.node.clone(), c.chose.clone()))
            .collect()
    }

    fn pair(n: &str, c: &str) -> (String, String) {
        (n.to_owned(), c.to_owned())
    }

    #[test]
    fn a_key_pressed_during_the_menu_routes_the_call() {
        let mut w = walk();
        let s = w.feed(Input::Start, WORK_HOURS);
        assert_eq!(
            s,
            [Step::Play(vec![tts(
                "안녕하세요, 데모커뮤니케이션즈입니다."
            )])]
        );
        let s = w.feed(Input::Key('1'), WORK_HOURS);
        assert!(s.is_empty(), "keys during a plain announcement are ignored");
        let s = w.feed(Input::PromptDone, WORK_HOURS);
        assert!(matches!(&s[..], [Step::Play(p)] if p.len() == 1), "{s:?}");
        // Barge-in: 1 while the menu speaks.
        let s = w.feed(Input::Key('1'), WORK_HOURS);
        assert!(
            matches!(&s[..], [Step::Route(Destination::Group { .. })]),
            "{s:?}"
        );
        assert!(w.is_over());
        assert_eq!(chose(&w), [pair("hours", "open"), pair("main", "1")]);
        assert!(w.feed(Input::Key('2'), WORK_HOURS).is_empty(), "over");
    }

    #[test]
    fn after_hours_the_caller_goes_to_the_mailbox() {
        let mut w = walk();
        w.feed(Input::Start, NIGHT);
        let s = w.feed(Input::PromptDone, NIGHT);
        assert!(
            matches!(&s[..], [Step::Route(Destination::Voicemail { .. })]),
            "{s:?}"
        );
        assert_eq!(chose(&w), [pair("hours", "closed")]);
    }

    #[test]
    fn invalid_keys_and_silence_ask_again_then_take_the_fallback() {
        let mut w = walk();
        w.feed(Input::Start, WORK_HOURS);
        w.feed(Input::PromptDone, WORK_HOURS);
        // 5 is no option: the notice and the question again, then the wait.
        let s = w.feed(Input::Key('5'), WORK_HOURS);
        assert!(
            matches!(&s[..], [Step::Play(p)] if p.len() == 2 && p[0] == tts("잘못 누르셨습니다.")),
            "{s:?}"
        );
        assert_eq!(
            w.feed(Input::PromptDone, WORK_HOURS),
            [Step::Wait { secs: 5 }]
        );
        // Silence: the second (last) retry.
        let s = w.feed(Input::Timeout, WORK_HOURS);
        assert!(matches!(&s[..], [Step::Play(p)] if p.len() == 2), "{s:?}");
        w.feed(Input::PromptDone, WORK_HOURS);
        // Silence again: the fallback (a goodbye and hang-up).
        let s = w.feed(Input::Timeout, WORK_HOURS);
        assert_eq!(s, [Step::HangUp(Some(tts("이용해 주셔서 감사합니다.")))]);
        assert_eq!(chose(&w), [pair("hours", "open"), pair("main", "timeout")]);
    }

    #[test]
    fn an_extension_is_collected_and_an_unknown_one_asked_again() {
        let mut w = walk();
        w.feed(Input::Start, WORK_HOURS);
        w.feed(Input::PromptDone, WORK_HOURS);
        w.feed(Input::Key('9'), WORK_HOURS);
        for k in ['1', '0', '0'] {
            assert!(w.feed(Input::Key(k), WORK_HOURS).is_empty());
        }
        assert_eq!(
            w.feed(Input::Key('2'), WORK_HOURS),
            [Step::Extension("1002".into())],
            "four digits end it"
        );
        // Nobody holds 1002: asked again (one retry), then '#' alone gives up.
        let s = w.no_such_extension(WORK_HOURS);
        assert!(matches!(&s[..], [Step::Play(p)] if p.len() == 1), "{s:?}");
        w.feed(Input::Key('3'), WORK_HOURS);
        assert_eq!(
            w.feed(Input::Key('#'), WORK_HOURS),
            [Step::Extension("3".into())]
        );
        let s = w.no_such_extension(WORK_HOURS);
        assert!(
            matches!(&s[..], [Step::Play(p)] if p.len() == 1),
            "back to the main menu: {s:?}"
        );
        assert_eq!(
            chose(&w),
            [
                pair("hours", "open"),
                pair("main", "9"),
                pair("ext", "1002"),
                pair("ext", "3"),
                pair("ext", "invalid"),
            ]
        );
    }

    #[test]
    fn a_caller_who_never_chooses_is_hung_up_in_the_end() {
        // The goodbye leads back to the menu: valid (the menu waits), and
        // bounded by MAX_STEPS.
        let mut s = demo();
        set(
            &mut s,
            "bye",
            Action::Play {
                prompt: tts("처음으로 돌아갑니다."),
                next: "main".into(),
            },
        );
        assert_eq!(s.validate(), Ok(()));
        let mut w = Walk::new(s, Vec::new());
        let mut last = w.feed(Input::Start, WORK_HOURS);
        let mut feeds = 0;
        while !w.is_over() && feeds < 1000 {
            let input = match last.first() {
                Some(Step::Wait { .. }) => Input::Timeout,
                _ => Input::PromptDone,
            };
            last = w.feed(input, WORK_HOURS);
            feeds += 1;
        }
        assert_eq!(last, [Step::HangUp(None)]);
        assert!(feeds < 1000);
    }
}
