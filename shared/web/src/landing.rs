//! `GET /`: the landing page (Korean), pointing at what is running.

use axum::response::Html;

pub(crate) async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>말톡오피스</title>
<style>
  body { font-family: "Noto Sans KR", "Malgun Gothic", sans-serif; margin: 0; background: #f4f6f9; color: #1d2733; }
  header { background: #1f4e8c; color: #fff; padding: 24px 32px; }
  header h1 { margin: 0; font-size: 28px; }
  header p { margin: 6px 0 0; opacity: .85; }
  main { max-width: 880px; margin: 32px auto; padding: 0 16px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 16px; }
  .card { background: #fff; border-radius: 8px; padding: 20px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  .card h2 { margin: 0 0 8px; font-size: 18px; }
  .card p { margin: 0; color: #52606d; font-size: 14px; line-height: 1.5; }
  a { color: #1f4e8c; }
  footer { text-align: center; color: #7b8794; font-size: 13px; margin: 40px 0; }
</style>
</head>
<body>
<header>
  <h1>말톡오피스</h1>
  <p>내 손안의 스마트한 오피스 — 클라우드 기업 전화 서비스</p>
</header>
<main>
  <div class="cards">
    <section class="card">
      <h2><a href="/login" id="admin-portal">관리자 페이지</a></h2>
      <p>계정관리, 통화기록, 문자발송, 정산관리, 조직도, 착신그룹, ARS 설정, 콜백 요청, 회사 설정, URL 관리, API 키, 웹훅, 통계, 모니터링</p>
    </section>
    <section class="card">
      <h2><a href="/login" id="user-portal">사용자 페이지</a></h2>
      <p>나의정보, 통화이력조회, 통화시간설정, 메시지조회(발송)</p>
    </section>
    <section class="card">
      <h2>CTI API <code>/v1</code></h2>
      <p>계정, 번호, 통화기록과 녹취, 문자, 착신그룹, ARS, 콜백 요청, 클릭투콜, 웹훅, 모니터링 — JSON / XML, API 키(관리자 페이지의 API 키)로 호출합니다. 고객사 웹 페이지의 스크린 팝업은 <a href="/cti.js">/cti.js</a> 하나로 연동합니다.</p>
      <p><a href="/docs">API 문서</a> (OpenAPI 3.1: <a href="/v1/openapi.json">/v1/openapi.json</a>)</p>
    </section>
    <section class="card">
      <h2>서비스 상태</h2>
      <p><a href="/health">/health</a> 에서 저장소 연결 상태를 확인할 수 있습니다.</p>
    </section>
  </div>
</main>
<footer>말톡오피스 · Dial Communications</footer>
</body>
</html>
"#;
