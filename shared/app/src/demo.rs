//! The demo tenant: a company with an admin, three employees with
//! extensions and 070 numbers, a pool of free numbers and an API key, so a
//! newcomer can try every screen at once.
//!
//! Seeding is idempotent: the generated credentials are kept in
//! `<data dir>/demo.json` (mode 0600) and a second run reuses them, creating
//! only what is missing from the store.

use domain::sms::Won10;
use std::io::Write as _;
use std::path::Path;

use domain::{AccountStatus, Email, PhoneNumber, Role, TenantId};
use serde::{Deserialize, Serialize};
use store::repo::{accounts, api_keys, numbers, tenants};

use crate::operator::{self, NewTenant, api_key_hash};
use crate::password;
use crate::state::{App, AppError};

pub const DEMO_TENANT: &str = "demo";
const DEMO_POOL_SIZE: u32 = 20;

/// Credentials and identifiers of the demo, as printed by `office --demo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoInfo {
    pub tenant_id: String,
    pub tenant_name: String,
    /// What employees type in the app to join the demo tenant.
    #[serde(default)]
    pub join_code: String,
    pub admin: DemoLogin,
    pub users: Vec<DemoUser>,
    pub api_key: String,
    /// A hunt group of the three employees (착신그룹).
    #[serde(default)]
    pub hunt_group: Option<DemoGroup>,
    /// The ARS scenario answering the 대표번호.
    #[serde(default)]
    pub ivr: Option<DemoIvr>,
    /// Whether the example calls (통화기록, with recordings) were made.
    #[serde(default)]
    pub calls_seeded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoIvr {
    pub id: String,
    pub name: String,
    /// The number it answers (the tenant's 대표번호).
    pub number: String,
    /// Each key of its main menu and where it leads.
    pub keys: Vec<String>,
}

/// The demo tenant's 대표번호, which the demo ARS answers.
pub const DEMO_REPRESENTATIVE: &str = "02-1234-5678";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoGroup {
    pub id: String,
    pub name: String,
    pub extension: String,
    pub strategy: String,
}

/// The demo group's extension (the employees have 1001-1003).
pub const DEMO_GROUP_EXTENSION: &str = "1000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoLogin {
    pub name: String,
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoUser {
    pub name: String,
    pub email: String,
    pub password: String,
    pub extension: String,
    /// Assigned 070 number, as shown (070-4000-0001).
    pub number: String,
    pub mobile: String,
    /// SIP user name and password phones register with.
    #[serde(default)]
    pub sip_username: String,
    #[serde(default)]
    pub sip_password: String,
}

fn fresh() -> DemoInfo {
    let user = |i: u32, name: &str, mobile: &str| DemoUser {
        name: name.into(),
        email: format!("user{i}@demo.example"),
        password: password::generate(),
        extension: format!("{}", 1000 + i),
        number: format!("070-4000-{i:04}"),
        mobile: mobile.into(),
        sip_username: String::new(),
        sip_password: crate::sip::generate_password(),
    };
    DemoInfo {
        tenant_id: DEMO_TENANT.into(),
        tenant_name: "(주)데모커뮤니케이션즈".into(),
        join_code: String::new(),
        admin: DemoLogin {
            name: "관리자".into(),
            email: "admin@demo.example".into(),
            password: password::generate(),
        },
        users: vec![
            user(1, "김민수", "010-2000-0001"),
            user(2, "이서연", "010-2000-0002"),
            user(3, "박지훈", "010-2000-0003"),
        ],
        api_key: String::new(),
        hunt_group: None,
        ivr: None,
        calls_seeded: false,
    }
}

fn load(path: &Path) -> Result<Option<DemoInfo>, AppError> {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
            AppError::Invalid(format!(
                "{} is corrupt ({e}); delete it to reseed",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(AppError::Io {
            context: format!("reading {}", path.display()),
            source,
        }),
    }
}

fn save(path: &Path, info: &DemoInfo) -> Result<(), AppError> {
    let io = |source| AppError::Io {
        context: format!("writing {}", path.display()),
        source,
    };
    let tmp = path.with_extension("json.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(io)?;
    let json = serde_json::to_vec_pretty(info).map_err(|e| AppError::Invalid(e.to_string()))?;
    f.write_all(&json).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Creates whatever part of the demo is missing and returns its credentials.
pub async fn seed(app: &App, data_dir: &Path) -> Result<DemoInfo, AppError> {
    seed_with(app, data_dir, true).await
}

/// As [`seed`]; `calls` adds the example calls (once).
pub async fn seed_with(app: &App, data_dir: &Path, calls: bool) -> Result<DemoInfo, AppError> {
    blobs::private::dir(data_dir).map_err(|source| AppError::Io {
        context: "creating the data directory".into(),
        source,
    })?;
    let path = data_dir.join("demo.json");
    let mut info = match load(&path)? {
        Some(i) => i,
        None => fresh(),
    };
    let store = &*app.store;
    let tenant = TenantId::parse(&info.tenant_id).map_err(|e| AppError::Invalid(e.to_string()))?;

    let existing = tenants::get(store, &tenant).await?;
    info.join_code = match existing {
        Some(t) => t.join_code,
        None => {
            operator::create_tenant(
                app,
                NewTenant {
                    id: Some(info.tenant_id.clone()),
                    name: info.tenant_name.clone(),
                    representative_number: Some(DEMO_REPRESENTATIVE.into()),
                    region: None,
                },
            )
            .await?
            .join_code
        }
    };

    let pool: String = (1..=DEMO_POOL_SIZE)
        .map(|i| format!("070-4000-{i:04}\n"))
        .collect();
    operator::load_numbers(app, &app.region, &pool)
        .await
        .map_err(|e| match e {
            operator::LoadError::App(a) => a,
            rows => AppError::Invalid(rows.to_string()),
        })?;

    ensure_admin(app, &info.tenant_id, &info.admin).await?;
    // Unit prices, so 정산관리 shows real sums (an operator's own stay).
    let rates = store::repo::tenants::rates(store, &tenant).await?;
    if rates == Default::default() {
        let (sms, lms, mms) = DEMO_RATES;
        store::repo::tenants::set_rates(store, &tenant, Won10(sms), Won10(lms), Won10(mms)).await?;
    }
    let mut members = Vec::new();
    for u in &mut info.users {
        if u.sip_password.is_empty() {
            u.sip_password = crate::sip::generate_password();
        }
        let account = ensure_user(app, &tenant, u).await?;
        members.push(account.id.clone());
        u.sip_username = account.sip_username.clone().unwrap_or_default();
        if account.number.is_none() {
            let n = PhoneNumber::parse(&u.number).map_err(|e| AppError::Invalid(e.to_string()))?;
            numbers::assign(store, &app.region, &tenant, &account.id, &n).await?;
        }
    }

    let group = ensure_group(app, &tenant, &members).await?;
    if let Some(first) = members.first() {
        info.ivr = Some(ensure_ivr(app, &tenant, &group, first, &info.users[0].name).await?);
    }
    info.hunt_group = Some(group);
    if calls && !info.calls_seeded {
        seed_calls(app, &tenant, &info.users, info.hunt_group.as_ref()).await?;
        info.calls_seeded = true;
    }

    let key_present = !info.api_key.is_empty()
        && api_keys::find(store, &api_key_hash(&info.api_key))
            .await?
            .is_some();
    if !key_present {
        let scopes: Vec<String> = operator::SCOPES.iter().map(|s| (*s).to_owned()).collect();
        info.api_key = operator::create_api_key(app, &info.tenant_id, "demo", &scopes)
            .await?
            .secret;
    }
    save(&path, &info)?;
    Ok(info)
}

/// One example call: how long ago it started, how long it rang and talked,
/// and what each side said (when it was recorded).
struct Example {
    direction: domain::call::Direction,
    caller: domain::call::Party,
    callee: domain::call::Party,
    ago: i64,
    ring: i64,
    talk: i64,
    disposition: domain::call::Disposition,
    dialogue: Option<[&'static str; 2]>,
}

/// A few finished calls of the last days, two of them recorded, so 통화기록
/// and 통화이력조회 have something to show (and play) on the first run.
async fn seed_calls(
    app: &App,
    t: &TenantId,
    users: &[DemoUser],
    group: Option<&DemoGroup>,
) -> Result<(), AppError> {
    use domain::call::{CallRecord, Direction, Disposition, Party, Recording};
    let store = &*app.store;
    let mut people = Vec::new();
    for u in users {
        let a = store::repo::accounts::all(store, t)
            .await?
            .into_iter()
            .find(|a| a.extension.is_some_and(|e| e.as_str() == u.extension));
        people.push((u, a.map(|a| a.id)));
    }
    let user = |i: usize| {
        people.get(i).map_or_else(Party::default, |(u, id)| Party {
            number: u.extension.clone(),
            account: id.clone(),
            name: Some(u.name.clone()),
        })
    };
    let outside = |n: &str| Party {
        number: n.into(),
        account: None,
        name: None,
    };
    let day = 86_400_000;
    let now = store::now_epoch_ms();
    let mut ended = Vec::new();
    let calls = vec![
        Example {
            direction: Direction::Incoming,
            caller: outside("010-9876-5432"),
            callee: user(0),
            ago: 2 * day + 3_600_000,
            ring: 6_000,
            talk: 124_000,
            disposition: Disposition::Answered,
            dialogue: Some([
                "안녕하세요, 지난주에 주문한 상품 배송 문의 드립니다.",
                "네, 말톡오피스 김민수입니다. 주문번호 확인해 드리겠습니다.",
            ]),
        },
        Example {
            direction: Direction::Outgoing,
            caller: user(1),
            callee: outside("02-555-0199"),
            ago: day + 7_200_000,
            ring: 9_000,
            talk: 47_000,
            disposition: Disposition::Answered,
            dialogue: Some([
                "안녕하세요, 견적서 보내 드린 이서연입니다.",
                "네, 잘 받았습니다. 검토 후 연락 드리겠습니다.",
            ]),
        },
        Example {
            direction: Direction::Missed,
            caller: outside("010-1111-2222"),
            callee: user(2),
            ago: day,
            ring: 30_000,
            talk: 0,
            disposition: Disposition::NoAnswer,
            dialogue: None,
        },
        Example {
            direction: Direction::Internal,
            caller: user(0),
            callee: user(1),
            ago: 3_600_000,
            ring: 4_000,
            talk: 31_000,
            disposition: Disposition::Answered,
            dialogue: None,
        },
    ];
    for Example {
        direction,
        caller,
        callee,
        ago,
        ring,
        talk,
        disposition,
        dialogue,
    } in calls
    {
        let started = now - ago;
        let mut r = CallRecord::starting(t.clone(), direction, caller, callee, started, "demo");
        if talk > 0 {
            r.answered_ms = Some(started + ring);
        }
        r.ended_ms = Some(started + ring + talk);
        r.disposition = disposition;
        r.cause = Some(
            if talk > 0 {
                "caller hung up"
            } else {
                "no answer"
            }
            .into(),
        );
        if let Some(lines) = dialogue {
            let mut samples: Vec<i16> = Vec::new();
            for line in lines {
                match app.speech.speak(line).await {
                    Ok(s) => samples.extend_from_slice(&s),
                    // No speech engine here: a short tone stands in.
                    Err(_) => samples.extend((0..8_000).map(|i| {
                        let x = f64::from(i) * 2.0 * std::f64::consts::PI * 440.0 / 8_000.0;
                        (x.sin() * 3_000.0) as i16
                    })),
                }
                samples.extend(std::iter::repeat_n(0, 4_000));
            }
            let key = format!(
                "recordings/{t}/{}/{}-1.wav",
                store::repo::calls::month_of(started),
                r.id
            );
            let blob = blobs::BlobKey::parse(&key).map_err(|e| AppError::Invalid(e.to_string()))?;
            app.blobs
                .put(&blob, speech::audio::wav(&samples).into(), "audio/wav")
                .await?;
            r.recordings.push(Recording {
                key,
                started_ms: started + ring,
                duration_ms: i64::try_from(samples.len() / 8).unwrap_or(0),
            });
        }
        store::repo::calls::close(store, &r).await?;
        ended.push(r);
    }
    let group = group.and_then(|g| domain::HuntGroupId::parse(&g.id).ok());
    for r in history(t, users, &user, group, now) {
        store::repo::calls::close(store, &r).await?;
        ended.push(r);
    }
    // Their ends reach statistics (and anything else listening) as a
    // finished call's would.
    let events: Vec<domain::event::Event> = ended
        .iter()
        .map(|r| {
            domain::event::Event::new(
                t.clone(),
                &r.id,
                1,
                r.ended_ms.unwrap_or(r.started_ms),
                domain::event::Kind::Ended(domain::event::Ended::of(r)),
            )
        })
        .collect();
    for chunk in events.chunks(100) {
        app.events
            .publish(chunk)
            .await
            .map_err(|e| AppError::Invalid(e.to_string()))?;
    }
    Ok(())
}

/// Calls of the last six weeks, unrecorded, so 통계 has a history to chart
/// on the first run: working hours, mostly answered, some through the
/// hunt group's queue. The same every time (a fixed seed).
fn history(
    t: &TenantId,
    users: &[DemoUser],
    user: &dyn Fn(usize) -> domain::call::Party,
    group: Option<domain::HuntGroupId>,
    now: i64,
) -> Vec<domain::call::CallRecord> {
    use domain::call::{CallRecord, Direction, Disposition, Party};
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(70_4000);
    let hour = 3_600_000;
    let mut out = Vec::new();
    for n in 0..240 {
        // Between 42 days and 3 hours ago, at 9-18 KST (00-09 UTC).
        let day = rng.gen_range(0..42_i64);
        let started = (now / 86_400_000 - day) * 86_400_000 + rng.gen_range(0..9 * hour);
        if started > now - 3 * hour {
            continue;
        }
        let i = rng.gen_range(0..users.len().max(1));
        let line = users
            .get(i)
            .and_then(|u| PhoneNumber::parse(&u.number).ok())
            .map(|p| p.national_digits());
        let outside = Party {
            number: format!("010-{:04}-{:04}", rng.gen_range(1000..10_000), n),
            ..Party::default()
        };
        let kind = rng.gen_range(0..10);
        let (direction, caller, callee) = match kind {
            0..=4 => (Direction::Incoming, outside, user(i)),
            5..=7 => (Direction::Outgoing, user(i), outside),
            _ => (
                Direction::Internal,
                user(i),
                user((i + 1) % users.len().max(1)),
            ),
        };
        let mut r = CallRecord::starting(t.clone(), direction, caller, callee, started, "demo");
        if direction != Direction::Internal {
            r.line = line;
        }
        if direction == Direction::Incoming && rng.gen_bool(0.3) {
            r.hunt_group = group.clone();
            r.queued_ms = Some(started + 2_000);
        }
        let waited = r.queued_ms.unwrap_or(started);
        let roll = rng.gen_range(0..100);
        if roll < 72 {
            let a = waited + rng.gen_range(3_000..25_000);
            r.answered_ms = Some(a);
            r.ended_ms = Some(a + rng.gen_range(20_000..600_000));
            r.disposition = Disposition::Answered;
            r.cause = Some("caller hung up".into());
        } else {
            r.ended_ms = Some(waited + rng.gen_range(5_000..40_000));
            r.disposition = if r.queued_ms.is_some() {
                Disposition::Abandoned
            } else if roll < 86 {
                Disposition::NoAnswer
            } else {
                Disposition::Busy
            };
            if direction == Direction::Incoming {
                r.direction = Direction::Missed;
            }
            r.cause = Some("no answer".into());
        }
        out.push(r);
    }
    out
}

/// SMS, LMS and MMS unit prices of the demo company, in tenths of a won
/// (9.9원, 29원, 60원: common Korean business rates).
const DEMO_RATES: (i64, i64, i64) = (99, 290, 600);

/// The demo's hunt group: the employees, in turn (round robin).
async fn ensure_group(
    app: &App,
    tenant: &TenantId,
    members: &[domain::AccountId],
) -> Result<DemoGroup, AppError> {
    let existing = crate::hunt::list(app, tenant)
        .await
        .map_err(|f| AppError::Invalid(f.message))?
        .into_iter()
        .find(|g| {
            g.extension
                .is_some_and(|e| e.as_str() == DEMO_GROUP_EXTENSION)
        });
    let g = match existing {
        Some(g) => g,
        None => crate::hunt::create(
            app,
            tenant,
            &crate::hunt::GroupForm {
                name: "상담팀".into(),
                extension: Some(DEMO_GROUP_EXTENSION.into()),
                strategy: Some("rrmemory".into()),
                members: members
                    .iter()
                    .map(|a| crate::hunt::MemberForm {
                        account: a.to_string(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            },
        )
        .await
        .map_err(|f| AppError::Invalid(f.message))?,
    };
    Ok(DemoGroup {
        id: g.id.to_string(),
        name: g.name.clone(),
        extension: DEMO_GROUP_EXTENSION.into(),
        strategy: g.strategy.as_str().into(),
    })
}

/// The demo's ARS on the 대표번호: a welcome, then 1 → the hunt group,
/// 2 → the first employee, 0 → a callback request, 9 → an extension the
/// caller keys in; silence or wrong keys twice more, and it says goodbye.
async fn ensure_ivr(
    app: &App,
    tenant: &TenantId,
    group: &DemoGroup,
    user: &domain::AccountId,
    user_name: &str,
) -> Result<DemoIvr, AppError> {
    use domain::ivr::{Action, Destination, MenuOption, Node, Prompt};
    let keys = vec![
        format!("1: {} ({})", group.name, group.extension),
        format!("2: {user_name}"),
        "0: 콜백 요청".to_owned(),
        "9: 내선 번호 입력".to_owned(),
    ];
    let existing = crate::ivr::list(app, tenant)
        .await
        .map_err(|f| AppError::Invalid(f.message))?
        .into_iter()
        .find(|s| s.numbers.iter().any(|n| n.display() == DEMO_REPRESENTATIVE));
    let s = match existing {
        Some(s) => s,
        None => {
            let say = |t: &str| Prompt::Tts { text: t.into() };
            let node = |id: &str, label: &str, action| Node {
                id: id.into(),
                label: Some(label.into()),
                action,
            };
            let route = |to| Action::Route { to };
            let group_id = domain::HuntGroupId::parse(&group.id)
                .map_err(|e| AppError::Invalid(e.to_string()))?;
            let nodes = vec![
                node(
                    "welcome",
                    "인사말",
                    Action::Play {
                        prompt: say("안녕하세요, 데모 회사입니다."),
                        next: "main".into(),
                    },
                ),
                node(
                    "main",
                    "주 메뉴",
                    Action::Menu {
                        prompt: say(&format!(
                            "상담원 연결은 1번, {user_name} 님은 2번, 콜백 요청은 0번, 내선 번호를 아시면 9번을 눌러 주세요."
                        )),
                        options: [
                            ('1', "team"),
                            ('2', "user"),
                            ('0', "callback"),
                            ('9', "extension"),
                        ]
                        .into_iter()
                        .map(|(key, next)| MenuOption {
                            key,
                            next: next.into(),
                        })
                        .collect(),
                        timeout_secs: 5,
                        retries: 2,
                        invalid: Some(say("잘못 누르셨습니다.")),
                        fallback: "bye".into(),
                    },
                ),
                node(
                    "team",
                    &group.name,
                    route(Destination::Group { group: group_id }),
                ),
                node(
                    "user",
                    user_name,
                    route(Destination::User {
                        account: user.clone(),
                    }),
                ),
                node("callback", "콜백 요청", route(Destination::Callback)),
                node(
                    "extension",
                    "내선 연결",
                    Action::Collect {
                        prompt: say("내선 번호를 누른 뒤 우물 정자를 눌러 주세요."),
                        max_digits: 4,
                        timeout_secs: 5,
                        retries: 2,
                        invalid: Some(say("없는 내선 번호입니다.")),
                        fallback: "bye".into(),
                    },
                ),
                node(
                    "bye",
                    "종료",
                    Action::HangUp {
                        prompt: Some(say("전화해 주셔서 감사합니다. 안녕히 계세요.")),
                    },
                ),
            ];
            crate::ivr::create(
                app,
                tenant,
                &crate::ivr::ScenarioForm {
                    name: "대표번호 안내".into(),
                    numbers: vec![DEMO_REPRESENTATIVE.into()],
                    start: "welcome".into(),
                    nodes,
                },
            )
            .await
            .map_err(|f| AppError::Invalid(f.message))?
        }
    };
    Ok(DemoIvr {
        id: s.id.to_string(),
        name: s.name,
        number: DEMO_REPRESENTATIVE.into(),
        keys,
    })
}

async fn ensure_admin(
    app: &App,
    tenant: &str,
    admin: &DemoLogin,
) -> Result<domain::Account, AppError> {
    let parsed = Email::parse(&admin.email).map_err(|e| AppError::Invalid(e.to_string()))?;
    if let Some(a) = accounts::find_by_email(&*app.store, &parsed).await? {
        return Ok(a);
    }
    let (account, _) = operator::create_admin(
        app,
        tenant,
        &admin.name,
        &admin.email,
        Some(admin.password.clone()),
    )
    .await?;
    Ok(account)
}

/// A demo employee: an active member with SIP credentials and a confirmed
/// portal login.
async fn ensure_user(
    app: &App,
    tenant: &TenantId,
    u: &DemoUser,
) -> Result<domain::Account, AppError> {
    let email = Email::parse(&u.email).map_err(|e| AppError::Invalid(e.to_string()))?;
    if let Some(a) = accounts::find_by_email(&*app.store, &email).await? {
        return Ok(a);
    }
    let created = crate::admin::create_member(
        app,
        tenant,
        crate::admin::NewMember {
            name: u.name.clone(),
            mobile: Some(u.mobile.clone()),
            extension: Some(u.extension.clone()),
            status: Some(AccountStatus::Active),
            role: Some(Role::User),
            sip_password: Some(u.sip_password.clone()),
            department: Some("영업팀".into()),
            position: Some("사원".into()),
            ..Default::default()
        },
    )
    .await
    .map_err(|f| AppError::Invalid(f.message))?;
    let hash = password::hash(&u.password).map_err(AppError::Invalid)?;
    Ok(accounts::set_login(&*app.store, &created.account, &email, &hash).await?)
}
