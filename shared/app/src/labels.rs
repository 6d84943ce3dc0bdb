//! Korean labels of the call model's enums, as the portal, the API's
//! `*_label` fields and the Excel exports show them. The domain and the
//! store know only the enums and their stable names.

use domain::{Direction, Disposition};

/// 발신 / 착신 / 부재중 / 음성사서함 / 내선.
pub fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Outgoing => "발신",
        Direction::Incoming => "착신",
        Direction::Missed => "부재중",
        Direction::Voicemail => "음성사서함",
        Direction::Internal => "내선",
    }
}

/// A direction from its stable name or its Korean label.
pub fn parse_direction(s: &str) -> Option<Direction> {
    Direction::parse(s).or_else(|| Direction::ALL.into_iter().find(|d| direction(*d) == s))
}

pub fn disposition(d: Disposition) -> &'static str {
    match d {
        Disposition::Answered => "통화",
        Disposition::Busy => "통화중",
        Disposition::NoAnswer => "무응답",
        Disposition::Cancelled => "취소",
        Disposition::Rejected => "거절",
        Disposition::Voicemail => "음성사서함",
        Disposition::AfterHours => "업무시간 외",
        Disposition::InProgress => "통화 중",
        Disposition::Transferred => "돌려주기",
        Disposition::Abandoned => "대기 중 포기",
        Disposition::Ivr => "ARS 종료",
        Disposition::Callback => "콜백 요청",
        Disposition::Failed => "실패",
    }
}

/// A caller's choice at an ARS node: the key itself, or what happened.
pub fn ivr_choice(chose: &str) -> String {
    match chose {
        "timeout" => "입력 없음".into(),
        "invalid" => "잘못 누름".into(),
        "open" => "업무시간".into(),
        "closed" => "업무시간 외".into(),
        key => format!("{key}번"),
    }
}

/// The heading of a statistics period column: 시간 / 날짜 / 월.
pub fn grain(g: domain::stats::Grain) -> &'static str {
    use domain::stats::Grain as G;
    match g {
        G::Hour => "시간",
        G::Day => "날짜",
        G::Month => "월",
    }
}

/// A hunt group's strategy as the 착신그룹 page names it.
pub fn strategy(s: domain::hunt::Strategy) -> &'static str {
    use domain::hunt::Strategy as S;
    match s {
        S::RingAll => "동시 호출 (모두 울림)",
        S::Linear => "순차 호출 (항상 처음부터)",
        S::RoundRobinMemory => "순환 호출 (이어서, 가입 순)",
        S::RoundRobinOrdered => "순환 호출 (이어서, 목록 순)",
        S::LeastRecent => "가장 오래 쉰 상담원 먼저",
        S::FewestCalls => "통화 수가 적은 상담원 먼저",
        S::Random => "랜덤",
        S::WeightedRandom => "가중 랜덤 (우선순위가 낮을수록 자주)",
    }
}

/// Why a phone number was refused, in Korean (the portal speaks Korean
/// only; the API's `detail` may stay English).
pub fn phone_error(e: &domain::PhoneError) -> String {
    use domain::PhoneError as E;
    match e {
        E::Empty => "번호를 입력해 주세요".into(),
        E::InvalidCharacter { ch, .. } => {
            format!(
                "{} 쓸 수 없습니다. 숫자와 하이픈(-)만 입력해 주세요",
                josa(&format!("'{ch}'"), Josa::EunNeun)
            )
        }
        E::ForeignCountryCode(_) => "국내 번호(+82)만 등록할 수 있습니다".into(),
        E::MissingTrunkPrefix => {
            "0으로 시작하는 번호(010, 02, 070 등)나 15xx·16xx·18xx 대표번호를 입력해 주세요".into()
        }
        E::UnknownPrefix(p) => format!("{p}(으)로 시작하는 번호는 쓸 수 없습니다"),
        E::WrongLength {
            prefix,
            expected,
            got,
        } => {
            format!("{prefix} 번호는 앞자리 뒤에 {expected}자리여야 합니다 (입력: {got}자리)")
        }
        E::InvalidSubscriber(c) => format!("국번은 {c}(으)로 시작할 수 없습니다"),
    }
}

/// Why an e-mail address was refused, in Korean.
pub fn email_error(e: &domain::EmailError) -> String {
    use domain::EmailError as E;
    match e {
        E::Empty => "이메일을 입력해 주세요".into(),
        E::TooLong => "이메일이 너무 깁니다 (254자 이하)".into(),
        E::At => "이메일에는 @가 하나 있어야 합니다".into(),
        E::LocalPartLength => "@ 앞부분은 1~64자여야 합니다".into(),
        E::LocalPartCharacter(c) => format!(
            "@ 앞부분에 {} 쓸 수 없습니다",
            josa(&format!("'{c}'"), Josa::EunNeun)
        ),
        E::LocalPartDots => {
            "@ 앞부분은 점(.)으로 시작하거나 끝날 수 없고, 점을 연달아 쓸 수 없습니다".into()
        }
        E::Domain(d) => format!("{} 올바른 도메인이 아닙니다", josa(d, Josa::EunNeun)),
    }
}

/// Why an address (a link, a webhook) was refused, in Korean.
pub fn link_error(e: &domain::LinkError) -> String {
    use domain::LinkError as E;
    match e {
        E::Empty => "주소를 입력해 주세요".into(),
        E::Malformed(_) => {
            "주소 형식이 올바르지 않습니다 (예: https://www.example.com/공지)".into()
        }
        E::NotHttps => "https:// 로 시작하는 주소만 사용할 수 있습니다".into(),
        E::TooLong => "주소는 2,000자 이하로 입력해 주세요".into(),
        E::MenuName => "메뉴명은 1~20자로 입력해 주세요".into(),
    }
}

/// Why a department (its name, its place in the tree) was refused, in Korean.
pub fn org_error(e: &domain::OrgError) -> String {
    use domain::OrgError as E;
    match e {
        E::EmptyName => "부서명을 입력해 주세요 (줄바꿈 같은 제어 문자는 쓸 수 없습니다)".into(),
        E::NameTooLong(_) => "부서명은 50자 이하로 입력해 주세요".into(),
        E::Duplicate(d) => format!("{} 두 번 나옵니다", josa(&format!("'{d}' 부서"), Josa::IGa)),
        E::UnknownParent { child, parent } => format!(
            "'{child}'의 상위부서 {} 없습니다",
            josa(&format!("'{parent}'"), Josa::IGa)
        ),
        E::Cycle(names) => format!("순환 관계입니다 ({})", names.join(" → ")),
    }
}

/// Why a name (a person's, a position's) was refused, in Korean.
pub fn name_error(e: &domain::account::NameError) -> String {
    use domain::account::NameError as E;
    match e {
        E::Empty(_) => "비워 둘 수 없습니다".into(),
        E::TooLong(_) => "100자 이하로 입력해 주세요".into(),
        E::Control(_) => "줄바꿈 같은 제어 문자는 쓸 수 없습니다".into(),
    }
}

/// Korean particles that depend on whether the word before them ends in a
/// consonant (받침): `josa("1000", Josa::IGa)` is `1000이` (천 → 영),
/// `josa("1002", Josa::IGa)` is `1002가` (이). Digits are read as Korean
/// numbers, Latin letters by their names (L, M, N, R end in a consonant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Josa {
    /// 이 / 가
    IGa,
    /// 은 / 는
    EunNeun,
    /// 을 / 를
    EulReul,
    /// 과 / 와
    GwaWa,
}

pub fn josa(word: &str, j: Josa) -> String {
    let last = word.trim_end().chars().rev().find(|c| c.is_alphanumeric());
    let batchim = match last {
        Some(c @ '가'..='힣') => (u32::from(c) - 0xAC00) % 28 != 0,
        // 영 일 삼 육 칠 팔 end in a consonant; 이 사 오 구 do not.
        Some(c @ '0'..='9') => matches!(c, '0' | '1' | '3' | '6' | '7' | '8'),
        Some(c) if c.is_ascii_alphabetic() => {
            matches!(c.to_ascii_uppercase(), 'L' | 'M' | 'N' | 'R')
        }
        _ => false,
    };
    let particle = match (j, batchim) {
        (Josa::IGa, true) => "이",
        (Josa::IGa, false) => "가",
        (Josa::EunNeun, true) => "은",
        (Josa::EunNeun, false) => "는",
        (Josa::EulReul, true) => "을",
        (Josa::EulReul, false) => "를",
        (Josa::GwaWa, true) => "과",
        (Josa::GwaWa, false) => "와",
    };
    format!("{word}{particle}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_direction_reads_back_from_its_korean_label() {
        for d in Direction::ALL {
            assert_eq!(parse_direction(direction(d)), Some(d));
            assert_eq!(parse_direction(d.as_str()), Some(d));
        }
    }

    #[test]
    fn particles_follow_the_last_sound() {
        assert_eq!(josa("1000", Josa::IGa), "1000이");
        assert_eq!(josa("1002", Josa::IGa), "1002가");
        assert_eq!(josa("내선번호 1003", Josa::EunNeun), "내선번호 1003은");
        assert_eq!(josa("1005", Josa::EunNeun), "1005는");
        assert_eq!(josa("상담팀", Josa::IGa), "상담팀이");
        assert_eq!(josa("영업부", Josa::EulReul), "영업부를");
        assert_eq!(josa("CRM", Josa::GwaWa), "CRM과");
        assert_eq!(josa("API", Josa::GwaWa), "API와");
        assert_eq!(josa("'#'", Josa::EunNeun), "'#'는");
    }
}
