//! ARS 설정 (T4): the tenant's IVR scenarios. The domain checks the graph
//! ([`Scenario::validate`]); here, that each number is the tenant's (its
//! 대표번호 or one of its 070 numbers) and answers no other scenario, and
//! that every user and hunt group a scenario routes to exists. Every
//! refusal has a stable code and a Korean message naming the step; an
//! invalid scenario changes nothing.

use domain::ivr::{Action, Destination, IvrError, Node, Scenario};
use domain::{IvrId, PhoneNumber, TenantId};
use serde::{Deserialize, Serialize};
use store::repo::{RepoError, accounts, hunt_groups, inbox, ivr};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

/// A scenario as the editor or the API sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScenarioForm {
    pub name: String,
    pub numbers: Vec<String>,
    pub start: String,
    pub nodes: Vec<Node>,
}

/// The Korean words for a graph problem, naming the step.
pub fn message(e: &IvrError) -> String {
    match e {
        IvrError::Name => "시나리오 이름을 1~60자로 입력해 주세요".into(),
        IvrError::NodeCount => "단계는 1~100개여야 합니다".into(),
        IvrError::NodeId(n) => {
            format!("단계 이름 {n:?}: 영문 소문자, 숫자, -, _ 로 1~32자여야 합니다")
        }
        IvrError::DuplicateNode(n) => format!("단계 {n}: 같은 이름의 단계가 두 번 있습니다"),
        IvrError::NoStart(n) => format!("시작 단계 {n}: 그런 단계가 없습니다"),
        IvrError::UnknownTarget { from, to } => {
            format!("단계 {from}: 다음 단계 {to}가 없습니다")
        }
        IvrError::Unreachable(n) => format!("단계 {n}: 시작에서 이 단계로 가는 길이 없습니다"),
        IvrError::DeadEnd(n) => {
            format!("단계 {n}: 여기서는 전화를 연결하거나 끊을 방법이 없습니다")
        }
        IvrError::EndlessLoop(v) => format!(
            "단계 {}: 고객의 입력 없이 끝없이 반복됩니다 (메뉴나 번호 입력을 거치게 해 주세요)",
            v.join(", ")
        ),
        IvrError::EmptyMenu(n) => format!("메뉴 {n}: 버튼이 하나도 없습니다"),
        IvrError::MenuKey { node, key } => {
            format!("메뉴 {node}: 버튼 {key:?}은 쓸 수 없거나 두 번 쓰였습니다")
        }
        IvrError::Timeout(n) => format!("단계 {n}: 대기 시간은 1~30초여야 합니다"),
        IvrError::Retries(n) => format!("단계 {n}: 다시 묻기는 최대 5번입니다"),
        IvrError::Digits(n) => format!("단계 {n}: 받을 자릿수는 1~16자리여야 합니다"),
        IvrError::Prompt(n) => {
            format!("단계 {n}: 안내 문구(1~500자)나 음원 파일이 필요합니다")
        }
        IvrError::Hours(n) => format!("단계 {n}: 업무시간 설정이 올바르지 않습니다"),
    }
}

fn no_such_scenario() -> Fail {
    Fail::not_found("ARS 시나리오를 찾을 수 없습니다")
}

fn missing(node: &str, what: &str) -> Fail {
    Fail::bad(
        "ivr_destination",
        "nodes",
        format!("단계 {node}: 연결할 {what}이(가) 이 회사에 없습니다"),
    )
}

async fn check_destinations(app: &App, t: &TenantId, s: &Scenario) -> Outcome<()> {
    for n in &s.nodes {
        let Action::Route { to } = &n.action else {
            continue;
        };
        match to {
            Destination::User { account: a } | Destination::Voicemail { account: a } => {
                if accounts::get(&*app.store, t, a).await?.is_none() {
                    return Err(missing(&n.id, "사용자"));
                }
            }
            Destination::Group { group } => {
                if hunt_groups::get(&*app.store, t, group).await?.is_none() {
                    return Err(missing(&n.id, "착신그룹"));
                }
            }
            Destination::Callback | Destination::Outside { .. } => {}
        }
    }
    Ok(())
}

/// Where an uploaded prompt recording is kept (converted to an 8 kHz
/// WAV); None for an id no upload could have.
pub fn prompt_key(t: &TenantId, id: &str) -> Option<blobs::BlobKey> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then(|| blobs::BlobKey::parse(&format!("ivr-prompts/{t}/{id}.wav")).ok())
        .flatten()
}

/// The numbers, each the tenant's own.
async fn numbers(app: &App, t: &TenantId, raw: &[String]) -> Outcome<Vec<PhoneNumber>> {
    let tenant = crate::admin::tenant(app, t).await?;
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let bad = |why: &str| Fail::bad("ivr_number", "numbers", format!("번호 {r}: {why}"));
        let n = PhoneNumber::parse(r).map_err(|_| bad("전화번호 형식이 아닙니다"))?;
        let ours = tenant.representative_number.as_ref() == Some(&n)
            || inbox::owner_of(&*app.store, &app.region, &n)
                .await?
                .is_some_and(|(owner, _)| owner == *t);
        if !ours {
            return Err(bad("이 회사의 대표번호나 070 번호가 아닙니다"));
        }
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

async fn build(
    app: &App,
    t: &TenantId,
    id: IvrId,
    f: &ScenarioForm,
    created_at: Option<i64>,
) -> Outcome<Scenario> {
    let s = Scenario {
        tenant: t.clone(),
        id,
        name: f.name.trim().to_owned(),
        numbers: numbers(app, t, &f.numbers).await?,
        start: f.start.trim().to_owned(),
        nodes: f.nodes.clone(),
        created_at: created_at.unwrap_or_else(store::now_epoch_seconds),
    };
    s.validate()
        .map_err(|e| Fail::bad(e.code(), "nodes", message(&e)))?;
    check_destinations(app, t, &s).await?;
    Ok(s)
}

fn number_taken(e: RepoError) -> Fail {
    match e {
        RepoError::NumberNotFree(n) => Fail {
            field: Some("numbers"),
            ..Fail::new(
                FailKind::Conflict,
                "ivr_number_taken",
                format!("번호 {n}: 이미 다른 ARS 시나리오가 받고 있습니다"),
            )
        },
        RepoError::Stale => Fail::new(
            FailKind::Conflict,
            "stale",
            "그사이 다른 사람이 이 시나리오를 바꿨습니다. 새로고침 후 다시 시도해 주세요",
        ),
        e => e.into(),
    }
}

pub async fn create(app: &App, t: &TenantId, f: &ScenarioForm) -> Outcome<Scenario> {
    let s = build(app, t, IvrId::generate(), f, None).await?;
    ivr::create(&*app.store, &s).await.map_err(number_taken)?;
    Ok(s)
}

pub async fn get(app: &App, t: &TenantId, id: &str) -> Outcome<Scenario> {
    let id = IvrId::parse(id).map_err(|_| no_such_scenario())?;
    ivr::get(&*app.store, t, &id)
        .await?
        .ok_or_else(no_such_scenario)
}

pub async fn list(app: &App, t: &TenantId) -> Outcome<Vec<Scenario>> {
    Ok(ivr::all(&*app.store, t).await?)
}

pub async fn update(app: &App, t: &TenantId, id: &str, f: &ScenarioForm) -> Outcome<Scenario> {
    let before = get(app, t, id).await?;
    let after = build(app, t, before.id.clone(), f, Some(before.created_at)).await?;
    ivr::update(&*app.store, &before, &after)
        .await
        .map_err(number_taken)?;
    Ok(after)
}

pub async fn delete(app: &App, t: &TenantId, id: &str) -> Outcome<()> {
    let s = get(app, t, id).await?;
    ivr::delete(&*app.store, &s).await.map_err(number_taken)
}
