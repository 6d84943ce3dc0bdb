//! A report as an .xlsx workbook: the series, then one sheet per breakdown.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{Figures, Report, Row};
use crate::{Fail, Outcome};

/// Column headers after the label, in [`values`] order.
const HEADERS: [&str; 12] = [
    "전체",
    "응답",
    "부재중",
    "음성사서함",
    "대기 중 포기",
    "ARS 종료",
    "콜백 요청",
    "총 통화시간(초)",
    "평균 통화시간(초)",
    "최장 통화시간(초)",
    "평균 응답시간(초)",
    "평균 대기시간(초)",
];

fn secs(ms: i64) -> f64 {
    // Whole tenths of a second: exact enough for a spreadsheet.
    (ms / 100) as f64 / 10.0
}

fn values(f: &Figures) -> [f64; 12] {
    [
        f.calls as f64,
        f.answered as f64,
        f.missed as f64,
        f.voicemail as f64,
        f.abandoned as f64,
        f.ivr as f64,
        f.callback as f64,
        secs(f.talk_ms),
        secs(f.talk_avg_ms),
        secs(f.talk_max_ms),
        secs(f.ring_avg_ms),
        secs(f.queue_avg_ms),
    ]
}

fn sheet<'a>(
    book: &'a mut Workbook,
    name: &str,
    first: &str,
    rows: impl Iterator<Item = (&'a str, &'a Figures)>,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let ws: &mut Worksheet = book.add_worksheet();
    ws.set_name(name)?;
    ws.write_with_format(0, 0, first, &bold)?;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_with_format(0, c as u16 + 1, *h, &bold)?;
    }
    for (r, (label, f)) in rows.enumerate() {
        let r = r as u32 + 1;
        ws.write(r, 0, label)?;
        for (c, v) in values(f).iter().enumerate() {
            ws.write(r, c as u16 + 1, *v)?;
        }
    }
    ws.set_column_width(0, 28)?;
    Ok(())
}

fn rows(rows: &[Row]) -> impl Iterator<Item = (&str, &Figures)> {
    rows.iter().map(|r| (r.label.as_str(), &r.figures))
}

/// The workbook's bytes.
pub fn xlsx(r: &Report) -> Outcome<Vec<u8>> {
    let mut book = Workbook::new();
    let build = |book: &mut Workbook| -> Result<(), XlsxError> {
        let first = crate::labels::grain(r.grain);
        let total = std::iter::once(("합계", &r.subject.figures));
        let series = r.points.iter().map(|p| (p.label.as_str(), &p.figures));
        sheet(book, "기간별", first, series.chain(total))?;
        sheet(book, "사용자별", "사용자", rows(&r.users))?;
        sheet(book, "번호별", "번호", rows(&r.lines))?;
        sheet(book, "그룹별", "착신그룹", rows(&r.groups))?;
        sheet(book, "ARS 옵션별", "ARS 옵션", rows(&r.options))?;
        Ok(())
    };
    build(&mut book).map_err(|e| Fail::internal(&e))?;
    book.save_to_buffer().map_err(|e| Fail::internal(&e))
}
