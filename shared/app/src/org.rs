//! 조직도 (A5, C5): the department tree with its members, employee search,
//! and placing one member (부서원 추가/수정).

use domain::{Account, Department, PhoneNumber, TenantId, org};
use serde::Serialize;
use store::repo::{accounts, departments};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

/// A member as the org chart shows one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = OrgMember))]
pub struct Member {
    pub account_id: String,
    pub name: String,
    pub department: Option<String>,
    pub position: Option<String>,
    pub extension: Option<String>,
    pub number: Option<String>,
    pub mobile: Option<String>,
}

impl From<&Account> for Member {
    fn from(a: &Account) -> Self {
        let n = |p: &Option<PhoneNumber>| p.as_ref().map(ToString::to_string);
        Self {
            account_id: a.id.to_string(),
            name: a.name.clone(),
            department: a.department.clone(),
            position: a.position.clone(),
            extension: a.extension.map(|e| e.to_string()),
            number: n(&a.number),
            mobile: n(&a.mobile),
        }
    }
}

/// A department with its members and sub-departments (C5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgNode {
    pub name: String,
    pub members: Vec<Member>,
    #[serde(rename = "departments")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub children: Vec<OrgNode>,
}

/// The whole chart: the company at the root, members without a department
/// directly under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgChart {
    pub company: String,
    pub members: Vec<Member>,
    pub departments: Vec<OrgNode>,
}

pub async fn chart(app: &App, t: &TenantId) -> Outcome<OrgChart> {
    let tenant = crate::admin::tenant(app, t).await?;
    let depts = departments::all(&*app.store, t).await?;
    let people = accounts::all(&*app.store, t).await?;
    let known: std::collections::HashSet<&str> = depts.iter().map(|d| d.name.as_str()).collect();
    let members_of = |dept: Option<&str>| -> Vec<Member> {
        let mut v: Vec<Member> = people
            .iter()
            .filter(|a| match (dept, a.department.as_deref()) {
                (None, None) => true,
                // Someone whose department no longer exists shows at the root.
                (None, Some(d)) => !known.contains(d),
                (Some(x), Some(d)) => x == d,
                (Some(_), None) => false,
            })
            .map(Member::from)
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    };
    fn attach(
        nodes: Vec<org::Node>,
        members_of: &dyn Fn(Option<&str>) -> Vec<Member>,
    ) -> Vec<OrgNode> {
        nodes
            .into_iter()
            .map(|n| OrgNode {
                members: members_of(Some(&n.name)),
                children: attach(n.children, members_of),
                name: n.name,
            })
            .collect()
    }
    Ok(OrgChart {
        company: tenant.name,
        members: members_of(None),
        departments: attach(org::tree(&depts), &members_of),
    })
}

pub async fn departments(app: &App, t: &TenantId) -> Outcome<Vec<Department>> {
    Ok(departments::all(&*app.store, t).await?)
}

/// Members of one department (the panel shown when a department is clicked).
pub async fn members(app: &App, t: &TenantId, department: &str) -> Outcome<Vec<Member>> {
    let mut v: Vec<Member> = accounts::all(&*app.store, t)
        .await?
        .iter()
        .filter(|a| a.department.as_deref() == Some(department))
        .map(Member::from)
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(v)
}

/// 직원검색: by name, paged.
pub async fn search(
    app: &App,
    t: &TenantId,
    name: &str,
    page: usize,
    per_page: usize,
) -> Outcome<(Vec<Member>, usize, usize)> {
    let q = name.trim().to_lowercase();
    let mut v: Vec<Member> = accounts::all(&*app.store, t)
        .await?
        .iter()
        .filter(|a| q.is_empty() || a.name.to_lowercase().contains(&q))
        .map(Member::from)
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    let per_page = per_page.clamp(1, 100);
    let pages = v.len().div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    Ok((
        v.into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect(),
        page,
        pages,
    ))
}

/// Resolves a department name: the existing department, or a new one to
/// create under `parent` together with the change that uses it.
pub async fn resolve_department(
    app: &App,
    t: &TenantId,
    name: &str,
    parent: Option<&str>,
) -> Outcome<(String, Option<Department>)> {
    let name = org::parse_department_name(name).map_err(|e| {
        Fail::bad(
            "invalid_department",
            "department",
            crate::labels::org_error(&e),
        )
    })?;
    let all = departments::all(&*app.store, t).await?;
    if all.iter().any(|d| d.name == name) {
        return Ok((name, None));
    }
    let parent = parent
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    if parent.as_deref() == Some(name.as_str()) {
        return Err(Fail::bad(
            "department_cycle",
            "parent",
            "상위 부서를 자기 자신으로 지정할 수 없습니다",
        ));
    }
    if let Some(p) = &parent
        && !all.iter().any(|d| &d.name == p)
    {
        return Err(Fail::bad(
            "no_such_department",
            "parent",
            format!("상위 부서를 찾을 수 없습니다: {p}"),
        ));
    }
    Ok((name.clone(), Some(Department { name, parent })))
}

/// 부서원 추가/수정: places a member in a department (created under `parent`
/// when new) with a position and extension (the U2 rules).
pub async fn place_member(
    app: &App,
    t: &TenantId,
    account_id: &str,
    parent: Option<&str>,
    department: &str,
    position: Option<String>,
    extension: Option<&str>,
) -> Outcome<Account> {
    let a = crate::admin::account(app, t, account_id).await?;
    crate::admin::update_profile_in(
        app,
        t,
        &a.id,
        Some(department.to_owned()),
        parent,
        position,
        extension,
    )
    .await
}

/// Removes an empty department (no members, no sub-departments).
pub async fn delete_department(app: &App, t: &TenantId, name: &str) -> Outcome<()> {
    let all = departments::all(&*app.store, t).await?;
    if all.iter().any(|d| d.parent.as_deref() == Some(name)) {
        return Err(Fail::new(
            FailKind::Conflict,
            "department_not_empty",
            "하위 부서가 있는 부서는 삭제할 수 없습니다",
        ));
    }
    if !members(app, t, name).await?.is_empty() {
        return Err(Fail::new(
            FailKind::Conflict,
            "department_not_empty",
            "부서원이 있는 부서는 삭제할 수 없습니다",
        ));
    }
    Ok(departments::delete(&*app.store, t, name).await?)
}
