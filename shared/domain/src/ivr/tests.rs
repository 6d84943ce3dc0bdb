//! Scenario validation: one case per problem, each with its code, and the
//! demo's menu as the valid example.

use super::*;

pub(super) fn tts(text: &str) -> Prompt {
    Prompt::Tts { text: text.into() }
}

fn node(id: &str, action: Action) -> Node {
    Node {
        id: id.into(),
        label: None,
        action,
    }
}

fn menu(options: &[(char, &str)], fallback: &str) -> Action {
    Action::Menu {
        prompt: tts("상담원 연결은 1번, 김민수 님은 2번, 콜백 요청은 0번을 누르세요."),
        options: options
            .iter()
            .map(|(key, next)| MenuOption {
                key: *key,
                next: (*next).into(),
            })
            .collect(),
        timeout_secs: 5,
        retries: 2,
        invalid: Some(tts("잘못 누르셨습니다.")),
        fallback: fallback.into(),
    }
}

fn route(to: Destination) -> Action {
    Action::Route { to }
}

fn account(n: u8) -> AccountId {
    AccountId::parse(&format!("{n:032}")).expect("account")
}

/// The demo's: a welcome, the hours, a menu (1 → the group, 2 → a user,
/// 0 → callback, 9 → an extension), closed → voicemail.
pub(super) fn demo() -> Scenario {
    Scenario {
        tenant: TenantId::parse("demo").expect("tenant"),
        id: IvrId::parse(&"0".repeat(32)).expect("id"),
        name: "대표번호 안내".into(),
        numbers: vec![PhoneNumber::parse("02-1234-5678").expect("number")],
        start: "welcome".into(),
        nodes: vec![
            node(
                "welcome",
                Action::Play {
                    prompt: tts("안녕하세요, 데모커뮤니케이션즈입니다."),
                    next: "hours".into(),
                },
            ),
            node(
                "hours",
                Action::Hours {
                    hours: BusinessHours::default(),
                    open: "main".into(),
                    closed: "after".into(),
                },
            ),
            node(
                "main",
                menu(
                    &[('1', "team"), ('2', "kim"), ('0', "callback"), ('9', "ext")],
                    "bye",
                ),
            ),
            node(
                "team",
                route(Destination::Group {
                    group: HuntGroupId::parse(&"7".repeat(32)).expect("group"),
                }),
            ),
            node(
                "kim",
                route(Destination::User {
                    account: account(1),
                }),
            ),
            node("callback", route(Destination::Callback)),
            node(
                "ext",
                Action::Collect {
                    prompt: tts("내선번호를 누르고 우물 정자를 누르세요."),
                    max_digits: 4,
                    timeout_secs: 5,
                    retries: 1,
                    invalid: None,
                    fallback: "main".into(),
                },
            ),
            node(
                "after",
                route(Destination::Voicemail {
                    account: account(1),
                }),
            ),
            node(
                "bye",
                Action::HangUp {
                    prompt: Some(tts("이용해 주셔서 감사합니다.")),
                },
            ),
        ],
        created_at: 0,
    }
}

fn code(s: &Scenario) -> Result<(), &'static str> {
    s.validate().map_err(|e| e.code())
}

pub(super) fn set(s: &mut Scenario, id: &str, action: Action) {
    if let Some(n) = s.nodes.iter_mut().find(|n| n.id == id) {
        n.action = action;
    }
}

#[test]
fn the_demo_menu_is_valid_and_survives_json() {
    let s = demo();
    assert_eq!(s.validate(), Ok(()));
    let json = serde_json::to_string(&s).expect("json");
    assert!(json.contains(r#""kind":"menu""#), "{json}");
    let back: Scenario = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, s);
}

#[test]
fn names_ids_and_the_start_are_checked() {
    let mut s = demo();
    s.name = " ".into();
    assert_eq!(code(&s), Err("ivr_name"));
    let mut s = demo();
    s.nodes[2].id = "Main Menu".into();
    assert_eq!(code(&s), Err("ivr_node_id"));
    let mut s = demo();
    let copy = s.nodes[1].clone();
    s.nodes.push(copy);
    assert_eq!(code(&s), Err("ivr_duplicate_node"));
    let mut s = demo();
    s.start = "nowhere".into();
    assert_eq!(code(&s), Err("ivr_no_start"));
    let mut s = demo();
    s.nodes.clear();
    assert_eq!(code(&s), Err("ivr_node_count"));
}

#[test]
fn every_target_must_exist_and_every_node_be_reachable() {
    let mut s = demo();
    set(
        &mut s,
        "main",
        menu(&[('1', "team"), ('2', "sales")], "bye"),
    );
    let e = s.validate().expect_err("unknown");
    assert_eq!(
        e,
        IvrError::UnknownTarget {
            from: "main".into(),
            to: "sales".into()
        }
    );
    assert_eq!(e.node(), Some("main"));
    // 2 no longer leads to kim: kim cannot be reached.
    let mut s = demo();
    set(
        &mut s,
        "main",
        menu(&[('1', "team"), ('0', "callback"), ('9', "ext")], "bye"),
    );
    assert_eq!(s.validate(), Err(IvrError::Unreachable("kim".into())));
}

#[test]
fn a_path_that_can_never_end_is_a_dead_end() {
    // Two announcements pointing at each other, reached from the menu.
    let mut s = demo();
    set(
        &mut s,
        "bye",
        Action::Play {
            prompt: tts("잠시만요"),
            next: "bye2".into(),
        },
    );
    s.nodes.push(node(
        "bye2",
        Action::Play {
            prompt: tts("잠시만요"),
            next: "bye".into(),
        },
    ));
    assert_eq!(code(&s), Err("ivr_dead_end"));
}

#[test]
fn a_loop_must_wait_for_the_caller() {
    // After hours, back to the welcome without a menu in between: the
    // caller would hear it forever.
    let mut s = demo();
    s.nodes.retain(|n| n.id != "after");
    set(
        &mut s,
        "hours",
        Action::Hours {
            hours: BusinessHours::default(),
            open: "main".into(),
            closed: "welcome".into(),
        },
    );
    let e = s.validate().expect_err("loop");
    assert_eq!(
        e,
        IvrError::EndlessLoop(vec!["hours".into(), "welcome".into()])
    );
    // Looping back through the menu is fine: it waits, and gives up.
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
}

#[test]
fn menus_keys_waits_digits_and_prompts_are_checked() {
    let cases: Vec<(Action, &str)> = vec![
        (menu(&[], "bye"), "ivr_empty_menu"),
        (menu(&[('1', "team"), ('1', "kim")], "bye"), "ivr_menu_key"),
        (menu(&[('A', "team")], "bye"), "ivr_menu_key"),
        (
            Action::Menu {
                prompt: tts("?"),
                options: vec![MenuOption {
                    key: '1',
                    next: "team".into(),
                }],
                timeout_secs: 0,
                retries: 1,
                invalid: None,
                fallback: "bye".into(),
            },
            "ivr_timeout",
        ),
        (
            Action::Menu {
                prompt: tts("?"),
                options: vec![MenuOption {
                    key: '1',
                    next: "team".into(),
                }],
                timeout_secs: 5,
                retries: 9,
                invalid: None,
                fallback: "bye".into(),
            },
            "ivr_retries",
        ),
        (
            Action::Menu {
                prompt: tts("  "),
                options: vec![MenuOption {
                    key: '1',
                    next: "team".into(),
                }],
                timeout_secs: 5,
                retries: 1,
                invalid: None,
                fallback: "bye".into(),
            },
            "ivr_prompt",
        ),
    ];
    for (action, expected) in cases {
        let mut s = demo();
        set(&mut s, "main", action);
        let e = s.validate().expect_err(expected);
        assert_eq!((e.code(), e.node()), (expected, Some("main")), "{e}");
    }
    let mut s = demo();
    set(
        &mut s,
        "ext",
        Action::Collect {
            prompt: tts("내선번호"),
            max_digits: 40,
            timeout_secs: 5,
            retries: 1,
            invalid: None,
            fallback: "main".into(),
        },
    );
    assert_eq!(code(&s), Err("ivr_digits"));
}
