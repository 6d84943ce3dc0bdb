//! Driving baresip (Debian `baresip-core`) headless: a real softphone that
//! registers, answers on its own, plays a WAV as its microphone and dumps
//! what it hears (module `sndfile`) as WAV files.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Writes an 8 kHz 16-bit mono WAV of a sine tone.
pub fn tone_wav(path: &Path, hz: f64, secs: f64) {
    let n = (8000.0 * secs) as usize;
    let mut data = Vec::with_capacity(44 + n * 2);
    let len = u32::try_from(n * 2).expect("small");
    data.extend_from_slice(b"RIFF");
    data.extend_from_slice(&(36 + len).to_le_bytes());
    data.extend_from_slice(b"WAVEfmt ");
    data.extend_from_slice(&16u32.to_le_bytes());
    data.extend_from_slice(&1u16.to_le_bytes());
    data.extend_from_slice(&1u16.to_le_bytes());
    data.extend_from_slice(&8000u32.to_le_bytes());
    data.extend_from_slice(&16000u32.to_le_bytes());
    data.extend_from_slice(&2u16.to_le_bytes());
    data.extend_from_slice(&16u16.to_le_bytes());
    data.extend_from_slice(b"data");
    data.extend_from_slice(&len.to_le_bytes());
    for i in 0..n {
        let v = (i as f64 * hz * 2.0 * std::f64::consts::PI / 8000.0).sin() * 12_000.0;
        data.extend_from_slice(&(v as i16).to_le_bytes());
    }
    std::fs::write(path, data).expect("write wav");
}

/// The channels, sample rate and `data` bytes of a 16-bit PCM WAV (any
/// header layout: the `data` chunk is looked up).
fn wav_pcm(bytes: &[u8]) -> Option<(u16, u32, &[u8])> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" {
        return None;
    }
    let mut pos = 12;
    let (mut channels, mut rate) = (1u16, 8000u32);
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().ok()?) as usize;
        let body = pos + 8;
        if id == b"fmt " && body + 8 <= bytes.len() {
            channels = u16::from_le_bytes([bytes[body + 2], bytes[body + 3]]);
            rate = u32::from_le_bytes(bytes[body + 4..body + 8].try_into().ok()?);
        }
        if id == b"data" {
            return Some((
                channels.max(1),
                rate.max(1),
                &bytes[body..bytes.len().min(body + size)],
            ));
        }
        pos = body + size + (size & 1);
    }
    None
}

/// RMS per channel and duration of a 16-bit PCM WAV.
pub fn wav_levels(bytes: &[u8]) -> Option<(u16, Duration, Vec<f64>)> {
    let (channels, rate, data) = wav_pcm(bytes)?;
    let ch = usize::from(channels);
    let frames = data.len() / (2 * ch);
    let mut sums = vec![0f64; ch];
    for (i, s) in data.chunks_exact(2).enumerate() {
        let v = f64::from(i16::from_le_bytes([s[0], s[1]]));
        sums[i % ch] += v * v;
    }
    let rms = sums
        .iter()
        .map(|s| (s / frames.max(1) as f64).sqrt())
        .collect();
    let secs = Duration::from_millis(frames as u64 * 1000 / u64::from(rate));
    Some((channels, secs, rms))
}

/// The RMS of one channel of a 16-bit PCM WAV in consecutive windows of `window`.
pub fn wav_window_rms(bytes: &[u8], channel: usize, window: Duration) -> Option<Vec<f64>> {
    let (channels, rate, data) = wav_pcm(bytes)?;
    let ch = usize::from(channels);
    let per = ((u128::from(rate) * window.as_millis() / 1000) as usize).max(1);
    let samples: Vec<f64> = data
        .chunks_exact(2 * ch)
        .map(|f| f64::from(i16::from_le_bytes([f[2 * channel], f[2 * channel + 1]])))
        .collect();
    Some(
        samples
            .chunks(per)
            .map(|w| (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt())
            .collect(),
    )
}

/// One baresip instance with its own config directory.
#[derive(Debug)]
pub struct Baresip {
    pub dir: PathBuf,
    /// Where `sndfile` dumps the audio of each call.
    pub dumps: PathBuf,
    /// The `ctrl_tcp` port, when the test drives it.
    control: Option<u16>,
    child: Option<Child>,
}

impl Baresip {
    /// Configures an instance for `user` registering at the edge, speaking
    /// `source`, with G.711 (PCMU, PCMA).
    pub fn configure(
        dir: &Path,
        edge_port: u64,
        sip_port: u16,
        user: &str,
        password: &str,
        source: &Path,
    ) -> Self {
        Self::configure_codecs(
            dir,
            edge_port,
            sip_port,
            user,
            password,
            source,
            "PCMU,PCMA",
        )
    }

    /// As [`Baresip::configure`], offering only `codecs` (`opus`, `PCMU`, `PCMA`).
    pub fn configure_codecs(
        dir: &Path,
        edge_port: u64,
        sip_port: u16,
        user: &str,
        password: &str,
        source: &Path,
        codecs: &str,
    ) -> Self {
        std::fs::create_dir_all(dir).expect("mkdir");
        let dumps = dir.join("dumps");
        std::fs::create_dir_all(&dumps).expect("mkdir");
        let config = format!(
            "poll_method\t\tepoll\n\
             sip_listen\t\t127.0.0.1:{sip_port}\n\
             net_interface\t\t127.0.0.1\n\
             audio_source\t\taufile,{source}\n\
             audio_player\t\taufile,/dev/null\n\
             audio_alert\t\taufile,/dev/null\n\
             audio_srate\t\t8000\n\
             audio_channels\t\t1\n\
             module_path\t\t/usr/lib/baresip/modules\n\
             module\t\t\tg711.so\n\
             module\t\t\topus.so\n\
             module\t\t\taufile.so\n\
             module\t\t\tsndfile.so\n\
             module_app\t\taccount.so\n\
             module_app\t\tmenu.so\n\
             snd_path\t\t{dumps}\n\
             rtp_ports\t\t{lo}-{hi}\n",
            source = source.display(),
            dumps = dumps.display(),
            lo = sip_port.saturating_add(10),
            hi = sip_port.saturating_add(40),
        );
        std::fs::write(dir.join("config"), config).expect("config");
        std::fs::write(
            dir.join("accounts"),
            format!(
                "<sip:{user}@127.0.0.1:{edge_port}>;auth_pass={password};answermode=auto;audio_codecs={codecs};regint=600\n"
            ),
        )
        .expect("accounts");
        std::fs::write(dir.join("contacts"), "").expect("contacts");
        Self {
            dir: dir.to_owned(),
            dumps,
            control: None,
            child: None,
        }
    }

    /// Lets the test drive it while it runs: `ctrl_tcp` on 127.0.0.1:`port`
    /// (see [`Baresip::command`]).
    pub fn with_control(mut self, port: u16) -> Self {
        let path = self.dir.join("config");
        let mut text = std::fs::read_to_string(&path).expect("config");
        text.push_str(&format!(
            "module_app\t\tctrl_tcp.so\nctrl_tcp_listen\t\t127.0.0.1:{port}\n"
        ));
        std::fs::write(&path, text).expect("config");
        self.control = Some(port);
        self
    }

    /// Runs a menu command (`transfer`, `hangup`...) through `ctrl_tcp`: a
    /// netstring of JSON; the answer, once it comes.
    pub fn command(&self, command: &str, params: &str) -> String {
        use std::io::{Read as _, Write as _};
        let port = self.control.expect("started with_control");
        let json =
            serde_json::json!({"command": command, "params": params, "token": "t"}).to_string();
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).expect("ctrl_tcp");
        conn.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        conn.write_all(format!("{}:{json},", json.len()).as_bytes())
            .expect("send command");
        let mut answer = vec![0u8; 4096];
        let n = conn.read(&mut answer).unwrap_or(0);
        String::from_utf8_lossy(&answer[..n]).into_owned()
    }

    /// Registers and calls over TCP instead of UDP (one connection to the edge).
    pub fn over_tcp(self) -> Self {
        let path = self.dir.join("accounts");
        let text = std::fs::read_to_string(&path).expect("accounts");
        let text = text.replacen(">;auth_pass", ";transport=tcp>;auth_pass", 1);
        std::fs::write(&path, text).expect("accounts");
        self
    }

    /// Registers and calls over TLS: to the edge's TLS port, trusting the
    /// certificate at `ca` (the edge's self-signed one, locally).
    pub fn over_tls(self, tls_port: u64, ca: &Path) -> Self {
        let path = self.dir.join("accounts");
        let text = std::fs::read_to_string(&path).expect("accounts");
        let (uri, rest) = text.split_once(">;auth_pass").expect("an account line");
        let host = &uri[..uri.rfind(':').expect("a port")];
        std::fs::write(
            &path,
            format!("{host}:{tls_port};transport=tls>;auth_pass{rest}"),
        )
        .expect("accounts");
        let config = self.dir.join("config");
        let mut text = std::fs::read_to_string(&config).expect("config");
        text.push_str(&format!("sip_cafile\t\t{}\n", ca.display()));
        std::fs::write(&config, text).expect("config");
        self
    }

    /// Encrypts its media with SRTP (SDES keys, RFC 4568), as baresip's
    /// `mediaenc=srtp` does: it offers RTP/AVP with `a=crypto` and takes
    /// SRTP when the answer keys it.
    pub fn with_srtp(self) -> Self {
        let config = self.dir.join("config");
        let mut text = std::fs::read_to_string(&config).expect("config");
        text.push_str("module\t\t\tsrtp.so\n");
        std::fs::write(&config, text).expect("config");
        let path = self.dir.join("accounts");
        let text = std::fs::read_to_string(&path).expect("accounts");
        std::fs::write(&path, format!("{};mediaenc=srtp\n", text.trim_end())).expect("accounts");
        self
    }

    /// Starts it; `command` (like `/dial sip:1002@...`) runs once it is up;
    /// it quits after `seconds`.
    pub fn start(&mut self, command: Option<&str>, seconds: u32) {
        let log = std::fs::File::create(self.dir.join("baresip.log")).expect("log");
        let mut cmd = Command::new("baresip");
        cmd.arg("-f").arg(&self.dir);
        if let Some(c) = command {
            cmd.args(["-e", c]);
        }
        cmd.args(["-t", &seconds.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        self.child = Some(
            cmd.spawn()
                .expect("run baresip (Debian baresip-core; the README test command installs it)"),
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("baresip.log")).unwrap_or_default()
    }

    /// Waits for it to exit on its own (its `-t` timer), at most `limit`.
    pub fn wait(&mut self, limit: Duration) -> bool {
        let Some(child) = self.child.as_mut() else {
            return false;
        };
        let end = std::time::Instant::now() + limit;
        while std::time::Instant::now() < end {
            if let Ok(Some(_)) = child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The WAV files `sndfile` wrote.
    pub fn dumped(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.dumps)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "wav"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
