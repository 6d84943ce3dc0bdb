//! 통계 in headless Chromium: the demo (with its six weeks of calls, whose
//! ends went through the statistics aggregator) opens the page for those
//! weeks, and every chart type is drawn with data by the vendored ECharts
//! (a canvas, series with points); the table view shows the rows.
//! Screenshots land in `target/artifacts/screenshots`.

use std::time::Duration;

use e2e::{Chromedriver, Office, screenshot};
use fantoccini::Locator;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn every_chart_type_is_drawn_with_data() {
    let data = tempfile::tempdir().expect("tempdir");
    // The example calls this time: they are what the page charts.
    let office =
        Office::start_with_env(data.path(), &[], &[("OFFICE_DEMO_NO_CALLS", "0")]).expect("office");
    let base = office.base.clone();
    let admin = &office.info["admin"];
    let driver = Chromedriver::start().expect("chromedriver");
    let profile = tempfile::tempdir().expect("profile");
    let c = driver.browser(profile.path()).await.expect("browser");
    e2e::log_in(
        &c,
        &base,
        admin["email"].as_str().expect("email"),
        admin["password"].as_str().expect("pw"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The six weeks of the demo, by day.
    let key = office.info["api_key"].as_str().expect("key").to_owned();
    let today: Value = reqwest::Client::new()
        .get(format!("{base}/v1/stats?grain=month"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    let to = today["to"].as_str().expect("to").to_owned();
    let from = {
        let d = domain::calendar::Date::parse(&to).expect("date");
        d.add_days(-41).to_string()
    };
    c.goto(&format!(
        "{base}/admin/stats?from={from}&to={to}&grain=day&chart=bar"
    ))
    .await
    .expect("stats page");
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#chart canvas"))
        .await
        .expect("a drawn chart");
    let calls = c
        .find(Locator::Css("#summary .card strong"))
        .await
        .expect("summary")
        .text()
        .await
        .expect("text");
    assert!(
        calls.parse::<u32>().is_ok_and(|n| n > 50),
        "the demo's weeks have calls: {calls}"
    );

    for kind in ["bar", "line", "area", "pie", "scatter"] {
        c.find(Locator::Css(&format!(
            ".chart-tabs .tab[data-chart='{kind}']"
        )))
        .await
        .expect("tab")
        .click()
        .await
        .expect("click");
        let drawn = c
            .execute(
                r"const o = window.officeStats.option();
                  const box = document.getElementById('chart');
                  if (!o || box.hidden) { return null; }
                  return {
                    type: o.series[0].type,
                    points: o.series.map(s => s.data.length).reduce((a, b) => a + b, 0),
                    nonzero: o.series.some(s => s.data.some(v => {
                      const x = Array.isArray(v) ? v[0] : (v && v.value !== undefined ? v.value : v);
                      return x > 0;
                    })),
                    canvas: box.querySelector('canvas') !== null,
                    area: !!o.series[0].areaStyle,
                  };",
                vec![],
            )
            .await
            .expect("option");
        let want_type = match kind {
            "area" => "line",
            k => k,
        };
        assert_eq!(drawn["type"], want_type, "{kind}: {drawn}");
        assert_eq!(drawn["canvas"], true, "{kind}: {drawn}");
        assert_eq!(drawn["nonzero"], true, "{kind} has data: {drawn}");
        assert!(drawn["points"].as_u64().is_some_and(|n| n > 0), "{drawn}");
        if kind == "area" {
            assert_eq!(drawn["area"], true, "{drawn}");
        }
        tokio::time::sleep(Duration::from_millis(600)).await;
        screenshot(&c, &format!("admin-stats-{kind}"))
            .await
            .expect("shot");
    }

    // The table view: no chart, the rows of each day and each user.
    c.find(Locator::Css(".chart-tabs .tab[data-chart='grid']"))
        .await
        .expect("tab")
        .click()
        .await
        .expect("click");
    let grid = c
        .execute(
            r"return {
                hidden: document.getElementById('chart').hidden,
                days: document.querySelectorAll('#by-period tbody tr').length,
                users: document.querySelectorAll('#by-user tbody tr').length,
                url: window.location.search,
              };",
            vec![],
        )
        .await
        .expect("grid");
    assert_eq!(grid["hidden"], true, "{grid}");
    assert_eq!(grid["days"], 42 + 1, "each day and the total: {grid}");
    assert!(grid["users"].as_u64().is_some_and(|n| n >= 3), "{grid}");
    assert!(
        grid["url"]
            .as_str()
            .is_some_and(|u| u.contains("chart=grid")),
        "the choice stays in the address: {grid}"
    );
    screenshot(&c, "admin-stats-grid").await.expect("shot");
    c.close().await.expect("close");
    assert!(office.stop().expect("stop"));
}
