//! ARS 설정 (T4): the tenant's IVR scenarios. The domain checks the graph
//! ([`Scenario::validate`]); here, that each number is the tenant's (its
//! 대표번호 or one of its 070 numbers) and answers no other scenario, and
//! that every user and hunt group a scenario routes to exists. Every
//! refusal has a stable code and a Korean message naming the step; an
//! invalid scenario changes nothing.
//!
//! Prompts: an uploaded recording (WAV or MP3) is converted once, on
//! upload, to the 8 kHz WAV the edge plays ([`upload_prompt`]), and a
//! scenario may only name recordings that exist. [`prompt_audio`] gives
//! any prompt as a WAV for the editor's 미리 듣기, spoken by the same
//! cached TTS the edge uses.

use domain::ivr::{Action, Destination, IvrError, Node, PROMPT_CHARS, Prompt, Scenario};
use domain::{IvrId, PhoneNumber, TenantId};
use serde::{Deserialize, Serialize};
use store::repo::{RepoError, accounts, hunt_groups, inbox, ivr};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

/// A scenario as the editor or the API sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ScenarioForm {
    pub name: String,
    pub numbers: Vec<String>,
    pub start: String,
    pub nodes: Vec<Node>,
}

impl ScenarioForm {
    /// A stored scenario as the editor starts from it.
    pub fn of(s: &Scenario) -> Self {
        Self {
            name: s.name.clone(),
            numbers: s.numbers.iter().map(PhoneNumber::display).collect(),
            start: s.start.clone(),
            nodes: s.nodes.clone(),
        }
    }
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
            format!(
                "단계 {from}: 다음 단계 {} 없습니다",
                crate::labels::josa(to, crate::labels::Josa::IGa)
            )
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
            format!(
                "메뉴 {node}: 버튼 {} 쓸 수 없거나 두 번 쓰였습니다",
                crate::labels::josa(&format!("{key:?}"), crate::labels::Josa::EunNeun)
            )
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
        format!(
            "단계 {node}: 연결할 {} 이 회사에 없습니다",
            crate::labels::josa(what, crate::labels::Josa::IGa)
        ),
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

/// Every recording a scenario plays exists in the blob store (a listing
/// by key, so a long recording is not read to check it).
async fn check_recordings(app: &App, t: &TenantId, s: &Scenario) -> Outcome<()> {
    let mut seen: Vec<&str> = Vec::new();
    for n in &s.nodes {
        for p in n.action.prompts() {
            let Prompt::Audio { id } = p else { continue };
            if seen.contains(&id.as_str()) {
                continue;
            }
            if !recording_exists(app, t, id).await? {
                return Err(Fail::bad(
                    "ivr_audio_missing",
                    "nodes",
                    format!(
                        "단계 {}: 음원 {} 찾을 수 없습니다. 음원 파일을 다시 올려 주세요",
                        n.id,
                        crate::labels::josa(id, crate::labels::Josa::EulReul)
                    ),
                ));
            }
            seen.push(id);
        }
    }
    Ok(())
}

async fn recording_exists(app: &App, t: &TenantId, id: &str) -> Outcome<bool> {
    let Some(key) = prompt_key(t, id) else {
        return Ok(false);
    };
    let listed = app.blobs.list(key.as_str()).await.map_err(blob_fail)?;
    Ok(listed.iter().any(|m| m.key == key.as_str()))
}

fn blob_fail(e: blobs::BlobError) -> Fail {
    match e {
        blobs::BlobError::Unavailable(_) => {
            tracing::warn!(error = %e, "blob store unavailable");
            Fail::new(
                FailKind::Unavailable,
                "unavailable",
                "잠시 후 다시 시도해 주세요",
            )
        }
        e => Fail::internal(&e),
    }
}

/// The largest prompt file accepted, checked before decoding.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// An uploaded prompt recording, as stored: its id for
/// [`Prompt::Audio`] and its length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromptInfo {
    pub id: String,
    pub duration_ms: u64,
}

/// Why an uploaded file is refused, in Korean; the code is
/// [`speech::AudioError::code`].
pub fn audio_refusal(e: &speech::AudioError) -> Fail {
    use speech::AudioError as E;
    let message = match e {
        E::Format(_) => "WAV 또는 MP3 파일만 올릴 수 있습니다".to_owned(),
        E::Corrupt(_) => {
            "음원 파일이 손상되어 읽을 수 없습니다. 다시 저장해 올려 주세요".to_owned()
        }
        E::Empty { .. } => format!(
            "녹음이 너무 짧습니다 ({}초 이상이어야 합니다)",
            f64::from(speech::audio::MIN_MILLIS) / 1000.0
        ),
        E::TooLong => "5분보다 긴 녹음은 올릴 수 없습니다".to_owned(),
    };
    Fail::bad(e.code(), "audio", message)
}

/// Stores an uploaded recording (WAV or MP3, at most
/// [`MAX_UPLOAD_BYTES`], 0.2 s to 5 min) as the 8 kHz mono WAV the edge
/// plays, under a fresh id. A refused file stores nothing.
pub async fn upload_prompt(app: &App, t: &TenantId, bytes: Vec<u8>) -> Outcome<PromptInfo> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Fail::bad(
            "audio_too_large",
            "audio",
            "10MB보다 큰 파일은 올릴 수 없습니다",
        ));
    }
    // Decoding and resampling are CPU work: off the request's thread.
    let samples = tokio::task::spawn_blocking(move || speech::audio::to_prompt(&bytes))
        .await
        .map_err(|e| Fail::internal(&e))?
        .map_err(|e| audio_refusal(&e))?;
    let id = hex::encode(rand::random::<[u8; 16]>());
    let key = prompt_key(t, &id).ok_or_else(|| Fail::internal(&"prompt key of a fresh id"))?;
    let duration_ms = samples.len() as u64 * 1000 / u64::from(speech::RATE);
    let wav = speech::audio::wav(&samples);
    app.blobs
        .put(&key, bytes::Bytes::from(wav), "audio/wav")
        .await
        .map_err(blob_fail)?;
    Ok(PromptInfo { id, duration_ms })
}

/// What an upload is recognised by for `Idempotency-Key` (its SHA-256):
/// a retried upload of the same file answers with the first id.
pub fn upload_fingerprint(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn no_such_recording() -> Fail {
    Fail::not_found("음원 파일을 찾을 수 없습니다")
}

/// A prompt as a WAV to listen to in the editor: the text spoken by the
/// edge's TTS (and cached as it would be for a call), or the stored
/// recording.
pub async fn prompt_audio(app: &App, t: &TenantId, prompt: &Prompt) -> Outcome<Vec<u8>> {
    match prompt {
        Prompt::Tts { text } => {
            let n = text.trim().chars().count();
            if !(1..=PROMPT_CHARS).contains(&n) {
                return Err(Fail::bad(
                    "ivr_prompt",
                    "text",
                    format!("안내 문구는 1~{PROMPT_CHARS}자여야 합니다"),
                ));
            }
            let samples = app.speech.speak(text).await.map_err(|e| speech_fail(&e))?;
            Ok(speech::audio::wav(&samples))
        }
        Prompt::Audio { id } => {
            let key = prompt_key(t, id).ok_or_else(no_such_recording)?;
            let blob = app.blobs.get(&key).await.map_err(blob_fail)?;
            Ok(blob.ok_or_else(no_such_recording)?.bytes.to_vec())
        }
    }
}

/// A speech engine failure, with its stable code: the preview says what
/// went wrong instead of a silent player.
fn speech_fail(e: &speech::SpeechError) -> Fail {
    use speech::SpeechError as E;
    tracing::warn!(error = %e, "prompt preview could not be spoken");
    let (kind, message) = match e {
        E::EmptyText => (FailKind::BadInput, "읽을 안내 문구가 없습니다"),
        E::Rejected(_) => (
            FailKind::BadInput,
            "음성 합성 서비스가 이 문구를 거절했습니다. 문구를 바꿔 다시 시도해 주세요",
        ),
        E::NotInstalled { .. } => (
            FailKind::Unavailable,
            "음성 합성 엔진이 설치되어 있지 않아 미리 들을 수 없습니다",
        ),
        E::Failed { .. } | E::Audio(_) => (
            FailKind::Unavailable,
            "음성 합성에 실패했습니다. 잠시 후 다시 시도해 주세요",
        ),
        E::Timeout { .. } | E::Unavailable(_) => (
            FailKind::Unavailable,
            "음성 합성 서비스가 응답하지 않습니다. 잠시 후 다시 시도해 주세요",
        ),
    };
    Fail::new(kind, e.code(), message)
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
    check_recordings(app, t, &s).await?;
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
