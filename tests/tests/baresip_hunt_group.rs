//! Two baresip softphones (Debian `baresip-core`, answering by themselves)
//! are agents of the demo's hunt group (상담팀, extension 1000, round robin
//! with memory). A sipp caller dials the group twice: each agent takes one
//! call in turn, hears the caller, and the records name the agent and the
//! group.

use std::time::Duration;

use e2e::baresip::{Baresip, tone_wav, wav_levels};
use e2e::sipp::{Phone, caller, free_udp_port, register};
use e2e::{Api, Office};

#[test]
fn softphone_agents_in_a_hunt_group_take_calls_in_turn() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let edge = office.info["sip"]["port"].as_u64().expect("sip port");
    let group = &office.info["hunt_group"];
    assert_eq!(group["extension"], "1000", "{group:#}");
    let api = Api::of(&office);
    let user = |i: usize, f: &str| office.info["users"][i][f].as_str().expect(f).to_owned();
    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    let tone = w.join("agent.wav");
    tone_wav(&tone, 1000.0, 60.0);
    let mut agents: Vec<Baresip> = [1, 2]
        .into_iter()
        .map(|i| {
            let mut b = Baresip::configure(
                &w.join(format!("agent{i}")),
                edge,
                free_udp_port(),
                &user(i, "sip_username"),
                &user(i, "sip_password"),
                &tone,
            );
            b.start(None, 40);
            b
        })
        .collect();
    // Both agents registered before the first call.
    std::thread::sleep(Duration::from_secs(3));
    let a = Phone::demo_user(&office.info, 0);
    register(w, &a);
    let mut answered_by = Vec::new();
    for n in 1..=2 {
        let mut c = caller(
            w,
            &a,
            &format!("to-group-{n}"),
            "1000",
            "uac_talk_and_hang_up",
            &[("talk_ms", "3000")],
        );
        assert!(
            c.wait(Duration::from_secs(30)),
            "call {n}:\n{}\n{}\n{}",
            c.log(),
            agents[0].log(),
            agents[1].log()
        );
        let r = &api.closed_calls(n)[0];
        assert_eq!(r["disposition"], "answered", "{r:#}");
        assert_eq!(r["hunt_group"], group["id"], "{r:#}");
        answered_by.push(r["callee"].as_str().unwrap_or_default().to_owned());
        // Past the agent's wrap-up (none in the demo) and presence update.
        std::thread::sleep(Duration::from_millis(500));
    }
    let mut sorted = answered_by.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [user(1, "extension"), user(2, "extension")],
        "each agent takes one call in turn: {answered_by:?}"
    );
    // Each agent heard its caller (sipp plays a G.711 recording of speech).
    for (i, b) in agents.iter_mut().enumerate() {
        b.wait(Duration::from_secs(1));
        let dumps = b.dumped();
        let heard = dumps
            .iter()
            .filter(|p| p.to_string_lossy().contains("dec"))
            .filter_map(|p| std::fs::read(p).ok())
            .filter_map(|bytes| wav_levels(&bytes))
            .any(|(_, length, rms)| length > Duration::from_secs(1) && rms[0] > 100.0);
        assert!(
            heard,
            "agent {} heard nothing: {dumps:?}\n{}",
            i + 1,
            b.log()
        );
    }
    assert!(office.stop().expect("stop"));
}
