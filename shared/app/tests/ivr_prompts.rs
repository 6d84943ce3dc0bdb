//! ARS prompts in the app: an uploaded recording is converted to the
//! 8 kHz WAV the edge plays and stored under a fresh id; a refused file
//! stores nothing and says why in Korean; a prompt is heard as a WAV
//! (TTS or the recording); a scenario may only name recordings that exist.

mod common;

use std::sync::Arc;

use app::ivr::{self, ScenarioForm};
use app::{Fail, FailKind};
use domain::TenantId;
use domain::ivr::{Action, Node, Prompt};

struct W {
    app: app::App,
    t: TenantId,
    _dir: tempfile::TempDir,
}

async fn world() -> W {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, t) = common::acme(dir.path()).await;
    W { app, t, _dir: dir }
}

/// A 16-bit PCM mono WAV of a 440 Hz tone at `rate`.
fn tone(rate: u32, millis: u32) -> Vec<u8> {
    let n = rate * millis / 1000;
    let samples: Vec<i16> = (0..n)
        .map(|i| {
            let x = (f64::from(i) * 440.0 * std::f64::consts::TAU / f64::from(rate)).sin();
            (x * 8000.0) as i16
        })
        .collect();
    let data = u32::try_from(samples.len() * 2).expect("small");
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn rate_of(wav: &[u8]) -> u32 {
    assert_eq!(&wav[..4], b"RIFF");
    u32::from_le_bytes(wav[24..28].try_into().expect("four bytes"))
}

async fn stored(w: &W) -> usize {
    w.app
        .blobs
        .list(&format!("ivr-prompts/{}/", w.t))
        .await
        .expect("list")
        .len()
}

fn hang_up(prompt: Prompt) -> ScenarioForm {
    ScenarioForm {
        name: "안내".into(),
        numbers: vec![],
        start: "bye".into(),
        nodes: vec![Node {
            id: "bye".into(),
            label: None,
            action: Action::HangUp {
                prompt: Some(prompt),
            },
        }],
    }
}

#[tokio::test]
async fn an_uploaded_44k1_wav_is_stored_as_an_8k_wav_under_a_fresh_id() {
    let w = world().await;
    let info = ivr::upload_prompt(&w.app, &w.t, tone(44_100, 1500))
        .await
        .expect("upload");
    assert!((1490..=1510).contains(&info.duration_ms), "{info:?}");
    assert!(
        info.id.len() <= 64
            && info
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "{info:?}"
    );
    let again = ivr::upload_prompt(&w.app, &w.t, tone(44_100, 1500))
        .await
        .expect("upload");
    assert_ne!(info.id, again.id, "each upload gets its own id");
    let key = ivr::prompt_key(&w.t, &info.id).expect("key");
    let blob = w.app.blobs.get(&key).await.expect("get").expect("stored");
    assert_eq!(rate_of(&blob.bytes), 8000);
    let heard = ivr::prompt_audio(
        &w.app,
        &w.t,
        &Prompt::Audio {
            id: info.id.clone(),
        },
    )
    .await
    .expect("audio");
    assert_eq!(heard, blob.bytes.to_vec());
    // Another tenant's id is not found under this one.
    let other = TenantId::parse("other").expect("id");
    let theirs = ivr::prompt_audio(&w.app, &other, &Prompt::Audio { id: info.id }).await;
    assert_eq!(theirs.map_err(|f| f.kind), Err(FailKind::NotFound));
}

#[tokio::test]
async fn refused_files_say_why_in_korean_and_store_nothing() {
    let w = world().await;
    let cases: [(Vec<u8>, &str, &str); 4] = [
        (
            b"this is not audio at all".repeat(20),
            "audio_format",
            "WAV 또는 MP3",
        ),
        (tone(8000, 50), "audio_empty", "너무 짧습니다"),
        (tone(8000, 301_000), "audio_too_long", "5분보다 긴"),
        (
            vec![0u8; ivr::MAX_UPLOAD_BYTES + 1],
            "audio_too_large",
            "10MB",
        ),
    ];
    for (bytes, code, says) in cases {
        let f: Fail = ivr::upload_prompt(&w.app, &w.t, bytes)
            .await
            .expect_err(code);
        assert_eq!((f.code, f.kind), (code, FailKind::BadInput), "{f}");
        assert!(f.message.contains(says), "{code}: {}", f.message);
    }
    assert_eq!(stored(&w).await, 0, "nothing stored on refusal");
}

#[tokio::test]
async fn a_text_prompt_is_heard_as_an_8k_wav() {
    let w = world().await;
    let wav = ivr::prompt_audio(
        &w.app,
        &w.t,
        &Prompt::Tts {
            text: "안녕하세요".into(),
        },
    )
    .await
    .expect("spoken");
    assert_eq!(rate_of(&wav), 8000);
    assert!(wav.len() > 44 + 1000, "{} bytes", wav.len());
    let empty = ivr::prompt_audio(&w.app, &w.t, &Prompt::Tts { text: " ".into() }).await;
    assert_eq!(empty.map_err(|f| f.code), Err("ivr_prompt"));
}

#[tokio::test]
async fn a_speech_engine_failure_is_a_clear_fail_with_its_code() {
    let mut w = world().await;
    w.app.speech = Arc::new(speech::Cached::new(
        Arc::new(speech::Espeak::with_binary("/nonexistent/espeak-ng")),
        None,
    ));
    let f = ivr::prompt_audio(
        &w.app,
        &w.t,
        &Prompt::Tts {
            text: "안녕하세요".into(),
        },
    )
    .await
    .expect_err("no engine");
    assert_eq!(
        (f.code, f.kind),
        ("speech_not_installed", FailKind::Unavailable),
        "{f}"
    );
    assert!(f.message.contains("음성 합성"), "{}", f.message);
}

#[tokio::test]
async fn a_scenario_may_only_name_recordings_that_exist() {
    let w = world().await;
    let missing = ivr::create(
        &w.app,
        &w.t,
        &hang_up(Prompt::Audio {
            id: "0123abcd".into(),
        }),
    )
    .await
    .expect_err("missing recording");
    assert_eq!(missing.code, "ivr_audio_missing", "{missing}");
    assert!(
        missing.message.contains("단계 bye") && missing.message.contains("0123abcd"),
        "{}",
        missing.message
    );
    assert!(ivr::list(&w.app, &w.t).await.expect("list").is_empty());
    let info = ivr::upload_prompt(&w.app, &w.t, tone(16_000, 800))
        .await
        .expect("upload");
    let s = ivr::create(&w.app, &w.t, &hang_up(Prompt::Audio { id: info.id }))
        .await
        .expect("the uploaded recording is found");
    assert_eq!(ivr::ScenarioForm::of(&s).start, "bye");
}
