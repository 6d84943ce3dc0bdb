//! Call statistics (T2): counted as calls end ([`aggregate`]), read back
//! for a period in the company's time zone ([`report`]), by hour, day or
//! month, for the company or one user, number or hunt group, with a
//! breakdown per user, number, group and ARS option.

pub mod aggregate;
pub mod export;
pub mod plan;

use std::collections::{BTreeMap, HashMap};

use domain::calendar::{Date, TimeZone};
use domain::stats::{Bucket, Counters, Dim, Flow, Grain, total};
use domain::{AccountId, HuntGroupId, PhoneNumber, TenantId};
use serde::{Deserialize, Serialize};
use store::repo::stats as repo;

use crate::{App, Fail, Outcome};
pub use aggregate::Aggregator;
use plan::{Period, Planner};
pub use store::repo::stats::Applied;

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 366;
/// The longest period shown by the hour.
pub const MAX_HOUR_DAYS: i64 = 31;

/// A report's question as typed (query string or form); every field optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(default)]
pub struct StatsForm {
    /// First day (YYYY-MM-DD, the company's time zone); default: the 1st of this month.
    pub from: Option<String>,
    /// Last day, included; default: today.
    pub to: Option<String>,
    /// `hour`, `day` (default) or `month`.
    pub grain: Option<String>,
    /// `inbound`, `outbound` or `internal`; default: all.
    pub flow: Option<String>,
    /// Only this user (account id)...
    pub user: Option<String>,
    /// ...or the user or hunt group with this extension...
    pub extension: Option<String>,
    /// ...or this company number (070)...
    pub line: Option<String>,
    /// ...or this hunt group (id).
    pub group: Option<String>,
}

/// A report's question, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub period: Period,
    pub grain: Grain,
    pub flow: Option<Flow>,
    pub dim: Dim,
}

/// Counters with their averages, as reports show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub calls: i64,
    pub answered: i64,
    pub missed: i64,
    pub voicemail: i64,
    pub abandoned: i64,
    pub ivr: i64,
    pub callback: i64,
    pub talk_ms: i64,
    pub talk_avg_ms: i64,
    pub talk_max_ms: i64,
    /// Average time to answer (calls answered without a queue).
    pub ring_avg_ms: i64,
    pub queued: i64,
    /// Average wait in a queue (answered or given up).
    pub queue_avg_ms: i64,
}

impl From<Counters> for Figures {
    fn from(c: Counters) -> Self {
        Self {
            calls: c.calls,
            answered: c.answered,
            missed: c.missed,
            voicemail: c.voicemail,
            abandoned: c.abandoned,
            ivr: c.ivr,
            callback: c.callback,
            talk_ms: c.talk_ms,
            talk_avg_ms: c.talk_avg_ms(),
            talk_max_ms: c.talk_max_ms,
            ring_avg_ms: c.ring_avg_ms(),
            queued: c.queued,
            queue_avg_ms: c.queue_avg_ms(),
        }
    }
}

/// One point of a report's series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Point {
    /// `2026-12-01`, `2026-12`, or `2026-12-01 09:00` (local).
    pub label: String,
    pub start_ms: i64,
    pub figures: Figures,
}

/// One row of a breakdown: a user, number, group or ARS option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Row {
    /// The account id, the number's digits, the group id, or
    /// `<scenario>/<node>/<choice>`.
    pub id: String,
    /// The name as people know it (name and extension, the number...).
    pub label: String,
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub time_zone: String,
    pub from: String,
    pub to: String,
    pub grain: Grain,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<Flow>,
    /// What the total and the series are about: `tenant`, or the user,
    /// number or group filtered on.
    pub subject: Row,
    pub points: Vec<Point>,
    pub users: Vec<Row>,
    pub lines: Vec<Row>,
    pub groups: Vec<Row>,
    pub options: Vec<Row>,
}

/// A question that cannot be read as asked (a date, a unit, a period).
fn bad(code: &'static str, field: &'static str, message: &str) -> Fail {
    Fail::malformed(code, field, message)
}

/// A subject that does not exist.
fn unknown(code: &'static str, field: &'static str, message: &str) -> Fail {
    Fail::bad(code, field, message)
}

fn date(s: Option<&str>, field: &'static str, default: Date) -> Outcome<Date> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => Date::parse(s).map_err(|_| {
            bad(
                "invalid_date",
                field,
                "날짜는 YYYY-MM-DD 형식으로 입력해 주세요",
            )
        }),
    }
}

fn some(s: Option<&String>) -> Option<&str> {
    s.map(|s| s.trim()).filter(|s| !s.is_empty())
}

impl Question {
    /// Reads a form; `today` is the company's today (the default period
    /// is this month so far).
    pub async fn read(app: &App, t: &TenantId, f: &StatsForm, today: Date) -> Outcome<Self> {
        let month_start = Date::new(today.year(), today.month(), 1).unwrap_or(today);
        let from = date(f.from.as_deref(), "from", month_start)?;
        let to = date(f.to.as_deref(), "to", today)?;
        if to < from {
            return Err(bad(
                "invalid_period",
                "to",
                "끝 날짜가 시작 날짜보다 앞설 수 없습니다",
            ));
        }
        let period = Period { from, to };
        let grain = match some(f.grain.as_ref()) {
            None => Grain::Day,
            Some(g) => Grain::parse(g).ok_or_else(|| {
                bad(
                    "invalid_grain",
                    "grain",
                    "단위는 hour, day, month 중 하나입니다",
                )
            })?,
        };
        if period.len_days() > MAX_DAYS {
            return Err(bad(
                "period_too_long",
                "to",
                "기간은 366일까지 조회할 수 있습니다",
            ));
        }
        if grain == Grain::Hour && period.len_days() > MAX_HOUR_DAYS {
            return Err(bad(
                "period_too_long",
                "grain",
                "시간별 통계는 31일까지 조회할 수 있습니다",
            ));
        }
        let flow = match some(f.flow.as_ref()) {
            None => None,
            Some(x) => Some(Flow::parse(x).ok_or_else(|| {
                bad(
                    "invalid_flow",
                    "flow",
                    "방향은 inbound, outbound, internal 중 하나입니다",
                )
            })?),
        };
        let dim = Self::dim(app, t, f).await?;
        Ok(Self {
            period,
            grain,
            flow,
            dim,
        })
    }

    async fn dim(app: &App, t: &TenantId, f: &StatsForm) -> Outcome<Dim> {
        let chosen = [&f.user, &f.extension, &f.line, &f.group]
            .iter()
            .filter(|x| some(x.as_ref()).is_some())
            .count();
        if chosen > 1 {
            return Err(bad(
                "one_subject",
                "user",
                "사용자, 내선, 번호, 그룹 중 하나만 고를 수 있습니다",
            ));
        }
        if let Some(u) = some(f.user.as_ref()) {
            let id = AccountId::parse(u)
                .map_err(|_| unknown("unknown_user", "user", "없는 사용자입니다"))?;
            store::repo::accounts::get(&*app.store, t, &id)
                .await?
                .ok_or_else(|| unknown("unknown_user", "user", "없는 사용자입니다"))?;
            return Ok(Dim::User(id));
        }
        if let Some(e) = some(f.extension.as_ref()) {
            let accounts = store::repo::accounts::all(&*app.store, t).await?;
            if let Some(a) = accounts
                .iter()
                .find(|a| a.extension.as_ref().is_some_and(|x| x.as_str() == e))
            {
                return Ok(Dim::User(a.id.clone()));
            }
            let groups = store::repo::hunt_groups::all(&*app.store, t).await?;
            if let Some(g) = groups
                .iter()
                .find(|g| g.extension.as_ref().is_some_and(|x| x.as_str() == e))
            {
                return Ok(Dim::Group(g.id.clone()));
            }
            return Err(unknown(
                "unknown_extension",
                "extension",
                "없는 내선번호입니다",
            ));
        }
        if let Some(n) = some(f.line.as_ref()) {
            let n = PhoneNumber::parse(n).map_err(|_| {
                bad(
                    "invalid_line",
                    "line",
                    "번호는 070-0000-0000 형식으로 입력해 주세요",
                )
            })?;
            return Ok(Dim::Line(n.national_digits()));
        }
        if let Some(g) = some(f.group.as_ref()) {
            let id = HuntGroupId::parse(g)
                .map_err(|_| unknown("unknown_group", "group", "없는 그룹입니다"))?;
            return Ok(Dim::Group(id));
        }
        Ok(Dim::Tenant)
    }
}

/// The company's zone and its bucket planner.
async fn planner(app: &App, t: &TenantId) -> Outcome<Planner> {
    let tz = crate::admin::time_zone(app, t).await?;
    let since = repo::zone_since(&*app.store, t, tz.name()).await?;
    let coarse_from = since
        .and_then(|ms| tz.date_of_ms(ms))
        .map(|d| d.add_days(1));
    Ok(Planner { tz, coarse_from })
}

/// The date of `now_ms` in `tz`.
fn date_in(tz: &TimeZone, now_ms: i64) -> Outcome<Date> {
    tz.date_of_ms(now_ms)
        .ok_or_else(|| Fail::internal(&"clock outside the calendar"))
}

/// The company's today.
pub async fn today(app: &App, t: &TenantId, now_ms: i64) -> Outcome<Date> {
    date_in(&crate::admin::time_zone(app, t).await?, now_ms)
}

/// Reads a form and answers it (what the page, its export and the API
/// do): the period's defaults count from the company's today at `now_ms`.
pub async fn ask(app: &App, t: &TenantId, f: &StatsForm, now_ms: i64) -> Outcome<Report> {
    let plan = planner(app, t).await?;
    let q = Question::read(app, t, f, date_in(&plan.tz, now_ms)?).await?;
    answer(app, t, &plan, &q).await
}

/// Answers a question.
pub async fn report(app: &App, t: &TenantId, q: &Question) -> Outcome<Report> {
    answer(app, t, &planner(app, t).await?, q).await
}

async fn answer(app: &App, t: &TenantId, plan: &Planner, q: &Question) -> Outcome<Report> {
    let slots = plan.series(&q.period, q.grain);
    let wanted: Vec<Bucket> = slots.iter().flat_map(|s| s.cells.clone()).collect();
    // One reading per wanted bucket, in the slots' order.
    let mut got = repo::cells(&*app.store, t, &q.dim, &wanted)
        .await?
        .into_iter();
    let mut subject_total = Counters::default();
    let series = slots
        .iter()
        .map(|s| {
            let mut c = Counters::default();
            for by in got.by_ref().take(s.cells.len()) {
                c.merge(&total(&by, q.flow));
            }
            subject_total.merge(&c);
            Point {
                label: s.label.clone(),
                start_ms: s.start_ms,
                figures: c.into(),
            }
        })
        .collect();
    let breakdown = breakdown(app, t, &plan.cover(&q.period), q.flow).await?;
    let names = Names::load(app, t).await?;
    let mut report = Report {
        time_zone: plan.tz.name().to_owned(),
        from: q.period.from.to_string(),
        to: q.period.to.to_string(),
        grain: q.grain,
        flow: q.flow,
        subject: Row {
            id: subject_id(&q.dim),
            label: names.label(&q.dim),
            figures: subject_total.into(),
        },
        points: series,
        users: Vec::new(),
        lines: Vec::new(),
        groups: Vec::new(),
        options: Vec::new(),
    };
    for (dim, c) in breakdown {
        let row = Row {
            id: subject_id(&dim),
            label: names.label(&dim),
            figures: c.into(),
        };
        match dim {
            Dim::Tenant => {}
            Dim::User(_) => report.users.push(row),
            Dim::Line(_) => report.lines.push(row),
            Dim::Group(_) => report.groups.push(row),
            Dim::Option { .. } => report.options.push(row),
        }
    }
    for rows in [
        &mut report.users,
        &mut report.lines,
        &mut report.groups,
        &mut report.options,
    ] {
        rows.sort_by(|a, b| {
            b.figures
                .calls
                .cmp(&a.figures.calls)
                .then(a.label.cmp(&b.label))
        });
    }
    Ok(report)
}

/// Every dimension's counters over `cover`, of `flow`.
async fn breakdown(
    app: &App,
    t: &TenantId,
    cover: &[Bucket],
    flow: Option<Flow>,
) -> Outcome<BTreeMap<Dim, Counters>> {
    let mut out: BTreeMap<Dim, Counters> = BTreeMap::new();
    for chunk in cover.chunks(32) {
        let reads = chunk.iter().map(|b| repo::bucket(&*app.store, t, b, ""));
        for r in futures::future::join_all(reads).await {
            for (dim, by) in r? {
                let c = total(&by, flow);
                if !c.is_empty() {
                    out.entry(dim).or_default().merge(&c);
                }
            }
        }
    }
    Ok(out)
}

fn subject_id(d: &Dim) -> String {
    match d {
        Dim::Tenant => "tenant".into(),
        Dim::User(a) => a.to_string(),
        Dim::Line(n) => n.clone(),
        Dim::Group(g) => g.to_string(),
        Dim::Option { ivr, node, chose } => format!("{ivr}/{node}/{chose}"),
    }
}

/// How a user is named in statistics: name and extension.
pub fn account_label(a: &domain::Account) -> String {
    match &a.extension {
        Some(e) => format!("{} ({e})", a.name),
        None => a.name.clone(),
    }
}

/// Names of the company's users, groups and scenarios, for labels.
struct Names {
    users: HashMap<AccountId, String>,
    groups: HashMap<HuntGroupId, String>,
    scenarios: HashMap<domain::IvrId, String>,
}

impl Names {
    async fn load(app: &App, t: &TenantId) -> Outcome<Self> {
        let users = store::repo::accounts::all(&*app.store, t)
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), account_label(&a)))
            .collect();
        let groups = store::repo::hunt_groups::all(&*app.store, t)
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        let scenarios = store::repo::ivr::all(&*app.store, t)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        Ok(Self {
            users,
            groups,
            scenarios,
        })
    }

    fn label(&self, d: &Dim) -> String {
        const GONE: &str = "(삭제됨)";
        match d {
            Dim::Tenant => "회사 전체".into(),
            Dim::User(a) => self.users.get(a).cloned().unwrap_or_else(|| GONE.into()),
            Dim::Line(n) => PhoneNumber::parse(n).map_or_else(|_| n.clone(), |p| p.display()),
            Dim::Group(g) => self.groups.get(g).cloned().unwrap_or_else(|| GONE.into()),
            Dim::Option { ivr, node, chose } => format!(
                "{} · {node} · {}",
                self.scenarios.get(ivr).map_or(GONE, String::as_str),
                crate::labels::ivr_choice(chose)
            ),
        }
    }
}
