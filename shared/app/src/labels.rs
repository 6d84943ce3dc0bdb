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
}
