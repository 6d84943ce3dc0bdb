//! The Polly adapter against moto (a local AWS server): moto checks the
//! output format, sample rate and voice of `SynthesizeSpeech` and returns
//! 8 NUL bytes, so these tests assert the request is accepted and how the
//! answer is read, never what the speech sounds like.

use aws_sdk_polly::types::Engine;
use speech::{Polly, SpeechError, Tts as _};

async fn client() -> aws_sdk_polly::Client {
    let moto = testkit::Moto::shared().expect("moto server");
    let conf = testkit::aws_config_for(&moto.endpoint()).await;
    aws_sdk_polly::Client::new(&conf)
}

#[tokio::test]
async fn seoyeon_speaks_8k_pcm() {
    let polly = Polly::seoyeon(client().await);
    assert_eq!(polly.voice(), "polly:Seoyeon:standard");
    let samples = polly
        .speak("안녕하세요, 공 칠 공, 일 이 삼 사, 오 육 칠 팔")
        .await
        .expect("moto accepts pcm at 8000 Hz with Seoyeon");
    // moto's fake audio: 8 NUL bytes, four silent 16-bit samples.
    assert_eq!(samples, vec![0; 4]);
}

#[tokio::test]
async fn the_engine_is_part_of_the_voice_name() {
    let polly = Polly::new(client().await, Polly::DEFAULT_VOICE).with_engine(Engine::Neural);
    assert_eq!(polly.voice(), "polly:Seoyeon:neural");
    assert_eq!(polly.speak("안녕하세요").await.expect("speech").len(), 4);
}

#[tokio::test]
async fn an_unknown_voice_is_a_clear_rejection() {
    let polly = Polly::new(client().await, "Nobody");
    let err = polly.speak("안녕하세요").await.expect_err("no such voice");
    assert!(matches!(err, SpeechError::Rejected(_)), "{err:?}");
    assert_eq!(err.code(), "speech_rejected");
    let message = err.to_string();
    assert!(
        message.contains("voice Nobody") && message.contains("InvalidParameterValue"),
        "{message}"
    );
}

#[tokio::test]
async fn an_unreachable_service_is_unavailable_not_rejected() {
    let port = testkit::free_port().expect("port");
    let conf = testkit::aws_config_for(&format!("http://127.0.0.1:{port}")).await;
    let polly = Polly::seoyeon(aws_sdk_polly::Client::new(&conf));
    let err = polly
        .speak("안녕하세요")
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, SpeechError::Unavailable(_)), "{err:?}");
}
