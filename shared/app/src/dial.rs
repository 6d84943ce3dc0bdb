//! Click-to-call (T6): a user's phones ring first; when the user answers,
//! the edge dials the target (an extension, a 070 number, or outside
//! through the trunk, with the user's own permissions) and bridges them.
//!
//! The order goes to the edge where the user's phone is registered (a
//! command queue: `store::repo::originations`); the answer names the call
//! id its record and events will carry, so progress arrives as call events
//! (`call.ringing`, `call.answered`, `call.ended` with the disposition and
//! cause: the user did not answer, the target was busy...). What can be
//! known before ringing anyone is refused at once: an unknown or suspended
//! user, a user without a registered phone, a target that is not a number,
//! a number the user may not call.

use domain::dialplan::{DialError, Dialled};
use domain::{Account, AccountId, AccountStatus, Extension, TenantId};
use serde::{Deserialize, Serialize};
use store::repo::{accounts, originations};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DialForm {
    /// The user whose phones ring first: an account id or an extension.
    pub user: String,
    /// Who they are connected to: an extension or a phone number.
    pub target: String,
}

/// A call that has been ordered.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Placed {
    /// The call's id in events, `/v1/calls/{id}` and the history.
    pub call_id: String,
    pub user: AccountId,
    pub target: String,
    /// `ringing_user`: the user's phones ring now (within half a second).
    pub status: &'static str,
}

async fn user_of(app: &App, t: &TenantId, raw: &str) -> Outcome<Account> {
    let raw = raw.trim();
    let unknown = || {
        Fail::bad(
            "user",
            "user",
            "이 회사의 사용자가 아닙니다 (계정 id 또는 내선번호)",
        )
    };
    let found = if let Ok(ext) = Extension::parse(raw) {
        accounts::all(&*app.store, t)
            .await?
            .into_iter()
            .find(|a| a.extension == Some(ext))
    } else {
        let id = AccountId::parse(raw).map_err(|_| unknown())?;
        accounts::get(&*app.store, t, &id).await?
    };
    let a = found.ok_or_else(unknown)?;
    if a.status != AccountStatus::Active {
        return Err(Fail::new(
            FailKind::Conflict,
            "user_suspended",
            "정지된 사용자입니다",
        ));
    }
    Ok(a)
}

fn target_of(a: &Account, raw: &str) -> Outcome<Dialled> {
    let d = Dialled::parse(raw).map_err(|e| {
        let why = match e {
            DialError::Empty => "연결할 번호를 입력해 주세요".to_owned(),
            other => format!("연결할 번호가 올바르지 않습니다: {other}"),
        };
        Fail::bad("target", "target", why)
    })?;
    let outside = !matches!(d, Dialled::Extension(_));
    let abroad = matches!(d, Dialled::International(_));
    if (outside && !a.permissions.outbound) || (abroad && !a.permissions.international) {
        return Err(Fail::new(
            FailKind::Forbidden,
            "not_permitted",
            if abroad {
                "이 사용자는 국제전화를 걸 수 없습니다"
            } else {
                "이 사용자는 외부로 전화를 걸 수 없습니다"
            },
        ));
    }
    Ok(d)
}

fn dial_string(d: &Dialled) -> String {
    match d {
        Dialled::Extension(e) => e.to_string(),
        Dialled::National(n) => originations::dial_string(n),
        Dialled::International(i) => i.e164(),
    }
}

/// Orders the call: `user`'s phones ring, then `target` is dialled.
pub async fn click_to_call(app: &App, t: &TenantId, f: &DialForm) -> Outcome<Placed> {
    let user = user_of(app, t, &f.user).await?;
    call_as(app, t, &user, &f.target).await
}

/// As [`click_to_call`] for a user already known (the portal's 통화 button).
pub async fn call_as(app: &App, t: &TenantId, user: &Account, target: &str) -> Outcome<Placed> {
    let dialled = target_of(user, target)?;
    let edge = crate::callbacks::phone_edge(app, t, &user.id).await?;
    let now = store::now_epoch_ms();
    let call_id = domain::call::new_id(now);
    let dial = dial_string(&dialled);
    let order = originations::Origination {
        tenant: t.clone(),
        agent: user.id.clone(),
        dial: dial.clone(),
        display: target.trim().to_owned(),
        callback: None,
        ordered_ms: now,
        call_id: Some(call_id.clone()),
    };
    originations::order(&*app.store, &edge, &order).await?;
    Ok(Placed {
        call_id,
        user: user.id.clone(),
        target: dial,
        status: "ringing_user",
    })
}
