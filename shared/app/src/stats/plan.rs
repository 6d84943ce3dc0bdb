//! Which buckets answer a question about a period: pure arithmetic over
//! dates and zones, so it is tested without a store.
//!
//! Hours are the truth (UTC, so any zone can read them); days and months
//! are kept in the company's zone as well, and used for the days after
//! `coarse_from` (since when calls are counted in that zone). A day
//! before it is the sum of its hours; a month is its month bucket when it
//! lies wholly inside the period and after `coarse_from`, else its days.
//!
//! In a zone whose offset is not whole hours (India, Nepal), a day's hours
//! are the UTC hours that start in it, rounded down to the hour.

use domain::calendar::{Date, TimeZone};
use domain::stats::{Bucket, Grain, HOUR_MS};

/// A period of whole local days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    pub fn days(&self) -> impl Iterator<Item = Date> + '_ {
        (self.from.to_days()..=self.to.to_days()).filter_map(Date::from_days)
    }

    pub fn len_days(&self) -> i64 {
        self.to.to_days() - self.from.to_days() + 1
    }
}

/// One point of a series: its label, when it starts, and its buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub label: String,
    pub start_ms: i64,
    pub cells: Vec<Bucket>,
}

#[derive(Debug, Clone)]
pub struct Planner {
    pub tz: TimeZone,
    /// Days from this one on have day and month buckets in `tz`.
    pub coarse_from: Option<Date>,
}

impl Planner {
    fn start(&self, d: Date) -> i64 {
        self.tz
            .start_of_day_ms(d)
            .unwrap_or_else(|| d.to_days() * 86_400_000)
    }

    /// The UTC hours that make up local day `d`.
    fn hours(&self, d: Date) -> std::ops::Range<i64> {
        let first = self.start(d).div_euclid(HOUR_MS);
        let end = self.start(d.add_days(1)).div_euclid(HOUR_MS);
        first..end
    }

    fn coarse(&self, d: Date) -> bool {
        self.coarse_from.is_some_and(|c| d >= c)
    }

    /// The buckets of one day.
    pub fn day(&self, d: Date) -> Vec<Bucket> {
        if self.coarse(d) {
            vec![Bucket::Day(self.tz.name().to_owned(), d)]
        } else {
            self.hours(d).map(Bucket::Hour).collect()
        }
    }

    /// The buckets of the part of month `(y, m)` inside `p`.
    fn month(&self, y: i32, m: u8, p: &Period) -> Vec<Bucket> {
        let first = Date::new(y, m, 1).unwrap_or(p.from);
        let last = first.add_days(i64::from(domain::calendar::days_in_month(y, m)) - 1);
        if first >= p.from && last <= p.to && self.coarse(first) {
            return vec![Bucket::Month(self.tz.name().to_owned(), y, m)];
        }
        let from = first.max(p.from);
        let to = last.min(p.to);
        Period { from, to }
            .days()
            .flat_map(|d| self.day(d))
            .collect()
    }

    fn months(p: &Period) -> Vec<(i32, u8)> {
        let mut out = Vec::new();
        let (mut y, mut m) = (p.from.year(), p.from.month());
        while (y, m) <= (p.to.year(), p.to.month()) {
            out.push((y, m));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        out
    }

    /// The points of a series over `p` at `grain`.
    pub fn series(&self, p: &Period, grain: Grain) -> Vec<Slot> {
        match grain {
            Grain::Month => Self::months(p)
                .into_iter()
                .map(|(y, m)| {
                    let first = Date::new(y, m, 1).unwrap_or(p.from).max(p.from);
                    Slot {
                        label: format!("{y:04}-{m:02}"),
                        start_ms: self.start(first),
                        cells: self.month(y, m, p),
                    }
                })
                .collect(),
            Grain::Day => p
                .days()
                .map(|d| Slot {
                    label: d.to_string(),
                    start_ms: self.start(d),
                    cells: self.day(d),
                })
                .collect(),
            Grain::Hour => {
                let first = self.start(p.from).div_euclid(HOUR_MS);
                let end = self.start(p.to.add_days(1)).div_euclid(HOUR_MS);
                (first..end)
                    .map(|h| Slot {
                        label: self.hour_label(h),
                        start_ms: h * HOUR_MS,
                        cells: vec![Bucket::Hour(h)],
                    })
                    .collect()
            }
        }
    }

    fn hour_label(&self, h: i64) -> String {
        match self.tz.to_local((h * HOUR_MS).div_euclid(1000)) {
            Some(l) => format!(
                "{} {:02}:{:02}",
                l.date,
                l.minute_of_day / 60,
                l.minute_of_day % 60
            ),
            None => format!("H{h}"),
        }
    }

    /// The fewest buckets that cover `p` exactly (months, else days, else hours).
    pub fn cover(&self, p: &Period) -> Vec<Bucket> {
        Self::months(p)
            .into_iter()
            .flat_map(|(y, m)| self.month(y, m, p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> Date {
        Date::new(y, m, day).expect("date")
    }

    fn seoul(coarse_from: Option<Date>) -> Planner {
        Planner {
            tz: TimeZone::seoul(),
            coarse_from,
        }
    }

    fn kinds(cells: &[Bucket]) -> (usize, usize, usize) {
        let mut n = (0, 0, 0);
        for c in cells {
            match c {
                Bucket::Hour(_) => n.0 += 1,
                Bucket::Day(..) => n.1 += 1,
                Bucket::Month(..) => n.2 += 1,
            }
        }
        n
    }

    #[test]
    fn a_year_is_covered_by_months_and_the_ragged_ends_by_days() {
        let p = Period {
            from: d(2026, 1, 15),
            to: d(2026, 12, 3),
        };
        let plan = seoul(Some(d(2025, 1, 2)));
        // Jan 15-31 (17 days), Feb-Nov (10 months), Dec 1-3 (3 days).
        assert_eq!(kinds(&plan.cover(&p)), (0, 20, 10));
        let months = plan.series(&p, Grain::Month);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].label, "2026-01");
        assert_eq!(kinds(&months[0].cells), (0, 17, 0));
        assert_eq!(kinds(&months[1].cells), (0, 0, 1));
    }

    #[test]
    fn days_before_the_zone_was_counted_roll_up_their_hours() {
        let p = Period {
            from: d(2026, 11, 1),
            to: d(2026, 11, 30),
        };
        let plan = seoul(Some(d(2026, 11, 29)));
        // 28 days of 24 hours, then 2 day buckets; no month bucket.
        assert_eq!(kinds(&plan.cover(&p)), (28 * 24, 2, 0));
        assert_eq!(kinds(&seoul(None).cover(&p)), (30 * 24, 0, 0));
    }

    #[test]
    fn a_seoul_day_is_the_24_utc_hours_from_15_00_the_day_before() {
        let plan = seoul(None);
        let cells = plan.day(d(2026, 12, 1));
        assert_eq!(cells.len(), 24);
        assert_eq!(cells[0], Bucket::Hour(1_796_050_800_000 / HOUR_MS));
        let hours = plan.series(
            &Period {
                from: d(2026, 12, 1),
                to: d(2026, 12, 1),
            },
            Grain::Hour,
        );
        assert_eq!(hours.len(), 24);
        assert_eq!(hours[0].label, "2026-12-01 00:00");
        assert_eq!(hours[23].label, "2026-12-01 23:00");
    }

    #[test]
    fn dst_days_have_23_and_25_hours_and_every_hour_counts_once() {
        let plan = Planner {
            tz: TimeZone::parse("America/Los_Angeles").expect("zone"),
            coarse_from: None,
        };
        assert_eq!(plan.day(d(2026, 3, 8)).len(), 23);
        assert_eq!(plan.day(d(2026, 11, 1)).len(), 25);
        let p = Period {
            from: d(2026, 1, 1),
            to: d(2026, 12, 31),
        };
        let all: Vec<Bucket> = p.days().flat_map(|x| plan.day(x)).collect();
        let unique: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(all.len(), unique.len());
        assert_eq!(all.len(), 365 * 24);
    }
}
