//! The Korean lunisolar calendar (음력), computed from the Sun and the Moon.
//!
//! Nothing here is a table of month lengths or of holidays. Each month is
//! derived from astronomy the way the Korea Astronomy and Space Science
//! Institute (KASI) defines the calendar:
//!
//! * a month starts on the civil day, in Korea's calendar time zone, that
//!   contains the instant of the new moon (합삭);
//! * month 11 is the month containing the winter solstice (동지, apparent
//!   solar longitude 270°);
//! * when 13 new moons start between two consecutive month-11s, the first
//!   month after month 11 with no principal solar term (중기: a multiple of
//!   30° of solar longitude) is a leap month (윤달) and repeats the number of
//!   the month before it.
//!
//! Ingredients:
//!
//! * new moons: Meeus, *Astronomical Algorithms* (2nd ed.), chapter 49, with
//!   all the periodic terms and the fourteen planetary arguments (error well
//!   under a minute of time over 1900–2100);
//! * the Sun's apparent longitude: VSOP87 Earth series as truncated in
//!   Meeus' Appendix III (heliocentric longitude good to about 1″), converted
//!   to FK5, plus nutation in longitude (Meeus ch. 22, four main terms) and
//!   aberration; 1″ of longitude is about 24 seconds of time;
//! * ΔT = TT − UT from the Espenak–Meeus (2006) polynomials used by NASA's
//!   eclipse tables;
//! * Korea's calendar time: UTC+9 (135°E), except 1954-03-21..1961-08-09
//!   (UTC+8:30, 127.5°E) and before 1912 (UTC+8, which is what KASI's
//!   tables for those years agree with).
//!
//! Accuracy. During development every month from 1900 to 2050 (1,868 of
//! them) was compared with KASI's lunar table (its conversion data as
//! embedded in the korean-lunar-calendar library): every month starts on
//! the same day and every leap month is the same. The tests keep every lunar
//! new year and leap month from 2000 to 2050, KASI sample conversions from
//! 1964 to 2045, and checks of the solar terms against KASI's published
//! times. The guarantee is therefore 1900–2050 exactly; 2051–2100 follows
//! the same rules, but three new moons there fall within a minute of Korean
//! midnight (2051-11-03, 2074-08-22 and 2097-01-13, all just before it by
//! this computation), where the error of the lunar series and the unknown
//! future ΔT could move a month start by a day. Before 1900 the historical
//! calendar was computed differently and a few months disagree.

use crate::calendar::Date;

/// A date in the Korean lunisolar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LunarDate {
    /// Lunar year; months 11 and 12 belong to the year whose month 1 came
    /// before them (so lunar 2026-12-30 is solar 2027-02-06).
    pub year: i32,
    /// 1–12.
    pub month: u8,
    /// True for a leap month (윤달), which follows the regular month of the
    /// same number.
    pub leap: bool,
    /// 1–30.
    pub day: u8,
}

/// Converts a solar (Gregorian) date to the Korean lunar calendar.
///
/// Agrees with KASI for every day of 1900–2050 (see the module
/// documentation for 2051–2100); other years follow the same astronomical
/// rules.
pub fn solar_to_lunar(date: Date) -> LunarDate {
    let day = date.to_days();
    let year = date.year();
    // Year y's layout runs from the month-11 start in November/December of
    // y−1 to the month-11 start in November/December of y, so a date lies in
    // the layout of its own year or of the next one.
    for sui in [Sui::ending_in(year), Sui::ending_in(year + 1)] {
        if let Some(found) = sui.locate(day) {
            return found;
        }
    }
    // Unreachable: the two layouts above cover every day of `year`. Should
    // a bug ever break that, the year before is the last place to look.
    Sui::ending_in(year - 1).locate(day).unwrap_or(LunarDate {
        year,
        month: 1,
        leap: false,
        day: 1,
    })
}

/// Converts a Korean lunar date to the solar (Gregorian) calendar.
///
/// `None` when the month does not exist that year (a leap month that year
/// does not have, a month outside 1–12), the day is past the end of the
/// month (a 29-day month has no day 30), or the result is outside the range
/// of [`Date`].
pub fn lunar_to_solar(year: i32, month: u8, leap: bool, day: u8) -> Option<Date> {
    // Lunar years outside 1–9999 have no days inside the range of `Date`,
    // and rejecting them first keeps the year arithmetic below in range.
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=30).contains(&day) {
        return None;
    }
    // Months 11 and 12 of lunar year y come before the winter solstice of
    // y+1 that ends their layout.
    let sui = Sui::ending_in(if month >= 11 { year + 1 } else { year });
    let index = sui
        .months
        .iter()
        .position(|m| m.lunar_year == year && m.number == month && m.leap == leap)?;
    let start = sui.months.get(index)?.start;
    let next = sui.months.get(index + 1).map_or(sui.end, |m| m.start);
    if i64::from(day) > next - start {
        return None;
    }
    Date::from_days(start + i64::from(day) - 1)
}

/// Julian Day of 2000-01-01T12:00 TT (J2000.0).
const J2000: f64 = 2_451_545.0;
/// Julian Day of 1970-01-01T00:00 UTC, where Unix day 0 starts.
const UNIX_EPOCH_JD: f64 = 2_440_587.5;
const SECONDS_PER_DAY: f64 = 86_400.0;
/// Mean synodic month in days (Meeus 49.1).
const SYNODIC_MONTH: f64 = 29.530_588_861;

/// One lunar month in a layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Month {
    /// Unix day (days since 1970-01-01) of the first day of the month.
    start: i64,
    number: u8,
    leap: bool,
    lunar_year: i32,
}

/// The months between two winter solstices (a 歲, 세): from the month that
/// contains the winter solstice of `year − 1` (month 11) up to, not
/// including, the month that contains the winter solstice of `year`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sui {
    months: Vec<Month>,
    /// Unix day on which the next month 11 starts.
    end: i64,
}

impl Sui {
    fn ending_in(year: i32) -> Sui {
        let first_k = month_containing(winter_solstice_day(year - 1));
        let next_k = month_containing(winter_solstice_day(year));
        let starts: Vec<i64> = (first_k..=next_k).map(new_moon_day).collect();
        let count = starts.len().saturating_sub(1);

        // In a 13-month layout the first month without a principal term is
        // the leap month. Month 11 (index 0) contains the solstice itself, so
        // the search starts at index 1.
        let leap_index = if count == 13 {
            (1..count).find(|&i| {
                let (Some(&from), Some(&to)) = (starts.get(i), starts.get(i + 1)) else {
                    return false;
                };
                principal_term_index(from) == principal_term_index(to)
            })
        } else {
            None
        };

        let mut months = Vec::with_capacity(count);
        let mut number: u8 = 10;
        for (i, &start) in starts.iter().take(count).enumerate() {
            let leap = Some(i) == leap_index;
            if !leap {
                number = number % 12 + 1;
            }
            // Months 11 and 12 (and a leap 11 or 12) precede month 1 of
            // `year`, so they belong to the lunar year before.
            let lunar_year = if number >= 11 { year - 1 } else { year };
            months.push(Month {
                start,
                number,
                leap,
                lunar_year,
            });
        }
        Sui {
            months,
            end: starts.last().copied().unwrap_or_default(),
        }
    }

    fn locate(&self, day: i64) -> Option<LunarDate> {
        let first = self.months.first()?;
        if day < first.start || day >= self.end {
            return None;
        }
        let month = self.months.iter().rev().find(|m| m.start <= day)?;
        Some(LunarDate {
            year: month.lunar_year,
            month: month.number,
            leap: month.leap,
            day: u8::try_from(day - month.start + 1).ok()?,
        })
    }
}

/// Offset of Korea's calendar time from UT, in days, for an instant given
/// as a Unix day number (UT). KASI computes the calendar on 135°E (UTC+9),
/// except from 1954-03-21 to 1961-08-09 when Korea kept 127.5°E time
/// (UTC+8:30). KASI's tables before 1912 agree with 120°E (UTC+8): with
/// that offset every month from 1900 to 1911 matches them, with UTC+8:30
/// six do not.
fn calendar_offset_days(unix_day_ut: f64) -> f64 {
    const START_1912: f64 = -21_185.0; // 1912-01-01
    const START_1954_03_21: f64 = -5_765.0; // 1954-03-21
    const START_1961_08_10: f64 = -3_066.0; // 1961-08-10
    let hours = if unix_day_ut < START_1912 {
        8.0
    } else if (START_1954_03_21..START_1961_08_10).contains(&unix_day_ut) {
        8.5
    } else {
        9.0
    };
    hours / 24.0
}

/// The Korean civil day (Unix day number) containing an instant given as a
/// Julian Ephemeris Day (TT).
fn korean_day_of(jde: f64) -> i64 {
    let unix_ut = jde - delta_t_seconds(jde) / SECONDS_PER_DAY - UNIX_EPOCH_JD;
    // Float to integer: the value is a day count within ±10⁷, far inside
    // i64, and `as` saturates rather than wrapping in any case.
    (unix_ut + calendar_offset_days(unix_ut)).floor() as i64
}

/// Julian Ephemeris Day (TT) of 00:00 Korean calendar time on a Unix day.
fn korean_midnight_jde(day: i64) -> f64 {
    let unix_local = day as f64;
    let unix_ut = unix_local - calendar_offset_days(unix_local - 9.0 / 24.0);
    let jd_ut = unix_ut + UNIX_EPOCH_JD;
    jd_ut + delta_t_seconds(jd_ut) / SECONDS_PER_DAY
}

/// Unix day on which lunation `k` starts in Korea (k = 0 is the new moon of
/// 2000-01-06).
fn new_moon_day(k: i64) -> i64 {
    korean_day_of(new_moon_jde(k as f64))
}

/// The lunation whose month contains the given Unix day.
fn month_containing(day: i64) -> i64 {
    let jd = day as f64 + UNIX_EPOCH_JD;
    let mut k = ((jd - 2_451_550.097_66) / SYNODIC_MONTH).floor() as i64;
    // The estimate is off by at most one lunation; settle it exactly.
    while new_moon_day(k) > day {
        k -= 1;
    }
    while new_moon_day(k + 1) <= day {
        k += 1;
    }
    k
}

/// Index (0–11) of the 30° sector of apparent solar longitude at 00:00
/// Korean time on a Unix day. A month contains a principal term exactly
/// when this index differs between its first day and the next month's.
fn principal_term_index(day: i64) -> i64 {
    (sun_apparent_longitude(korean_midnight_jde(day)) / 30.0).floor() as i64
}

/// Unix day (Korean calendar time) of the December solstice of `year`.
fn winter_solstice_day(year: i32) -> i64 {
    // Start the search at noon on 21 December, within a day of the answer.
    let guess = days_from_civil(i64::from(year), 12, 21) as f64 + UNIX_EPOCH_JD + 0.5;
    korean_day_of(solar_longitude_instant(270.0, guess))
}

/// Proleptic Gregorian day count, like [`Date::to_days`] but for any year
/// (the layout of year 1 reaches back into year 0).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Instant (JDE) near `guess` at which the Sun's apparent longitude equals
/// `target` degrees.
fn solar_longitude_instant(target: f64, guess: f64) -> f64 {
    let mut jde = guess;
    for _ in 0..30 {
        let difference = (target - sun_apparent_longitude(jde) + 540.0).rem_euclid(360.0) - 180.0;
        // The Sun moves about 360° in 365.2422 days; the residual error in
        // that rate only slows convergence, never stops it.
        let step = difference * 365.2422 / 360.0;
        jde += step;
        if step.abs() < 1e-7 {
            break;
        }
    }
    jde
}

/// ΔT = TT − UT in seconds (Espenak & Meeus 2006, as published with NASA's
/// Five Millennium Canon of Solar Eclipses).
fn delta_t_seconds(jd: f64) -> f64 {
    let y = 2000.0 + (jd - J2000) / 365.2425;
    let long_term = |y: f64| {
        let u = (y - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u
    };
    if y < -500.0 {
        long_term(y)
    } else if y < 500.0 {
        let u = y / 100.0;
        poly(
            u,
            &[
                10_583.6,
                -1_014.41,
                33.783_11,
                -5.952_053,
                -0.179_845_2,
                0.022_174_192,
                0.009_031_652_1,
            ],
        )
    } else if y < 1600.0 {
        let u = (y - 1000.0) / 100.0;
        poly(
            u,
            &[
                1_574.2,
                -556.01,
                71.234_72,
                0.319_781,
                -0.850_346_3,
                -0.005_050_998,
                0.008_357_207_3,
            ],
        )
    } else if y < 1700.0 {
        let t = y - 1600.0;
        poly(t, &[120.0, -0.9808, -0.015_32, 1.0 / 7_129.0])
    } else if y < 1800.0 {
        let t = y - 1700.0;
        poly(
            t,
            &[8.83, 0.1603, -0.005_928_5, 0.000_133_36, -1.0 / 1_174_000.0],
        )
    } else if y < 1860.0 {
        let t = y - 1800.0;
        poly(
            t,
            &[
                13.72,
                -0.332_447,
                0.006_861_2,
                0.004_111_6,
                -0.000_374_36,
                0.000_012_127_2,
                -0.000_000_169_9,
                0.000_000_000_875,
            ],
        )
    } else if y < 1900.0 {
        let t = y - 1860.0;
        poly(
            t,
            &[
                7.62,
                0.5737,
                -0.251_754,
                0.016_806_68,
                -0.000_447_362_4,
                1.0 / 233_174.0,
            ],
        )
    } else if y < 1920.0 {
        let t = y - 1900.0;
        poly(
            t,
            &[-2.79, 1.494_119, -0.059_893_9, 0.006_196_6, -0.000_197],
        )
    } else if y < 1941.0 {
        let t = y - 1920.0;
        poly(t, &[21.20, 0.844_93, -0.076_100, 0.002_093_6])
    } else if y < 1961.0 {
        let t = y - 1950.0;
        poly(t, &[29.07, 0.407, -1.0 / 233.0, 1.0 / 2_547.0])
    } else if y < 1986.0 {
        let t = y - 1975.0;
        poly(t, &[45.45, 1.067, -1.0 / 260.0, -1.0 / 718.0])
    } else if y < 2005.0 {
        let t = y - 2000.0;
        poly(
            t,
            &[
                63.86,
                0.3345,
                -0.060_374,
                0.001_727_5,
                0.000_651_814,
                0.000_023_735_99,
            ],
        )
    } else if y < 2050.0 {
        let t = y - 2000.0;
        poly(t, &[62.92, 0.322_17, 0.005_589])
    } else if y < 2150.0 {
        long_term(y) - 0.5628 * (2150.0 - y)
    } else {
        long_term(y)
    }
}

/// Horner evaluation of `c[0] + c[1]·x + c[2]·x² + …`.
fn poly(x: f64, coefficients: &[f64]) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, c| acc * x + c)
}

/// Sine of an angle in degrees.
fn sin_deg(degrees: f64) -> f64 {
    degrees.to_radians().sin()
}

/// Instant (JDE, TT) of new moon number `k` (k = 0 on 2000-01-06), Meeus
/// chapter 49.
fn new_moon_jde(k: f64) -> f64 {
    let t = k / 1_236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let t4 = t3 * t;
    let mean = 2_451_550.097_66 + SYNODIC_MONTH * k + 0.000_154_37 * t2 - 0.000_000_150 * t3
        + 0.000_000_000_73 * t4;
    // Eccentricity of the Earth's orbit (47.6).
    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t2;
    // Sun's mean anomaly, Moon's mean anomaly, Moon's argument of latitude,
    // longitude of the ascending node (degrees).
    let m = 2.553_4 + 29.105_356_70 * k - 0.000_001_4 * t2 - 0.000_000_11 * t3;
    let mp =
        201.564_3 + 385.816_935_28 * k + 0.010_758_2 * t2 + 0.000_012_38 * t3 - 0.000_000_058 * t4;
    let f =
        160.710_8 + 390.670_502_84 * k - 0.001_611_8 * t2 - 0.000_002_27 * t3 + 0.000_000_011 * t4;
    let omega = 124.774_6 - 1.563_755_88 * k + 0.002_067_2 * t2 + 0.000_002_15 * t3;

    let periodic = -0.407_20 * sin_deg(mp)
        + 0.172_41 * e * sin_deg(m)
        + 0.016_08 * sin_deg(2.0 * mp)
        + 0.010_39 * sin_deg(2.0 * f)
        + 0.007_39 * e * sin_deg(mp - m)
        - 0.005_14 * e * sin_deg(mp + m)
        + 0.002_08 * e * e * sin_deg(2.0 * m)
        - 0.001_11 * sin_deg(mp - 2.0 * f)
        - 0.000_57 * sin_deg(mp + 2.0 * f)
        + 0.000_56 * e * sin_deg(2.0 * mp + m)
        - 0.000_42 * sin_deg(3.0 * mp)
        + 0.000_42 * e * sin_deg(m + 2.0 * f)
        + 0.000_38 * e * sin_deg(m - 2.0 * f)
        - 0.000_24 * e * sin_deg(2.0 * mp - m)
        - 0.000_17 * sin_deg(omega)
        - 0.000_07 * sin_deg(mp + 2.0 * m)
        + 0.000_04 * sin_deg(2.0 * mp - 2.0 * f)
        + 0.000_04 * sin_deg(3.0 * m)
        + 0.000_03 * sin_deg(mp + m - 2.0 * f)
        + 0.000_03 * sin_deg(2.0 * mp + 2.0 * f)
        - 0.000_03 * sin_deg(mp + m + 2.0 * f)
        + 0.000_03 * sin_deg(mp - m + 2.0 * f)
        - 0.000_02 * sin_deg(mp - m - 2.0 * f)
        - 0.000_02 * sin_deg(3.0 * mp + m)
        + 0.000_02 * sin_deg(4.0 * mp);

    // Planetary arguments A1–A14 and their coefficients (Meeus p. 351).
    let planetary: [(f64, f64); 14] = [
        (0.000_325, 299.77 + 0.107_408 * k - 0.009_173 * t2),
        (0.000_165, 251.88 + 0.016_321 * k),
        (0.000_164, 251.83 + 26.651_886 * k),
        (0.000_126, 349.42 + 36.412_478 * k),
        (0.000_110, 84.66 + 18.206_239 * k),
        (0.000_062, 141.74 + 53.303_771 * k),
        (0.000_060, 207.14 + 2.453_732 * k),
        (0.000_056, 154.84 + 7.306_860 * k),
        (0.000_047, 34.52 + 27.261_239 * k),
        (0.000_042, 207.19 + 0.121_824 * k),
        (0.000_040, 291.34 + 1.844_379 * k),
        (0.000_037, 161.72 + 24.198_154 * k),
        (0.000_035, 239.56 + 25.513_099 * k),
        (0.000_023, 331.55 + 3.592_518 * k),
    ];
    let additional: f64 = planetary
        .iter()
        .map(|&(coefficient, argument)| coefficient * sin_deg(argument))
        .sum();

    mean + periodic + additional
}

/// The Sun's apparent geocentric longitude in degrees, 0 ≤ λ < 360, at a
/// Julian Ephemeris Day (TT).
fn sun_apparent_longitude(jde: f64) -> f64 {
    // Julian millennia and centuries from J2000.0.
    let tau = (jde - J2000) / 365_250.0;
    let t = tau * 10.0;
    let earth_longitude = vsop(EARTH_L, tau); // radians, heliocentric
    let earth_radius = vsop(EARTH_R, tau); // AU

    // Geocentric longitude of the Sun is the Earth's heliocentric one plus
    // 180°; then VSOP87 dynamical ecliptic → FK5 (Meeus 32.3, the latitude
    // term is below 0.001″ for the Sun and omitted).
    let geometric = earth_longitude.to_degrees() + 180.0 - 0.090_33 / 3_600.0;

    // Nutation in longitude, Meeus ch. 22 abridged (error < 0.5″).
    let omega = 125.044_52 - 1_934.136_261 * t;
    let sun_mean = 280.466_5 + 36_000.769_8 * t;
    let moon_mean = 218.316_5 + 481_267.881_3 * t;
    let nutation =
        -17.20 * sin_deg(omega) - 1.32 * sin_deg(2.0 * sun_mean) - 0.23 * sin_deg(2.0 * moon_mean)
            + 0.21 * sin_deg(2.0 * omega);

    // Annual aberration (Meeus 25.10).
    let aberration = -20.489_8 / earth_radius;

    (geometric + (nutation + aberration) / 3_600.0).rem_euclid(360.0)
}

/// Evaluates a VSOP87 series: Σᵢ τⁱ · Σ A·cos(B + C·τ), scaled from 10⁻⁸.
fn vsop(series: &[&[(f64, f64, f64)]], tau: f64) -> f64 {
    let mut total = 0.0;
    let mut power = 1.0;
    for terms in series {
        let sum: f64 = terms.iter().map(|&(a, b, c)| a * (b + c * tau).cos()).sum();
        total += sum * power;
        power *= tau;
    }
    total / 1e8
}

/// VSOP87 heliocentric longitude of the Earth, Meeus Appendix III
/// (L0–L5; amplitude in 10⁻⁸ rad, phase in rad, frequency in rad per
/// Julian millennium).
// The phases 3.142 and 3.14 are published coefficients that round π;
// they stay as printed so the series is Meeus' table verbatim.
#[allow(clippy::approx_constant)]
const EARTH_L: &[&[(f64, f64, f64)]] = &[
    &[
        (175_347_046.0, 0.0, 0.0),
        (3_341_656.0, 4.669_256_8, 6_283.075_85),
        (34_894.0, 4.626_1, 12_566.151_7),
        (3_497.0, 2.744_1, 5_753.384_9),
        (3_418.0, 2.828_9, 3.523_1),
        (3_136.0, 3.627_7, 77_713.771_5),
        (2_676.0, 4.418_1, 7_860.419_4),
        (2_343.0, 6.135_2, 3_930.209_7),
        (1_324.0, 0.742_5, 11_506.769_8),
        (1_273.0, 2.037_1, 529.691),
        (1_199.0, 1.109_6, 1_577.343_5),
        (990.0, 5.233, 5_884.927),
        (902.0, 2.045, 26.298),
        (857.0, 3.508, 398.149),
        (780.0, 1.179, 5_223.694),
        (753.0, 2.533, 5_507.553),
        (505.0, 4.583, 18_849.228),
        (492.0, 4.205, 775.523),
        (357.0, 2.92, 0.067),
        (317.0, 5.849, 11_790.629),
        (284.0, 1.899, 796.298),
        (271.0, 0.315, 10_977.079),
        (243.0, 0.345, 5_486.778),
        (206.0, 4.806, 2_544.314),
        (205.0, 1.869, 5_573.143),
        (202.0, 2.458, 6_069.777),
        (156.0, 0.833, 213.299),
        (132.0, 3.411, 2_942.463),
        (126.0, 1.083, 20.775),
        (115.0, 0.645, 0.98),
        (103.0, 0.636, 4_694.003),
        (102.0, 0.976, 15_720.839),
        (102.0, 4.267, 7.114),
        (99.0, 6.21, 2_146.17),
        (98.0, 0.68, 155.42),
        (86.0, 5.98, 161_000.69),
        (85.0, 1.3, 6_275.96),
        (85.0, 3.67, 71_430.7),
        (80.0, 1.81, 17_260.15),
        (79.0, 3.04, 12_036.46),
        (75.0, 1.76, 5_088.63),
        (74.0, 3.5, 3_154.69),
        (74.0, 4.68, 801.82),
        (70.0, 0.83, 9_437.76),
        (62.0, 3.98, 8_827.39),
        (61.0, 1.82, 7_084.9),
        (57.0, 2.78, 6_286.6),
        (56.0, 4.39, 14_143.5),
        (56.0, 3.47, 6_279.55),
        (52.0, 0.19, 12_139.55),
        (52.0, 1.33, 1_748.02),
        (51.0, 0.28, 5_856.48),
        (49.0, 0.49, 1_194.45),
        (41.0, 5.37, 8_429.24),
        (41.0, 2.4, 19_651.05),
        (39.0, 6.17, 10_447.39),
        (37.0, 6.04, 10_213.29),
        (37.0, 2.57, 1_059.38),
        (36.0, 1.71, 2_352.87),
        (36.0, 1.78, 6_812.77),
        (33.0, 0.59, 17_789.85),
        (30.0, 0.44, 83_996.85),
        (30.0, 2.74, 1_349.87),
        (25.0, 3.16, 4_690.48),
    ],
    &[
        (628_331_966_747.0, 0.0, 0.0),
        (206_059.0, 2.678_235, 6_283.075_85),
        (4_303.0, 2.635_1, 12_566.151_7),
        (425.0, 1.59, 3.523),
        (119.0, 5.796, 26.298),
        (109.0, 2.966, 1_577.344),
        (93.0, 2.59, 18_849.23),
        (72.0, 1.14, 529.69),
        (68.0, 1.87, 398.15),
        (67.0, 4.41, 5_507.55),
        (59.0, 2.89, 5_223.69),
        (56.0, 2.17, 155.42),
        (45.0, 0.4, 796.3),
        (36.0, 0.47, 775.52),
        (29.0, 2.65, 7.11),
        (21.0, 5.34, 0.98),
        (19.0, 1.85, 5_486.78),
        (19.0, 4.97, 213.3),
        (17.0, 2.99, 6_275.96),
        (16.0, 0.03, 2_544.31),
        (16.0, 1.43, 2_146.17),
        (15.0, 1.21, 10_977.08),
        (12.0, 2.83, 1_748.02),
        (12.0, 3.26, 5_088.63),
        (12.0, 5.27, 1_194.45),
        (12.0, 2.08, 4_694.0),
        (11.0, 0.77, 553.57),
        (10.0, 1.3, 6_286.6),
        (10.0, 4.24, 1_349.87),
        (9.0, 2.7, 242.73),
        (9.0, 5.64, 951.72),
        (8.0, 5.3, 2_352.87),
        (6.0, 2.65, 9_437.76),
        (6.0, 4.67, 4_690.48),
    ],
    &[
        (52_919.0, 0.0, 0.0),
        (8_720.0, 1.072_1, 6_283.075_8),
        (309.0, 0.867, 12_566.152),
        (27.0, 0.05, 3.52),
        (16.0, 5.19, 26.3),
        (16.0, 3.68, 155.42),
        (10.0, 0.76, 18_849.23),
        (9.0, 2.06, 77_713.77),
        (7.0, 0.83, 775.52),
        (5.0, 4.66, 1_577.34),
        (4.0, 1.03, 7.11),
        (4.0, 3.44, 5_573.14),
        (3.0, 5.14, 796.3),
        (3.0, 6.05, 5_507.55),
        (3.0, 1.19, 242.73),
        (3.0, 6.12, 529.69),
        (3.0, 0.31, 398.15),
        (3.0, 2.28, 553.57),
        (2.0, 4.38, 5_223.69),
        (2.0, 3.75, 0.98),
    ],
    &[
        (289.0, 5.844, 6_283.076),
        (35.0, 0.0, 0.0),
        (17.0, 5.49, 12_566.15),
        (3.0, 5.2, 155.42),
        (1.0, 4.72, 3.52),
        (1.0, 5.3, 18_849.23),
        (1.0, 5.97, 242.73),
    ],
    &[
        (114.0, 3.142, 0.0),
        (8.0, 4.13, 6_283.08),
        (1.0, 3.84, 12_566.15),
    ],
    &[(1.0, 3.14, 0.0)],
];

/// VSOP87 Earth–Sun distance, Meeus Appendix III (R0–R4; amplitude in
/// 10⁻⁸ AU). Only the aberration term needs it.
// The phases 3.142 and 3.14 are published coefficients that round π;
// they stay as printed so the series is Meeus' table verbatim.
#[allow(clippy::approx_constant)]
const EARTH_R: &[&[(f64, f64, f64)]] = &[
    &[
        (100_013_989.0, 0.0, 0.0),
        (1_670_700.0, 3.098_463_5, 6_283.075_85),
        (13_956.0, 3.055_25, 12_566.151_7),
        (3_084.0, 5.198_5, 77_713.771_5),
        (1_628.0, 1.173_9, 5_753.384_9),
        (1_576.0, 2.846_9, 7_860.419_4),
        (925.0, 5.453, 11_506.77),
        (542.0, 4.564, 3_930.21),
        (472.0, 3.661, 5_884.927),
        (346.0, 0.964, 5_507.553),
        (329.0, 5.9, 5_223.694),
        (307.0, 0.299, 5_573.143),
        (243.0, 4.273, 11_790.629),
        (212.0, 5.847, 1_577.344),
        (186.0, 5.022, 10_977.079),
        (175.0, 3.012, 18_849.228),
        (110.0, 5.055, 5_486.778),
        (98.0, 0.89, 6_069.78),
        (86.0, 5.69, 15_720.84),
        (86.0, 1.27, 161_000.69),
        (65.0, 0.27, 17_260.15),
        (63.0, 0.92, 529.69),
        (57.0, 2.01, 83_996.85),
        (56.0, 5.24, 71_430.7),
        (49.0, 3.25, 2_544.31),
        (47.0, 2.58, 775.52),
        (45.0, 5.54, 9_437.76),
        (43.0, 6.01, 6_275.96),
        (39.0, 5.36, 4_694.0),
        (38.0, 2.39, 8_827.39),
        (37.0, 0.83, 19_651.05),
        (37.0, 4.9, 12_139.55),
        (36.0, 1.67, 12_036.46),
        (35.0, 1.84, 2_942.46),
        (33.0, 0.24, 7_084.9),
        (32.0, 0.18, 5_088.63),
        (32.0, 1.78, 398.15),
        (28.0, 1.21, 6_286.6),
        (28.0, 1.9, 6_279.55),
        (26.0, 4.59, 10_447.39),
    ],
    &[
        (103_019.0, 1.107_49, 6_283.075_85),
        (1_721.0, 1.064_4, 12_566.151_7),
        (702.0, 3.142, 0.0),
        (32.0, 1.02, 18_849.23),
        (31.0, 2.84, 5_507.55),
        (25.0, 1.32, 5_223.69),
        (18.0, 1.42, 1_577.34),
        (10.0, 5.91, 10_977.08),
        (9.0, 1.42, 6_275.96),
        (9.0, 0.27, 5_486.78),
    ],
    &[
        (4_359.0, 5.784_6, 6_283.075_8),
        (124.0, 5.579, 12_566.152),
        (12.0, 3.14, 0.0),
        (9.0, 3.63, 77_713.77),
        (6.0, 1.87, 5_573.14),
        (3.0, 5.47, 18_849.23),
    ],
    &[(145.0, 4.273, 6_283.076), (7.0, 3.92, 12_566.15)],
    &[(4.0, 2.56, 6_283.08)],
];

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).expect("valid date")
    }

    fn lunar(year: i32, month: u8, leap: bool, day: u8) -> LunarDate {
        LunarDate {
            year,
            month,
            leap,
            day,
        }
    }

    /// JDE of a Korean (UTC+9) wall-clock time.
    fn kst_jde(day: &str, hour: u32, minute: u32, second: u32) -> f64 {
        let unix = date(day).to_days() as f64
            + (f64::from(hour) - 9.0) / 24.0
            + f64::from(minute) / 1_440.0
            + f64::from(second) / SECONDS_PER_DAY;
        let jd = unix + UNIX_EPOCH_JD;
        jd + delta_t_seconds(jd) / SECONDS_PER_DAY
    }

    #[test]
    fn new_moon_of_february_1977_matches_meeus_example_49a() {
        // Meeus: k = −283, JDE 2443192.65118 = 1977 Feb 18, 3h37m42s TD.
        let jde = new_moon_jde(-283.0);
        assert!((jde - 2_443_192.651_18).abs() < 1e-5, "{jde}");
    }

    #[test]
    fn sun_longitude_on_1992_october_13_matches_meeus_example_25b() {
        // Meeus: apparent λ = 199°54′21.818″ at JDE 2448908.5 (full VSOP87;
        // the truncated series is good to about a second of arc).
        let expected = 199.0 + 54.0 / 60.0 + 21.818 / 3_600.0;
        let got = sun_apparent_longitude(2_448_908.5);
        assert!((got - expected).abs() < 2.0 / 3_600.0, "{got}");
    }

    #[test]
    fn solstices_and_equinoxes_of_2008_fall_within_a_minute_of_kasi_times() {
        // KASI's published instants (KST) of 춘분, 하지, 추분 and 동지, 2008.
        let cases = [
            (0.0, kst_jde("2008-03-20", 14, 48, 12)),
            (90.0, kst_jde("2008-06-21", 8, 59, 16)),
            (180.0, kst_jde("2008-09-23", 0, 44, 24)),
            (270.0, kst_jde("2008-12-21", 21, 3, 40)),
        ];
        for (longitude, kasi) in cases {
            let ours = solar_longitude_instant(longitude, kasi + 1.0);
            let minutes = (ours - kasi) * 1_440.0;
            assert!(minutes.abs() < 1.0, "{longitude}°: off by {minutes} min");
        }
    }

    #[test]
    fn solar_terms_of_2027_match_the_kasi_calendar_to_the_minute() {
        // KASI calendar data for 2027: 소한 1-05 23:10, 입춘 2-04 10:46,
        // 춘분 3-21 05:25, 곡우 4-20 16:18 (KST).
        let cases = [
            (285.0, kst_jde("2027-01-05", 23, 10, 0)),
            (315.0, kst_jde("2027-02-04", 10, 46, 0)),
            (0.0, kst_jde("2027-03-21", 5, 25, 0)),
            (30.0, kst_jde("2027-04-20", 16, 18, 0)),
        ];
        for (longitude, kasi) in cases {
            let ours = solar_longitude_instant(longitude, kasi);
            let minutes = (ours - kasi) * 1_440.0;
            // KASI publishes minutes; allow for its rounding either way.
            assert!(minutes.abs() < 1.0, "{longitude}°: {minutes} min");
        }
    }

    #[test]
    fn delta_t_is_about_a_minute_around_today() {
        let jd = 2_461_041.5; // 2026-01-01
        let dt = delta_t_seconds(jd);
        assert!((60.0..90.0).contains(&dt), "{dt}");
    }

    /// Lunar new year (설날) and leap month (0 = none) per KASI, 2000–2050.
    const KASI_NEW_YEARS: [(i32, &str, u8); 51] = [
        (2000, "2000-02-05", 0),
        (2001, "2001-01-24", 4),
        (2002, "2002-02-12", 0),
        (2003, "2003-02-01", 0),
        (2004, "2004-01-22", 2),
        (2005, "2005-02-09", 0),
        (2006, "2006-01-29", 7),
        (2007, "2007-02-18", 0),
        (2008, "2008-02-07", 0),
        (2009, "2009-01-26", 5),
        (2010, "2010-02-14", 0),
        (2011, "2011-02-03", 0),
        (2012, "2012-01-23", 3),
        (2013, "2013-02-10", 0),
        (2014, "2014-01-31", 9),
        (2015, "2015-02-19", 0),
        (2016, "2016-02-08", 0),
        (2017, "2017-01-28", 5),
        (2018, "2018-02-16", 0),
        (2019, "2019-02-05", 0),
        (2020, "2020-01-25", 4),
        (2021, "2021-02-12", 0),
        (2022, "2022-02-01", 0),
        (2023, "2023-01-22", 2),
        (2024, "2024-02-10", 0),
        (2025, "2025-01-29", 6),
        (2026, "2026-02-17", 0),
        (2027, "2027-02-07", 0),
        (2028, "2028-01-27", 5),
        (2029, "2029-02-13", 0),
        (2030, "2030-02-03", 0),
        (2031, "2031-01-23", 3),
        (2032, "2032-02-11", 0),
        (2033, "2033-01-31", 11),
        (2034, "2034-02-19", 0),
        (2035, "2035-02-08", 0),
        (2036, "2036-01-28", 6),
        (2037, "2037-02-15", 0),
        (2038, "2038-02-04", 0),
        (2039, "2039-01-24", 5),
        (2040, "2040-02-12", 0),
        (2041, "2041-02-01", 0),
        (2042, "2042-01-22", 2),
        (2043, "2043-02-10", 0),
        (2044, "2044-01-30", 7),
        (2045, "2045-02-17", 0),
        (2046, "2046-02-06", 0),
        (2047, "2047-01-26", 5),
        (2048, "2048-02-14", 0),
        (2049, "2049-02-02", 0),
        (2050, "2050-01-23", 3),
    ];

    #[test]
    fn lunar_new_year_matches_kasi_for_every_year_from_2000_to_2050() {
        for (year, seollal, _) in KASI_NEW_YEARS {
            assert_eq!(
                lunar_to_solar(year, 1, false, 1),
                Some(date(seollal)),
                "{year}"
            );
            assert_eq!(solar_to_lunar(date(seollal)), lunar(year, 1, false, 1));
        }
    }

    #[test]
    fn leap_months_match_kasi_for_every_year_from_2000_to_2050() {
        for (year, _, leap_month) in KASI_NEW_YEARS {
            let leaps: Vec<u8> = (1..=12)
                .filter(|&m| lunar_to_solar(year, m, true, 1).is_some())
                .collect();
            let expected: Vec<u8> = if leap_month == 0 {
                Vec::new()
            } else {
                vec![leap_month]
            };
            assert_eq!(leaps, expected, "{year}");
        }
    }

    #[test]
    fn kasi_sample_conversions_agree_in_both_directions() {
        // From KASI's solar/lunar conversion service (sample of dates).
        let cases = [
            ("1964-12-19", "1965-01-21", 12, false),
            ("1968-05-13", "1968-06-08", 5, false),
            ("1968-11-04", "1968-12-23", 11, false),
            ("1971-08-07", "1971-09-25", 8, false),
            ("1977-02-23", "1977-04-11", 2, false),
            ("1984-12-27", "1985-02-16", 12, false),
            ("1991-12-09", "1992-01-13", 12, false),
            ("1997-07-15", "1997-08-17", 7, false),
            ("2003-05-19", "2003-06-18", 5, false),
            ("2009-09-06", "2009-10-23", 9, false),
            ("2010-05-29", "2010-07-10", 5, false),
            ("2015-07-22", "2015-09-04", 7, false),
            ("2021-11-23", "2021-12-26", 11, false),
            ("2028-05-02", "2028-06-24", 5, true),
            ("2028-12-08", "2029-01-22", 12, false),
            ("2033-01-13", "2033-02-12", 1, false),
            ("2037-06-27", "2037-08-08", 6, false),
            ("2041-04-22", "2041-05-21", 4, false),
            ("2044-09-26", "2044-11-15", 9, false),
            ("2045-07-29", "2045-09-10", 7, false),
        ];
        for (lunar_ymd, solar, month, leap) in cases {
            let year: i32 = lunar_ymd[0..4].parse().expect("year");
            let day: u8 = lunar_ymd[8..10].parse().expect("day");
            let expected = lunar(year, month, leap, day);
            assert_eq!(solar_to_lunar(date(solar)), expected, "{solar}");
            assert_eq!(
                lunar_to_solar(year, month, leap, day),
                Some(date(solar)),
                "{lunar_ymd}"
            );
        }
    }

    #[test]
    fn seollal_2027_is_february_7_in_korea_though_the_new_moon_is_february_6_in_utc() {
        // The new moon is at 2027-02-06 15:56 UTC: 00:56 on the 7th in
        // Korea (China, at UTC+8, celebrates on the 6th).
        assert_eq!(lunar_to_solar(2027, 1, false, 1), Some(date("2027-02-07")));
        assert_eq!(
            solar_to_lunar(date("2027-02-06")),
            lunar(2026, 12, false, 30)
        );
    }

    #[test]
    fn seollal_2028_starts_on_the_day_of_a_new_moon_just_after_korean_midnight() {
        // The new moon is at 2028-01-26 15:12 UTC, 00:12 on the 27th in Korea.
        let new_moon = new_moon_jde(347.0);
        let utc = new_moon - delta_t_seconds(new_moon) / SECONDS_PER_DAY - UNIX_EPOCH_JD;
        let kst_minutes = (utc + 9.0 / 24.0 - date("2028-01-27").to_days() as f64) * 1_440.0;
        assert!((5.0..20.0).contains(&kst_minutes), "{kst_minutes}");
        assert_eq!(lunar_to_solar(2028, 1, false, 1), Some(date("2028-01-27")));
        assert_eq!(
            solar_to_lunar(date("2028-01-26")),
            lunar(2027, 12, false, 30)
        );
    }

    #[test]
    fn leap_eleventh_month_of_2033_follows_month_11_and_precedes_month_12() {
        assert_eq!(lunar_to_solar(2033, 11, false, 1), Some(date("2033-11-22")));
        assert_eq!(lunar_to_solar(2033, 11, true, 1), Some(date("2033-12-22")));
        assert_eq!(lunar_to_solar(2033, 12, false, 1), Some(date("2034-01-20")));
        assert_eq!(
            solar_to_lunar(date("2034-01-19")),
            lunar(2033, 11, true, 29)
        );
        assert_eq!(lunar_to_solar(2033, 11, true, 30), None);
    }

    #[test]
    fn the_last_day_of_a_lunar_year_belongs_to_that_year() {
        // Lunar 2026-12 has 30 days, so 설날 전날 2027 is lunar 12/30.
        assert_eq!(
            lunar_to_solar(2026, 12, false, 30),
            Some(date("2027-02-06"))
        );
        assert_eq!(
            solar_to_lunar(date("2026-12-31")),
            lunar(2026, 11, false, 23)
        );
        assert_eq!(
            solar_to_lunar(date("2026-01-01")),
            lunar(2025, 11, false, 13)
        );
    }

    #[test]
    fn nonexistent_lunar_dates_have_no_solar_date() {
        assert_eq!(
            lunar_to_solar(2027, 5, true, 1),
            None,
            "2027 has no leap month"
        );
        assert_eq!(lunar_to_solar(2025, 5, true, 1), None, "2025 leaps month 6");
        assert!(lunar_to_solar(2025, 6, true, 1).is_some());
        assert_eq!(
            lunar_to_solar(2025, 6, true, 30),
            None,
            "leap 6 of 2025 has 29 days"
        );
        assert_eq!(lunar_to_solar(2026, 0, false, 1), None);
        assert_eq!(lunar_to_solar(2026, 13, false, 1), None);
        assert_eq!(lunar_to_solar(2026, 1, false, 0), None);
        assert_eq!(lunar_to_solar(2026, 1, false, 31), None);
        assert_eq!(lunar_to_solar(i32::MAX, 12, false, 1), None);
        assert_eq!(lunar_to_solar(i32::MIN, 1, false, 1), None);
    }

    #[test]
    fn the_ends_of_the_date_range_convert_without_panicking() {
        let last = solar_to_lunar(Date::MAX);
        assert_eq!(last.year, 9999);
        assert_eq!(
            lunar_to_solar(last.year, last.month, last.leap, last.day),
            Some(Date::MAX)
        );
        // 0001-01-01 lies in lunar year 0, which `lunar_to_solar` refuses
        // because most of that year precedes 0001-01-01.
        assert_eq!(solar_to_lunar(Date::MIN).year, 0);
    }

    #[test]
    fn every_layout_from_1900_to_2100_has_consistent_months() {
        let mut previous_end: Option<i64> = None;
        for year in 1900..=2100 {
            let sui = Sui::ending_in(year);
            let count = sui.months.len();
            assert!(count == 12 || count == 13, "{year}: {count} months");
            let leaps = sui.months.iter().filter(|m| m.leap).count();
            assert_eq!(leaps, usize::from(count == 13), "{year}");
            assert_eq!(sui.months.first().map(|m| m.number), Some(11), "{year}");
            if let Some(end) = previous_end {
                assert_eq!(sui.months.first().map(|m| m.start), Some(end), "{year}");
            }
            previous_end = Some(sui.end);
            for pair in sui.months.windows(2) {
                let length = pair[1].start - pair[0].start;
                assert!(length == 29 || length == 30, "{year}: {length}");
                let expected = if pair[1].leap {
                    pair[0].number
                } else {
                    pair[0].number % 12 + 1
                };
                assert_eq!(pair[1].number, expected, "{year}");
            }
        }
    }

    #[test]
    fn month_boundaries_round_trip_between_the_calendars() {
        for year in (2000..=2050).step_by(5) {
            let sui = Sui::ending_in(year);
            for (i, month) in sui.months.iter().enumerate() {
                let next = sui.months.get(i + 1).map_or(sui.end, |m| m.start);
                let length = u8::try_from(next - month.start).expect("short month");
                for (day, offset) in [(1, 0), (length, next - month.start - 1)] {
                    let solar = Date::from_days(month.start + offset).expect("in range");
                    let expected = lunar(month.lunar_year, month.number, month.leap, day);
                    assert_eq!(solar_to_lunar(solar), expected, "{solar}");
                    assert_eq!(
                        lunar_to_solar(month.lunar_year, month.number, month.leap, day),
                        Some(solar)
                    );
                }
            }
        }
    }
}
