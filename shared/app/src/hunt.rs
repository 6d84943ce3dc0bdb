//! 착신그룹 (T11): the hunt groups an admin sets up. What the domain can
//! check alone ([`HuntGroup::validate`]) is checked there; here, that every
//! member and overflow target exists in the tenant, and that the extension
//! is free (the table's marker). An invalid form changes nothing.

use domain::hunt::{HuntGroup, HuntGroupError, Member, Overflow, Strategy};
use domain::{AccountId, HuntGroupId, TenantId};
use serde::{Deserialize, Serialize};
use store::repo::{accounts, hunt_groups};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

pub const DEFAULT_RING_TIMEOUT_SECS: u32 = 20;
pub const DEFAULT_MAX_WAIT_SECS: u32 = 120;
pub const DEFAULT_MAX_CALLERS: u32 = 20;

/// A member as the form or the API gives it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct MemberForm {
    pub account: String,
    pub penalty: u32,
    pub ring_timeout_secs: Option<u32>,
}

/// A group's settings as the form or the API gives them; what is left out
/// takes its default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct GroupForm {
    pub name: String,
    pub extension: Option<String>,
    pub strategy: Option<String>,
    pub members: Vec<MemberForm>,
    pub ring_timeout_secs: Option<u32>,
    pub wrapup_secs: Option<u32>,
    pub max_wait_secs: Option<u32>,
    pub max_callers: Option<u32>,
    pub overflow: Option<Overflow>,
}

fn domain_fail(e: &HuntGroupError) -> Fail {
    let (field, message) = match e {
        HuntGroupError::Name => ("name", "그룹 이름을 1~60자로 입력해 주세요".to_owned()),
        HuntGroupError::TooManyMembers => (
            "members",
            "구성원은 최대 100명까지 넣을 수 있습니다".to_owned(),
        ),
        HuntGroupError::DuplicateMember(_) => {
            ("members", "같은 사용자가 두 번 들어 있습니다".to_owned())
        }
        HuntGroupError::Penalty(_) => (
            "members",
            "우선순위(페널티)는 0~100 사이여야 합니다".to_owned(),
        ),
        HuntGroupError::RingTimeout => (
            "ring_timeout_secs",
            "호출 시간은 5~300초 사이여야 합니다".to_owned(),
        ),
        HuntGroupError::Wrapup => (
            "wrapup_secs",
            "후처리 시간은 0~3600초 사이여야 합니다".to_owned(),
        ),
        HuntGroupError::MaxWait => (
            "max_wait_secs",
            "최대 대기 시간은 0~7200초 사이여야 합니다".to_owned(),
        ),
        HuntGroupError::MaxCallers => (
            "max_callers",
            "최대 대기 인원은 0~500명 사이여야 합니다".to_owned(),
        ),
        HuntGroupError::OverflowToItself => (
            "overflow",
            "넘침 대상으로 이 그룹 자신을 고를 수 없습니다".to_owned(),
        ),
    };
    Fail::bad(e.code(), field, message)
}

fn no_such_group() -> Fail {
    Fail::not_found("착신그룹을 찾을 수 없습니다")
}

fn group_id(id: &str) -> Outcome<HuntGroupId> {
    HuntGroupId::parse(id).map_err(|_| no_such_group())
}

async fn member_exists(app: &App, t: &TenantId, raw: &str) -> Outcome<AccountId> {
    let missing = || {
        Fail::bad(
            "hunt_group_member",
            "members",
            format!("구성원 {raw}: 이 회사에 없는 사용자입니다"),
        )
    };
    let a = AccountId::parse(raw.trim()).map_err(|_| missing())?;
    match accounts::get(&*app.store, t, &a).await? {
        Some(_) => Ok(a),
        None => Err(missing()),
    }
}

/// Builds the group the form describes (`before` is the stored one when
/// editing: members who stay keep when they joined).
async fn build(
    app: &App,
    t: &TenantId,
    id: HuntGroupId,
    form: &GroupForm,
    before: Option<&HuntGroup>,
) -> Outcome<HuntGroup> {
    let now = store::now_epoch_seconds();
    let strategy = match form.strategy.as_deref().map(str::trim) {
        None | Some("") => before.map_or(Strategy::RingAll, |b| b.strategy),
        Some(code) => Strategy::parse(code).ok_or_else(|| {
            Fail::bad(
                "hunt_group_strategy",
                "strategy",
                "분배 방식은 ringall, linear, rrmemory, rrordered, leastrecent, fewestcalls, random, wrandom 중 하나입니다",
            )
        })?,
    };
    let mut members = Vec::with_capacity(form.members.len());
    for m in &form.members {
        let account = member_exists(app, t, &m.account).await?;
        let joined = before
            .and_then(|b| b.members.iter().find(|o| o.account == account))
            .map_or(now, |o| o.joined);
        members.push(Member {
            account,
            penalty: m.penalty,
            ring_timeout_secs: m.ring_timeout_secs,
            joined,
        });
    }
    let overflow = form
        .overflow
        .clone()
        .or_else(|| before.map(|b| b.overflow.clone()))
        .unwrap_or(Overflow::Hangup);
    match &overflow {
        Overflow::Voicemail { account } => {
            member_exists(app, t, account.as_str()).await.map_err(|_| {
                Fail::bad(
                    "hunt_group_overflow",
                    "overflow",
                    "넘침 대상 음성사서함의 사용자가 없습니다",
                )
            })?;
        }
        Overflow::Group { group }
            if *group != id && hunt_groups::get(&*app.store, t, group).await?.is_none() =>
        {
            return Err(Fail::bad(
                "hunt_group_overflow",
                "overflow",
                "넘침 대상 착신그룹이 없습니다",
            ));
        }
        _ => {}
    }
    let g = HuntGroup {
        tenant: t.clone(),
        id,
        name: form.name.trim().to_owned(),
        extension: crate::admin::parse_extension(form.extension.as_deref())?,
        strategy,
        members,
        ring_timeout_secs: form
            .ring_timeout_secs
            .or(before.map(|b| b.ring_timeout_secs))
            .unwrap_or(DEFAULT_RING_TIMEOUT_SECS),
        wrapup_secs: form
            .wrapup_secs
            .or(before.map(|b| b.wrapup_secs))
            .unwrap_or(0),
        max_wait_secs: form
            .max_wait_secs
            .or(before.map(|b| b.max_wait_secs))
            .unwrap_or(DEFAULT_MAX_WAIT_SECS),
        max_callers: form
            .max_callers
            .or(before.map(|b| b.max_callers))
            .unwrap_or(DEFAULT_MAX_CALLERS),
        overflow,
        created_at: before.map_or(now, |b| b.created_at),
    };
    g.validate().map_err(|e| domain_fail(&e))?;
    Ok(g)
}

pub async fn create(app: &App, t: &TenantId, form: &GroupForm) -> Outcome<HuntGroup> {
    crate::admin::tenant(app, t).await?;
    let g = build(app, t, HuntGroupId::generate(), form, None).await?;
    hunt_groups::create(&*app.store, &g).await?;
    Ok(g)
}

pub async fn get(app: &App, t: &TenantId, id: &str) -> Outcome<HuntGroup> {
    hunt_groups::get(&*app.store, t, &group_id(id)?)
        .await?
        .ok_or_else(no_such_group)
}

pub async fn list(app: &App, t: &TenantId) -> Outcome<Vec<HuntGroup>> {
    Ok(hunt_groups::all(&*app.store, t).await?)
}

/// Replaces the group's settings with the form's (the whole group: members
/// left out are removed).
pub async fn update(app: &App, t: &TenantId, id: &str, form: &GroupForm) -> Outcome<HuntGroup> {
    let before = get(app, t, id).await?;
    let after = build(app, t, before.id.clone(), form, Some(&before)).await?;
    hunt_groups::update(&*app.store, &before, &after)
        .await
        .map_err(|e| match e {
            store::repo::RepoError::Stale => Fail::new(
                FailKind::Conflict,
                "stale",
                "그사이 다른 사람이 이 그룹을 바꿨습니다. 새로고침 후 다시 시도해 주세요",
            ),
            e => e.into(),
        })?;
    Ok(after)
}

/// Pauses or resumes a member's group calls (the member stays in the group).
pub async fn set_paused(
    app: &App,
    t: &TenantId,
    id: &str,
    member: &str,
    paused: bool,
) -> Outcome<()> {
    let g = get(app, t, id).await?;
    let m = g
        .members
        .iter()
        .find(|m| m.account.as_str() == member)
        .ok_or_else(|| Fail::not_found("이 착신그룹의 구성원이 아닙니다"))?;
    hunt_groups::set_paused(&*app.store, &g, &m.account, paused).await?;
    Ok(())
}

/// Which members of the group are paused now.
pub async fn paused(app: &App, g: &HuntGroup) -> Outcome<Vec<AccountId>> {
    let s = hunt_groups::state(&*app.store, &g.tenant, &g.id).await?;
    Ok(g.members
        .iter()
        .filter(|m| s.members.get(&m.account).is_some_and(|x| x.paused))
        .map(|m| m.account.clone())
        .collect())
}

pub async fn delete(app: &App, t: &TenantId, id: &str) -> Outcome<()> {
    let g = get(app, t, id).await?;
    hunt_groups::delete(&*app.store, &g).await?;
    Ok(())
}

#[cfg(test)]
mod tests;
