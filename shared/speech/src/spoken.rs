//! Text normalisation before synthesis: phone numbers are read the way a
//! Korean caller expects them, digit by digit with 0 as 공 and a pause
//! between groups ("공 칠 공, 일 이 삼 사, 오 육 칠 팔").
//!
//! Engines read "070-1234-5678" as cardinals or arithmetic (espeak-ng says
//! "칠십 ... 천이백삼십사"), which nobody can dial from. Everything that is
//! not a phone number is left alone: "1번", "3초", prices and dates are
//! better read as numbers, and the engines do that well.
//!
//! What counts as a phone number (Korean numbering plan):
//! - groups of digits joined by one kind of separator (hyphen, space or dot)
//!   shaped `0AA(A)-BBB(B)-CCCC` (area or mobile prefix, exchange,
//!   subscriber: `02-123-4567`, `010 1234 5678`, `0505-123-4567`);
//! - two groups `BBB(B)-CCCC`, a representative number (`1588-1234`) or a
//!   local number without area code (`123-4567`), joined by a hyphen or
//!   space (not a dot: `1234.5678` is a decimal);
//! - an unbroken run of 9 to 11 digits starting with 0 and then a non-zero
//!   digit (`01012345678`), read in the groups it would be written in.
//!
//! An unbroken 8-digit `15881234` is not read out: it cannot be told apart
//! from an amount ("15000000원").

/// Korean digit names as read in phone numbers (0 is 공, not 영).
const DIGITS: [&str; 10] = ["공", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"];

/// `text` as it should be spoken: whitespace runs collapsed to one space
/// (so equivalent prompts share a cache entry) and phone numbers spelled
/// out digit by digit.
pub fn spoken(text: &str) -> String {
    let chars: Vec<char> = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let chain = Chain::scan(&chars, i);
        chain.write(&chars, &mut out);
        i = chain.end();
    }
    out
}

/// The kind of character between two digit groups. Dash variants count as
/// one kind: word processors turn "-" into "–" or "‐".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Dash,
    Space,
    Dot,
}

impl Sep {
    fn of(c: char) -> Option<Self> {
        match c {
            '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2212}' => Some(Sep::Dash),
            ' ' => Some(Sep::Space),
            '.' => Some(Sep::Dot),
            _ => None,
        }
    }
}

/// Digit groups joined by single separators, as far as they go:
/// `groups[k]` is a char range, `seps[k]` what joins group k to k + 1.
#[derive(Debug)]
struct Chain {
    groups: Vec<(usize, usize)>,
    seps: Vec<Sep>,
}

impl Chain {
    fn scan(chars: &[char], start: usize) -> Self {
        let digits_end = |from: usize| {
            (from..chars.len())
                .find(|&k| !chars[k].is_ascii_digit())
                .unwrap_or(chars.len())
        };
        let mut groups = vec![(start, digits_end(start))];
        let mut seps = Vec::new();
        loop {
            let (_, end) = groups[groups.len() - 1];
            let next_is_digit = chars.get(end + 1).is_some_and(char::is_ascii_digit);
            match chars.get(end).copied().and_then(Sep::of) {
                Some(sep) if next_is_digit => {
                    seps.push(sep);
                    groups.push((end + 1, digits_end(end + 1)));
                }
                _ => break,
            }
        }
        Self { groups, seps }
    }

    fn end(&self) -> usize {
        self.groups[self.groups.len() - 1].1
    }

    /// The phone numbers in this chain, as ranges of group indices. A
    /// number uses one kind of separator and spans a whole stretch of it
    /// (`010-1234-5678-9999` is not a number with something after it).
    fn numbers(&self, chars: &[char]) -> Vec<(usize, usize)> {
        let digits = |g: usize| -> String {
            let (a, b) = self.groups[g];
            chars[a..b].iter().collect()
        };
        if self.groups.len() == 1 {
            return if unbroken_phone(&digits(0)) {
                vec![(0, 0)]
            } else {
                Vec::new()
            };
        }
        // Stretches of one separator kind; neighbours share their boundary group.
        let mut stretches = Vec::new();
        let mut first = 0;
        for k in 1..=self.seps.len() {
            if k == self.seps.len() || self.seps[k] != self.seps[first] {
                stretches.push((first, k, self.seps[first]));
                first = k;
            }
        }
        let mut found: Vec<(usize, usize)> = Vec::new();
        for (a, b, sep) in stretches {
            let overlaps = found.last().is_some_and(|&(_, end)| end >= a);
            let groups: Vec<String> = (a..=b).map(digits).collect();
            if !overlaps && grouped_phone(&groups, sep) {
                found.push((a, b));
            }
        }
        found
    }

    fn write(&self, chars: &[char], out: &mut String) {
        let numbers = self.numbers(chars);
        let mut at = self.groups[0].0;
        for (a, b) in numbers {
            let (start, _) = self.groups[a];
            let (_, end) = self.groups[b];
            out.extend(&chars[at..start]);
            let groups: Vec<String> = if a == b {
                split_unbroken(&chars[start..end])
            } else {
                (a..=b)
                    .map(|g| chars[self.groups[g].0..self.groups[g].1].iter().collect())
                    .collect()
            };
            let read: Vec<String> = groups.iter().map(|g| read_digits(g)).collect();
            out.push_str(&read.join(", "));
            at = end;
        }
        out.extend(&chars[at..self.end()]);
    }
}

fn grouped_phone(groups: &[String], sep: Sep) -> bool {
    let len = |g: &String| g.len();
    match groups {
        [prefix, exchange, line] => {
            (2..=4).contains(&len(prefix))
                && prefix.starts_with('0')
                && (3..=4).contains(&len(exchange))
                && len(line) == 4
        }
        [exchange, line] => sep != Sep::Dot && (3..=4).contains(&len(exchange)) && len(line) == 4,
        _ => false,
    }
}

fn unbroken_phone(digits: &str) -> bool {
    let b = digits.as_bytes();
    (9..=11).contains(&b.len()) && b[0] == b'0' && b[1] != b'0'
}

/// An unbroken number in the groups it is written in: 02 (Seoul) has a
/// two-digit prefix, every other a three-digit one; the last four digits
/// are the subscriber number.
fn split_unbroken(digits: &[char]) -> Vec<String> {
    let prefix = if digits[1] == '2' { 2 } else { 3 };
    let line = digits.len() - 4;
    vec![
        digits[..prefix].iter().collect(),
        digits[prefix..line].iter().collect(),
        digits[line..].iter().collect(),
    ]
}

fn read_digits(group: &str) -> String {
    group
        .bytes()
        .map(|d| DIGITS[usize::from(d - b'0')])
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internet_phone_number_is_read_digit_by_digit_with_pauses() {
        assert_eq!(
            spoken("안녕하세요, 070-1234-5678"),
            "안녕하세요, 공 칠 공, 일 이 삼 사, 오 육 칠 팔"
        );
    }

    #[test]
    fn a_seoul_number_has_a_two_digit_prefix() {
        assert_eq!(spoken("02-123-4567"), "공 이, 일 이 삼, 사 오 육 칠");
        assert_eq!(spoken("02-1234-5678"), "공 이, 일 이 삼 사, 오 육 칠 팔");
    }

    #[test]
    fn a_representative_number_is_two_groups() {
        assert_eq!(
            spoken("고객센터 1588-1234번으로"),
            "고객센터 일 오 팔 팔, 일 이 삼 사번으로"
        );
    }

    #[test]
    fn space_and_dot_separated_mobile_numbers_are_read() {
        assert_eq!(
            spoken("010 1234 5678"),
            "공 일 공, 일 이 삼 사, 오 육 칠 팔"
        );
        assert_eq!(
            spoken("010.1234.5678"),
            "공 일 공, 일 이 삼 사, 오 육 칠 팔"
        );
        assert_eq!(
            spoken("010–1234–5678"),
            "공 일 공, 일 이 삼 사, 오 육 칠 팔"
        );
    }

    #[test]
    fn an_unbroken_number_is_read_in_its_written_groups() {
        assert_eq!(
            spoken("01012345678로"),
            "공 일 공, 일 이 삼 사, 오 육 칠 팔로"
        );
        assert_eq!(spoken("021234567"), "공 이, 일 이 삼, 사 오 육 칠");
    }

    #[test]
    fn short_numbers_stay_numbers() {
        for text in [
            "1번을 누르세요",
            "3초 후에",
            "0번은 상담원",
            "2024년 3월 15일",
            "2024-03-15",
            "10:30",
            "1,500원",
            "15000000원",
            "3.14",
            "1234.5678",
            "1 2 3",
        ] {
            assert_eq!(spoken(text), text);
        }
    }

    #[test]
    fn a_number_in_a_longer_chain_is_found_alone() {
        assert_eq!(
            spoken("내선 10 010-1234-5678"),
            "내선 10 공 일 공, 일 이 삼 사, 오 육 칠 팔"
        );
        assert_eq!(
            spoken("1번 02-123-4567 2번"),
            "1번 공 이, 일 이 삼, 사 오 육 칠 2번"
        );
    }

    #[test]
    fn digit_strings_that_only_partly_fit_are_left_alone() {
        for text in ["010-1234-5678-9999", "+82 10-1234-5678", "12-34-5678"] {
            assert_eq!(spoken(text), text);
        }
    }

    #[test]
    fn two_numbers_in_one_sentence_are_both_read() {
        assert_eq!(
            spoken("1588-1234 또는 02-123-4567"),
            "일 오 팔 팔, 일 이 삼 사 또는 공 이, 일 이 삼, 사 오 육 칠"
        );
    }

    #[test]
    fn whitespace_is_collapsed() {
        assert_eq!(spoken("  안녕 \n\t 하세요  "), "안녕 하세요");
        assert_eq!(spoken(""), "");
    }
}
