//! The local speech engine: Debian's `espeak-ng`, run once per prompt.
//!
//! espeak-ng is a formant synthesiser: robotic, but it speaks Korean, is
//! one `apt-get install` away, needs no model files or network, and makes a
//! prompt in well under a second. That is what the all-in-one local product
//! and the tests need; production uses Polly.
//!
//! The text goes in on stdin (never through a shell, never as an argument
//! that could be read as an option); a 22,050 Hz WAV comes back on stdout
//! and is converted to 8 kHz by [`crate::audio`].

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

use crate::{SpeechError, Tts, audio, clip};

const INSTALL: &str = "apt-get install espeak-ng";

/// espeak-ng with voice `ko`.
#[derive(Debug, Clone)]
pub struct Espeak {
    binary: PathBuf,
    language: String,
    name: String,
    timeout: Duration,
}

impl Espeak {
    /// How long one prompt may take before the process is killed. A prompt
    /// takes well under a second; a hung process must not hold a call.
    pub const TIMEOUT: Duration = Duration::from_secs(20);

    /// `espeak-ng` from `PATH`, Korean voice.
    pub fn new() -> Self {
        Self::with_binary("espeak-ng")
    }

    /// Another executable taking espeak-ng's arguments (tests, other installs).
    pub fn with_binary(binary: impl Into<PathBuf>) -> Self {
        let language = "ko".to_owned();
        Self {
            binary: binary.into(),
            name: format!("espeak-ng:{language}"),
            language,
            timeout: Self::TIMEOUT,
        }
    }

    /// Replaces [`Self::TIMEOUT`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn program(&self) -> String {
        self.binary.display().to_string()
    }

    /// Runs the process to completion: stdout (a WAV) or why not. Dropping
    /// the future (timeout, caller gone) kills the process.
    async fn run(&self, text: &str) -> Result<Vec<u8>, SpeechError> {
        let mut child = Command::new(&self.binary)
            // -b 1: the input is UTF-8; --stdin: read it all, not line by line.
            .args(["-v", &self.language, "-b", "1", "--stdin", "--stdout"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => SpeechError::NotInstalled {
                    program: self.program(),
                    install: INSTALL,
                },
                _ => SpeechError::Failed {
                    program: self.program(),
                    status: "could not start".into(),
                    detail: e.to_string(),
                },
            })?;
        let mut stdin = child.stdin.take().ok_or_else(|| SpeechError::Failed {
            program: self.program(),
            status: "could not start".into(),
            detail: "no stdin pipe".into(),
        })?;
        let input = text.as_bytes().to_vec();
        // Write and read at once: a long text could fill the stdout pipe
        // before espeak-ng has read all of its input.
        let write = async move {
            let written = stdin.write_all(&input).await;
            drop(stdin); // end of input
            written
        };
        let (written, output) = tokio::join!(write, child.wait_with_output());
        let output = output.map_err(|e| SpeechError::Failed {
            program: self.program(),
            status: "could not wait for it".into(),
            detail: e.to_string(),
        })?;
        if !output.status.success() {
            return Err(SpeechError::Failed {
                program: self.program(),
                status: output.status.to_string(),
                detail: clip(&String::from_utf8_lossy(&output.stderr), 500),
            });
        }
        if let Err(e) = written {
            return Err(SpeechError::Failed {
                program: self.program(),
                status: "did not read its input".into(),
                detail: e.to_string(),
            });
        }
        if output.stdout.is_empty() {
            return Err(SpeechError::Failed {
                program: self.program(),
                status: output.status.to_string(),
                detail: "it wrote no audio".into(),
            });
        }
        Ok(output.stdout)
    }
}

impl Default for Espeak {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Tts for Espeak {
    fn voice(&self) -> &str {
        &self.name
    }

    async fn speak(&self, text: &str) -> Result<Vec<i16>, SpeechError> {
        if text.trim().is_empty() {
            return Err(SpeechError::EmptyText);
        }
        let wav = tokio::time::timeout(self.timeout, self.run(text))
            .await
            .map_err(|_| SpeechError::Timeout {
                program: self.program(),
                after: self.timeout,
            })??;
        Ok(audio::samples_of(&wav)?)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::{RATE, spoken};

    fn rms(samples: &[i16]) -> f64 {
        let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
        (sum / samples.len() as f64).sqrt()
    }

    /// An executable shell script standing in for espeak-ng.
    fn script(dir: &tempfile::TempDir, body: &str) -> PathBuf {
        let path = dir.path().join("fake-espeak");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    #[tokio::test]
    async fn espeak_ng_speaks_korean_with_a_phone_number() {
        if testkit::which("espeak-ng").is_err() {
            eprintln!("SKIPPED: espeak-ng is not installed (apt-get install espeak-ng)");
            return;
        }
        let tts = Espeak::new();
        assert_eq!(tts.voice(), "espeak-ng:ko");
        let samples = tts
            .speak(&spoken("안녕하세요, 070-1234-5678"))
            .await
            .expect("speech");
        let seconds = samples.len() as f64 / f64::from(RATE);
        assert!((1.0..10.0).contains(&seconds), "{seconds} s of speech");
        let level = rms(&samples);
        eprintln!("espeak-ng: {seconds:.2} s at 8 kHz, RMS {level:.0}");
        assert!(level > 500.0, "RMS {level}: that is silence");
    }

    #[tokio::test]
    async fn a_missing_binary_says_how_to_install_it() {
        let err = Espeak::with_binary("/nonexistent/espeak-ng")
            .speak("안녕하세요")
            .await
            .expect_err("no binary");
        assert!(matches!(err, SpeechError::NotInstalled { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "/nonexistent/espeak-ng is not installed: apt-get install espeak-ng"
        );
        let err = Espeak::with_binary("espeak-ng-that-does-not-exist")
            .speak("안녕하세요")
            .await
            .expect_err("no binary");
        assert_eq!(err.code(), "speech_not_installed");
    }

    #[tokio::test]
    async fn a_failing_engine_reports_its_exit_status_and_stderr() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = script(
            &dir,
            "cat >/dev/null; echo 'voice ko: no such voice' >&2; exit 3",
        );
        let err = Espeak::with_binary(bin)
            .speak("안녕하세요")
            .await
            .expect_err("fails");
        let message = err.to_string();
        assert!(matches!(err, SpeechError::Failed { .. }), "{err:?}");
        assert!(message.contains("exit status: 3"), "{message}");
        assert!(message.contains("no such voice"), "{message}");
    }

    #[tokio::test]
    async fn an_engine_writing_garbage_is_an_audio_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = script(&dir, "cat >/dev/null; echo 'this is not a wav file'");
        let err = Espeak::with_binary(bin)
            .speak("안녕하세요")
            .await
            .expect_err("not audio");
        assert!(matches!(err, SpeechError::Audio(_)), "{err:?}");
    }

    #[tokio::test]
    async fn the_text_reaches_the_engine_on_stdin_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let seen = dir.path().join("seen");
        let bin = script(&dir, &format!("cat > '{}'; exit 1", seen.display()));
        let text = "-v en $(rm -rf /) '; 안녕";
        let _ = Espeak::with_binary(bin).speak(text).await;
        assert_eq!(std::fs::read_to_string(&seen).expect("stdin written"), text);
    }

    #[tokio::test]
    async fn a_hung_engine_times_out_and_is_killed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pid_file = dir.path().join("pid");
        // exec: the waiting process is the one we started, so its pid is ours to check.
        let bin = script(
            &dir,
            &format!("echo $$ > '{}'; exec sleep 30", pid_file.display()),
        );
        let err = Espeak::with_binary(bin)
            .with_timeout(Duration::from_millis(500))
            .speak("안녕하세요")
            .await
            .expect_err("times out");
        assert!(matches!(err, SpeechError::Timeout { .. }), "{err:?}");
        assert_eq!(err.code(), "speech_timeout");
        let pid = std::fs::read_to_string(&pid_file).expect("pid written");
        let proc_dir = PathBuf::from(format!("/proc/{}", pid.trim()));
        // kill_on_drop sends SIGKILL; tokio reaps the process in the background.
        for _ in 0..100 {
            let gone = std::fs::read_to_string(proc_dir.join("stat"))
                .map(|stat| stat.contains(") Z "))
                .unwrap_or(true);
            if gone {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the timed-out engine (pid {}) is still running", pid.trim());
    }

    #[tokio::test]
    async fn blank_text_is_refused_without_running_anything() {
        let err = Espeak::with_binary("/nonexistent")
            .speak(" \n ")
            .await
            .expect_err("empty");
        assert!(matches!(err, SpeechError::EmptyText));
    }
}
