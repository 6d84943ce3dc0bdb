//! 회사 설정: what the company is (name, 대표번호, the code employees
//! join with) and the time zone it lives in, which its admins' screens,
//! exports, statistics and the API read days and times in.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Menu, csrf, error_box, ok, page, status_for, zone_input};
use super::{Admin, Portal, csrf_refusal};

fn company_page(p: &Portal, typed_zone: &str, error: Option<&str>, saved: bool) -> Markup {
    let t = &p.tenant;
    page(
        p,
        Menu::Company,
        "회사 설정",
        html! {
            @if saved { div class="notice" role="status" id="saved" { "저장되었습니다." } }
            (error_box(error))
            div class="card" {
                h2 { "회사 정보" }
                table id="company" {
                    tbody {
                        tr { th { "회사명" } td { (t.name) } }
                        tr { th { "대표번호" } td { (t.representative_number.as_ref().map_or_else(|| "없음".to_owned(), ToString::to_string)) } }
                        tr { th { "가입코드" } td { span class="secret" id="join-code" { (t.join_code) } " " small class="muted" { "직원이 앱에서 가입할 때 입력합니다" } } }
                    }
                }
            }
            div class="card" {
                h2 { "시간대" }
                form method="post" action="/admin/company" {
                    (csrf(p))
                    label for="time_zone" style="font-weight:400" {
                        "통화기록, 문자 내역, 정산, 통계와 API의 날짜와 시각을 이 시간대로 봅니다 (서머타임 포함). "
                        "직원은 통화시간설정에서 자기 시간대를 따로 정할 수 있습니다."
                    }
                    (zone_input(typed_zone, error.is_some()))
                    p { button type="submit" id="save-company" { "저장" } }
                }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

pub async fn show(Admin(p): Admin, Query(q): Query<Saved>) -> Response {
    let zone = p.tenant.time_zone.name().to_owned();
    ok(company_page(&p, &zone, None, q.saved.is_some()))
}

#[derive(Debug, Deserialize)]
pub struct CompanyForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    time_zone: String,
}

pub async fn save(
    State(app): State<app::App>,
    Admin(p): Admin,
    Form(f): Form<CompanyForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    match app::admin::set_time_zone(&app, &p.session.tenant, &f.time_zone).await {
        Ok(_) => Redirect::to("/admin/company?saved=1").into_response(),
        Err(fail) => (
            status_for(fail.kind),
            ok(company_page(&p, &f.time_zone, Some(&fail.message), false)),
        )
            .into_response(),
    }
}
