//! 조직도 엑셀 (A5): the sample download pre-filled with every account, and
//! the upload that makes the file's content the whole org chart.
//!
//! The upload is all or nothing. The whole file is validated against the
//! tenant's accounts while the tenant's org chart is locked; any bad row
//! rejects the file with a report per row, and nothing is written. A valid
//! file becomes a plan, stored as a job before anything changes, and applied
//! in transactions of at most 100 items; every step is idempotent, so a job
//! interrupted by a crash is finished by [`resume`] (the `office` process
//! runs it at start). While the lock is held, profile edits wait their turn
//! (they are refused with "try again").

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use domain::{Account, AccountId, Department, Extension, TenantId, org};
use serde::{Deserialize, Serialize};
use store::repo::{accounts, departments};
use store::{Condition, Item, Key, TxOp, Update, keys, now_epoch_seconds};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

/// Columns of the sheet, in order.
pub const COLUMNS: [&str; 9] = [
    "계정ID",
    "이름",
    "이메일",
    "070번호",
    "휴대폰번호",
    "상위부서",
    "부서",
    "직책",
    "내선번호",
];
/// The largest file accepted.
pub const MAX_ROWS: usize = 10_000;
const LOCK_SECS: i64 = 15 * 60;

fn job_key(t: &TenantId) -> Key {
    Key::new(keys::tenant_pk(t), "#ORGJOB")
}

/// Plans can exceed an item's size (5,000 members), so the job item points
/// at the plan kept in the blob store.
fn plan_blob(t: &TenantId) -> Result<blobs::BlobKey, Fail> {
    blobs::BlobKey::parse(&format!("tmp/orgjobs/{t}.json")).map_err(|e| Fail::internal(&e))
}

async fn store_job(app: &App, t: &TenantId, plan: &Plan) -> Result<(), Fail> {
    let json = serde_json::to_vec(plan).map_err(|e| Fail::internal(&e))?;
    let key = plan_blob(t)?;
    app.blobs
        .put(&key, json.into(), "application/json")
        .await
        .map_err(|e| Fail::internal(&e))?;
    let job = Item::new(&job_key(t))
        .with("type", "org_job")
        .with("plan_blob", key.as_str());
    app.store.put(job, None).await?;
    Ok(())
}

/// `.xlsx` of every account with its current place in the chart.
pub async fn sample(app: &App, t: &TenantId) -> Outcome<Vec<u8>> {
    let people = accounts::all(&*app.store, t).await?;
    let parents: HashMap<String, Option<String>> = departments::all(&*app.store, t)
        .await?
        .into_iter()
        .map(|d| (d.name, d.parent))
        .collect();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let xl = |e: rust_xlsxwriter::XlsxError| Fail::internal(&e);
    sheet.set_name("조직도").map_err(xl)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, name) in COLUMNS.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(0);
        sheet
            .write_string_with_format(0, c, *name, &bold)
            .map_err(xl)?;
        sheet
            .set_column_width(c, if c == 0 { 36 } else { 16 })
            .map_err(xl)?;
    }
    for (r, a) in people.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        let parent = a
            .department
            .as_ref()
            .and_then(|d| parents.get(d).cloned().flatten());
        let cells = [
            Some(a.id.to_string()),
            Some(a.name.clone()),
            a.email.as_ref().map(ToString::to_string),
            a.number.as_ref().map(ToString::to_string),
            a.mobile.as_ref().map(ToString::to_string),
            parent,
            a.department.clone(),
            a.position.clone(),
            a.extension.map(|e| e.to_string()),
        ];
        for (c, v) in cells.iter().enumerate() {
            if let Some(v) = v {
                sheet
                    .write_string(r, u16::try_from(c).unwrap_or(0), v.as_str())
                    .map_err(xl)?;
            }
        }
    }
    book.save_to_buffer().map_err(xl)
}

/// One rejected row of an upload (Excel row number, 1 = header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub message: String,
}

/// What the upload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    pub members: usize,
    pub departments: usize,
}

#[derive(Debug)]
pub enum UploadError {
    /// The file as a whole is unusable (not xlsx, no header...).
    File(Fail),
    /// Bad rows: nothing was changed.
    Rows(Vec<RowError>),
}

impl From<Fail> for UploadError {
    fn from(f: Fail) -> Self {
        UploadError::File(f)
    }
}

struct Row {
    line: usize,
    account: String,
    parent: String,
    department: String,
    position: String,
    extension: String,
}

fn cell(d: &Data) -> String {
    match d {
        Data::String(s) => s.trim().to_owned(),
        // A 4-digit extension typed as a number loses its leading zeros; such
        // cells are read as they were typed in the common cases (1001..9999).
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Empty => String::new(),
        other => other.to_string().trim().to_owned(),
    }
}

fn read_rows(bytes: &[u8]) -> Result<Vec<Row>, Fail> {
    let bad = |m: &str| Fail::bad("invalid_file", "file", m.to_owned());
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|_| bad("엑셀(.xlsx) 파일이 아닙니다. 샘플 파일 양식으로 올려 주세요"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| bad("시트가 없는 파일입니다"))?
        .map_err(|_| bad("첫 번째 시트를 읽을 수 없습니다"))?;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(cell).collect())
        .unwrap_or_default();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(acc), Some(parent), Some(dept), Some(pos), Some(ext)) = (
        col("계정ID"),
        col("상위부서"),
        col("부서"),
        col("직책"),
        col("내선번호"),
    ) else {
        return Err(bad(
            "머리글에 계정ID, 상위부서, 부서, 직책, 내선번호 열이 있어야 합니다 (샘플 다운로드 참고)",
        ));
    };
    let mut out = Vec::new();
    for (i, r) in rows.enumerate() {
        let get = |c: usize| r.get(c).map(cell).unwrap_or_default();
        let row = Row {
            line: i + 2,
            account: get(acc),
            parent: get(parent),
            department: get(dept),
            position: get(pos),
            extension: get(ext),
        };
        if row.account.is_empty()
            && row.department.is_empty()
            && row.parent.is_empty()
            && row.position.is_empty()
            && row.extension.is_empty()
        {
            continue;
        }
        out.push(row);
    }
    if out.len() > MAX_ROWS {
        return Err(bad(&format!("한 번에 {MAX_ROWS}행까지 올릴 수 있습니다")));
    }
    Ok(out)
}

/// The desired state: every department and every account's place.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub departments: Vec<Department>,
    /// account id -> (department, position, extension)
    pub members: BTreeMap<String, Placement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub department: Option<String>,
    pub position: Option<String>,
    pub extension: Option<String>,
}

fn plan(rows: &[Row], people: &[Account], existing: &[Department]) -> Result<Plan, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut err = |row: usize, m: String| errors.push(RowError { row, message: m });
    let by_id: HashMap<&str, &Account> = people.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut seen_account: HashMap<String, usize> = HashMap::new();
    let mut seen_ext: HashMap<Extension, usize> = HashMap::new();
    let mut parent_of: BTreeMap<String, (Option<String>, usize)> = BTreeMap::new();
    let mut members = BTreeMap::new();
    for r in rows {
        if r.account.is_empty()
            || AccountId::parse(&r.account).is_err()
            || !by_id.contains_key(r.account.as_str())
        {
            err(r.line, format!("알 수 없는 계정입니다: {:?}", r.account));
            continue;
        }
        if let Some(first) = seen_account.insert(r.account.clone(), r.line) {
            err(r.line, format!("같은 계정이 {first}행에도 있습니다"));
            continue;
        }
        let extension = if r.extension.is_empty() {
            None
        } else {
            match Extension::parse(&r.extension) {
                Ok(e) => {
                    if let Some(first) = seen_ext.insert(e, r.line) {
                        let ext = crate::labels::josa(e.as_str(), crate::labels::Josa::IGa);
                        err(r.line, format!("내선번호 {ext} {first}행과 중복됩니다"));
                    }
                    Some(e)
                }
                Err(_) => {
                    err(
                        r.line,
                        format!("내선번호는 4자리 숫자여야 합니다: {:?}", r.extension),
                    );
                    None
                }
            }
        };
        let department = if r.department.is_empty() {
            if !r.parent.is_empty() {
                err(r.line, "상위부서가 있으면 부서명을 비울 수 없습니다".into());
            }
            None
        } else {
            match org::parse_department_name(&r.department) {
                Ok(d) => Some(d),
                Err(e) => {
                    err(r.line, crate::labels::org_error(&e));
                    None
                }
            }
        };
        let parent = if r.parent.is_empty() {
            None
        } else {
            match org::parse_department_name(&r.parent) {
                Ok(p) => Some(p),
                Err(e) => {
                    err(
                        r.line,
                        format!("상위부서: {}", crate::labels::org_error(&e)),
                    );
                    None
                }
            }
        };
        if let Some(d) = &department {
            match parent_of.get(d) {
                Some((p, first)) if *p != parent => {
                    err(
                        r.line,
                        format!("부서 '{d}'의 상위부서가 {first}행과 다릅니다"),
                    );
                }
                Some(_) => {}
                None => {
                    parent_of.insert(d.clone(), (parent.clone(), r.line));
                }
            }
        }
        if r.position.chars().count() > 50 {
            err(r.line, "직책은 50자 이내로 입력해 주세요".into());
        }
        members.insert(
            r.account.clone(),
            Placement {
                department,
                position: Some(r.position.clone()).filter(|p| !p.is_empty()),
                extension: extension.map(|e| e.to_string()),
            },
        );
    }
    // Accounts missing from the file leave the chart but keep their extension:
    // it may not be given to anyone else.
    for a in people {
        if !seen_account.contains_key(a.id.as_str()) {
            if let Some(e) = a.extension
                && let Some(line) = seen_ext.get(&e)
            {
                err(
                    *line,
                    format!(
                        "내선번호 {} 파일에 없는 계정({})이 사용 중입니다",
                        crate::labels::josa(e.as_str(), crate::labels::Josa::EunNeun),
                        a.name
                    ),
                );
            }
            members.insert(
                a.id.to_string(),
                Placement {
                    department: None,
                    position: None,
                    extension: a.extension.map(|e| e.to_string()),
                },
            );
        }
    }
    // A 상위부서 must be a 부서 of the file or one the company has: a
    // typo would otherwise make a new department at the top.
    let named_parents: Vec<(String, usize)> = parent_of
        .values()
        .filter_map(|(p, line)| p.clone().map(|p| (p, *line)))
        .collect();
    let mut unknown_parent = false;
    for (p, line) in named_parents {
        if parent_of.contains_key(&p) {
            continue;
        }
        if existing.iter().any(|d| d.name == p) {
            // Kept where it is, with its ancestors the file does not move.
            let mut next = Some(p);
            while let Some(name) = next.take() {
                if parent_of.contains_key(&name) {
                    break;
                }
                let up = existing
                    .iter()
                    .find(|d| d.name == name)
                    .and_then(|d| d.parent.clone());
                parent_of.insert(name, (up.clone(), 0));
                next = up;
            }
        } else {
            unknown_parent = true;
            err(
                line,
                format!("상위부서 '{p}'가 파일의 부서에도, 회사의 기존 부서에도 없습니다"),
            );
        }
    }
    let depts: Vec<Department> = parent_of
        .iter()
        .map(|(n, (p, _))| Department {
            name: n.clone(),
            parent: p.clone(),
        })
        .collect();
    // (With an unknown parent the tree is incomplete: said once, above.)
    if !unknown_parent && let Err(e) = org::validate(&depts) {
        let line = match &e {
            domain::OrgError::Cycle(names) => names
                .first()
                .and_then(|n| parent_of.get(n))
                .map_or(0, |(_, l)| *l),
            _ => 0,
        };
        err(
            line,
            format!(
                "부서 구조가 올바르지 않습니다: {}",
                crate::labels::org_error(&e)
            ),
        );
    }
    if errors.is_empty() {
        Ok(Plan {
            departments: depts,
            members,
        })
    } else {
        errors.sort_by_key(|e| e.row);
        Err(errors)
    }
}

async fn acquire(app: &App, t: &TenantId) -> Outcome<()> {
    let item = Item::new(&keys::org_lock(t))
        .with("type", "org_lock")
        .with(store::ATTR_EXPIRES_AT, now_epoch_seconds() + LOCK_SECS);
    match app.store.put(item, Some(Condition::absent())).await {
        Ok(()) => Ok(()),
        Err(store::StoreError::ConditionFailed) => Err(Fail::new(
            FailKind::Conflict,
            "org_busy",
            "다른 조직도 업로드가 진행 중입니다. 잠시 후 다시 시도해 주세요",
        )),
        Err(e) => Err(e.into()),
    }
}

async fn release(app: &App, t: &TenantId) {
    if let Err(e) = app.store.delete(&keys::org_lock(t), None).await {
        tracing::warn!(error = %e, "could not release the org lock; it expires by itself");
    }
}

/// Validates an uploaded file and, if every row is good, makes it the org chart.
/// The company's departments now (a 상위부서 may name one not in the file).
async fn department_names(app: &App, t: &TenantId) -> Result<Vec<Department>, Fail> {
    Ok(departments::all(&*app.store, t).await?)
}

pub async fn upload(app: &App, t: &TenantId, bytes: &[u8]) -> Result<Imported, UploadError> {
    let rows = read_rows(bytes)?;
    acquire(app, t).await?;
    let result = async {
        let people = accounts::all(&*app.store, t).await.map_err(Fail::from)?;
        let existing = department_names(app, t).await?;
        let plan = plan(&rows, &people, &existing).map_err(UploadError::Rows)?;
        store_job(app, t, &plan).await?;
        apply(app, t, &plan, usize::MAX).await?;
        app.store
            .delete(&job_key(t), None)
            .await
            .map_err(Fail::from)?;
        Ok(Imported {
            members: rows.len(),
            departments: plan.departments.len(),
        })
    }
    .await;
    release(app, t).await;
    result
}

/// Validates a file and stores its plan as a pending job under the lock,
/// without applying it: what a crash right after acceptance leaves behind.
/// For tests of [`resume`].
#[doc(hidden)]
pub async fn upload_plan_for_test(
    app: &App,
    t: &TenantId,
    bytes: &[u8],
) -> Result<Plan, UploadError> {
    let rows = read_rows(bytes)?;
    acquire(app, t).await?;
    let people = accounts::all(&*app.store, t).await.map_err(Fail::from)?;
    let existing = department_names(app, t).await?;
    let plan = plan(&rows, &people, &existing).map_err(UploadError::Rows)?;
    store_job(app, t, &plan).await?;
    Ok(plan)
}

/// Finishes an upload that a crash interrupted (idempotent; a no-op when none is pending).
pub async fn resume(app: &App, t: &TenantId) -> Outcome<bool> {
    if app.store.get(&job_key(t)).await?.is_none() {
        return Ok(false);
    }
    let blob = app
        .blobs
        .get(&plan_blob(t)?)
        .await
        .map_err(|e| Fail::internal(&e))?
        .ok_or_else(|| Fail::internal(&"org job without its plan"))?;
    let plan: Plan = serde_json::from_slice(&blob.bytes).map_err(|e| Fail::internal(&e))?;
    let lock = Item::new(&keys::org_lock(t))
        .with("type", "org_lock")
        .with(store::ATTR_EXPIRES_AT, now_epoch_seconds() + LOCK_SECS);
    app.store.put(lock, None).await?;
    apply(app, t, &plan, usize::MAX).await?;
    app.store.delete(&job_key(t), None).await?;
    release(app, t).await;
    Ok(true)
}

/// Applies a plan in transactions of at most 100 items, stopping after
/// `max_batches` (tests use that to simulate a crash). Every step checks
/// what is already done, so running it again converges.
pub async fn apply(app: &App, t: &TenantId, plan: &Plan, max_batches: usize) -> Outcome<()> {
    let store = &*app.store;
    let mut batches = 0usize;
    let mut run = |ops: Vec<TxOp>| {
        if !ops.is_empty() {
            batches += 1;
        }
        let stop = batches > max_batches;
        async move {
            if ops.is_empty() {
                return Ok(());
            }
            if stop {
                return Err(Fail::new(
                    FailKind::Unavailable,
                    "interrupted",
                    "interrupted",
                ));
            }
            store.transact_write(ops).await.map_err(Fail::from)
        }
    };
    let dept_key = |name: &str| Key::new(keys::tenant_pk(t), format!("DEPT#{name}"));
    // 1. Departments: create or re-parent (parents first, so the tree is valid at every step).
    let current: HashMap<String, Option<String>> = departments::all(store, t)
        .await?
        .into_iter()
        .map(|d| (d.name, d.parent))
        .collect();
    let wanted: HashSet<&str> = plan.departments.iter().map(|d| d.name.as_str()).collect();
    let mut ops = Vec::new();
    for d in &plan.departments {
        if current.get(&d.name) != Some(&d.parent) {
            let mut u = Update::new()
                .set("type", "department")
                .set("name", d.name.as_str());
            u = match &d.parent {
                Some(p) => u.set("parent", p.as_str()),
                None => u.remove("parent"),
            };
            ops.push(TxOp::Update {
                key: dept_key(&d.name),
                update: u,
                condition: None,
            });
            if ops.len() == 100 {
                run(std::mem::take(&mut ops)).await?;
            }
        }
    }
    run(std::mem::take(&mut ops)).await?;
    // 2. Release the extension markers that change hands.
    let people = accounts::all(store, t).await?;
    let by_id: HashMap<String, &Account> = people.iter().map(|a| (a.id.to_string(), a)).collect();
    for (id, p) in &plan.members {
        let Some(a) = by_id.get(id) else { continue };
        if let Some(old) = a.extension
            && p.extension.as_deref() != Some(old.as_str())
        {
            ops.push(TxOp::Delete {
                key: keys::extension_marker(t, &old),
                condition: Some(Condition::Or(vec![
                    Condition::not_exists("pk"),
                    Condition::eq("account_id", id.as_str()),
                ])),
            });
            if ops.len() == 100 {
                run(std::mem::take(&mut ops)).await?;
            }
        }
    }
    run(std::mem::take(&mut ops)).await?;
    // 3. Place every member and claim its extension (50 members = 100 items a batch).
    for (id, p) in &plan.members {
        let Some(a) = by_id.get(id) else { continue };
        let mut u = Update::new();
        for (name, v) in [
            ("department", &p.department),
            ("position", &p.position),
            ("extension", &p.extension),
        ] {
            u = match v {
                Some(v) => u.set(name, v.as_str()),
                None => u.remove(name),
            };
        }
        ops.push(TxOp::Update {
            key: keys::account(t, &a.id),
            update: u,
            condition: Some(Condition::present()),
        });
        if let Some(e) = p
            .extension
            .as_deref()
            .and_then(|e| Extension::parse(e).ok())
        {
            ops.push(TxOp::Put {
                item: Item::new(&keys::extension_marker(t, &e))
                    .with("type", "extension")
                    .with("account_id", id.as_str()),
                condition: Some(Condition::Or(vec![
                    Condition::absent(),
                    Condition::eq("account_id", id.as_str()),
                ])),
            });
        }
        if ops.len() >= 99 {
            run(std::mem::take(&mut ops)).await?;
        }
    }
    run(std::mem::take(&mut ops)).await?;
    // Extensions moved: the edge's cached routing must see it.
    store::repo::directory::changed(store, t).await?;
    // 4. Remove departments the file no longer has (children before parents).
    let mut gone: Vec<&String> = current
        .keys()
        .filter(|n| !wanted.contains(n.as_str()))
        .collect();
    gone.sort_by_key(|n| std::cmp::Reverse(depth(n, &current)));
    for n in gone {
        ops.push(TxOp::Delete {
            key: dept_key(n),
            condition: None,
        });
        if ops.len() == 100 {
            run(std::mem::take(&mut ops)).await?;
        }
    }
    run(ops).await
}

fn depth(name: &str, parents: &HashMap<String, Option<String>>) -> usize {
    let mut d = 0;
    let mut at = parents.get(name).cloned().flatten();
    while let Some(p) = at {
        d += 1;
        if d > 64 {
            break;
        }
        at = parents.get(&p).cloned().flatten();
    }
    d
}
