//! The health-over-time chart of `confgate monitor history --format html`: one inline SVG
//! line chart per namespace (health 0–100 against time, the alert threshold as a dashed
//! line), laid out here in Rust and rendered by the tera template
//! `reports/monitor-history.html` (embedded). The page is self-contained: no script, no
//! remote resource; every value from the history goes through tera's autoescape (the
//! template is registered under a `.html` name).
//!
//! Checks whose health was unknown (the cluster could not be read) break the line and are
//! marked on the time axis, so a gap is never drawn as a straight line across it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::history::Record;
use crate::diag::Diagnostic;

/// The embedded template.
pub const TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/reports/monitor-history.html"
));

/// The plot's geometry (SVG user units).
pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// One namespace's chart.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chart {
    pub context: String,
    pub namespace: String,
    /// The `points` of each polyline: runs of known healths (`x,y x,y …`).
    pub lines: Vec<String>,
    /// A known check with unknown neighbours (a polyline of one point draws nothing).
    pub dots: Vec<[f64; 2]>,
    /// x of each check whose health was unknown.
    pub unknown: Vec<f64>,
    /// y of the alert threshold.
    pub threshold_y: f64,
    pub checks: usize,
    pub last: Option<u32>,
    pub min: Option<u32>,
    pub max: Option<u32>,
    /// First and last check (RFC 3339).
    pub from: String,
    pub to: String,
}

/// A y-axis tick.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tick {
    pub y: f64,
    pub label: u32,
}

/// What the template gets.
#[derive(Clone, Debug, Serialize)]
pub struct Page {
    pub title: String,
    pub since: String,
    pub threshold: u32,
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub ticks: Vec<Tick>,
    pub charts: Vec<Chart>,
    pub tool_version: &'static str,
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// y of a health (0 at the bottom of the plot, 100 at its top).
pub fn y_of(health: u32) -> f64 {
    let h = f64::from(health.min(100));
    round(TOP + (100.0 - h) / 100.0 * (HEIGHT - TOP - BOTTOM))
}

/// x of time `t` on an axis from `t0` to `t1` (one check alone sits in the middle).
pub fn x_of(t: i64, t0: i64, t1: i64) -> f64 {
    let w = WIDTH - LEFT - RIGHT;
    if t1 <= t0 {
        return round(LEFT + w / 2.0);
    }
    let f = (t.clamp(t0, t1) - t0) as f64 / (t1 - t0) as f64;
    round(LEFT + f * w)
}

fn time(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// One chart per (context, namespace), in name order; each over its own time span.
pub fn charts(records: &[Record], threshold: u32) -> Vec<Chart> {
    let mut by: BTreeMap<(&str, &str), Vec<&Record>> = BTreeMap::new();
    for r in records {
        by.entry((r.context.as_str(), r.namespace.as_str()))
            .or_default()
            .push(r);
    }
    by.into_iter()
        .map(|((context, namespace), mut rs)| {
            rs.sort_by_key(|r| r.t);
            let t0 = rs.first().map_or(0, |r| r.t);
            let t1 = rs.last().map_or(0, |r| r.t);
            let mut lines = Vec::new();
            let mut dots = Vec::new();
            let mut run: Vec<[f64; 2]> = Vec::new();
            let mut unknown = Vec::new();
            let mut end_run = |run: &mut Vec<[f64; 2]>| {
                match run.as_slice() {
                    [] => {}
                    [one] => dots.push(*one),
                    many => lines.push(
                        many.iter()
                            .map(|[x, y]| format!("{x},{y}"))
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                }
                run.clear();
            };
            for r in &rs {
                let x = x_of(r.t, t0, t1);
                match r.health {
                    Some(h) => run.push([x, y_of(h)]),
                    None => {
                        unknown.push(x);
                        end_run(&mut run);
                    }
                }
            }
            end_run(&mut run);
            let known = rs.iter().filter_map(|r| r.health);
            Chart {
                context: context.to_string(),
                namespace: namespace.to_string(),
                lines,
                dots,
                unknown,
                threshold_y: y_of(threshold),
                checks: rs.len(),
                last: rs.last().and_then(|r| r.health),
                min: known.clone().min(),
                max: known.max(),
                from: time(t0),
                to: time(t1),
            }
        })
        .collect()
}

/// The page of `records` (`since` is how far back they go, as given).
pub fn page(records: &[Record], threshold: u32, since: &str) -> Page {
    Page {
        title: "confgate monitor history".into(),
        since: since.to_string(),
        threshold,
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: RIGHT,
        top: TOP,
        bottom: BOTTOM,
        ticks: [0, 25, 50, 75, 100]
            .into_iter()
            .map(|h| Tick {
                y: y_of(h),
                label: h,
            })
            .collect(),
        charts: charts(records, threshold),
        tool_version: crate::TOOL_VERSION,
    }
}

/// The HTML page of `records`.
pub fn html(records: &[Record], threshold: u32, since: &str) -> Result<Vec<u8>, Diagnostic> {
    let fail = |m: String| crate::report::report_error("html", m);
    let mut tera = tera::Tera::default();
    tera.add_raw_template("monitor-history.html", TEMPLATE)
        .map_err(|e| fail(format!("bad template: {e}")))?;
    let ctx = tera::Context::from_serialize(page(records, threshold, since))
        .map_err(|e| fail(e.to_string()))?;
    tera.render("monitor-history.html", &ctx)
        .map(String::into_bytes)
        .map_err(|e| fail(format!("template failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t: i64, ns: &str, health: Option<u32>) -> Record {
        Record {
            t,
            context: "prod".into(),
            namespace: ns.into(),
            health,
            pods_running: 0,
            pods_not_running: 0,
            restarts: 0,
            findings: 0,
        }
    }

    #[test]
    fn points_span_the_plot_and_an_unknown_health_breaks_the_line() {
        let rs = [
            rec(100, "shop", Some(100)),
            rec(200, "shop", Some(50)),
            rec(300, "shop", None),
            rec(400, "shop", Some(0)),
            rec(500, "shop", Some(80)),
            rec(150, "api", Some(90)),
        ];
        let c = charts(&rs, 80);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].namespace, "api");
        // One check alone: a dot in the middle.
        assert!(c[0].lines.is_empty());
        assert_eq!(c[0].dots, vec![[x_of(0, 0, 0), y_of(90)]]);
        let shop = &c[1];
        // Left edge at 100 %, the top; the right edge at the plot's width.
        assert_eq!(
            shop.lines,
            vec!["44,12 210,102".to_string(), "542,192 708,48".to_string()]
        );
        assert_eq!(shop.unknown, vec![376.0]);
        assert_eq!(shop.threshold_y, 48.0);
        assert_eq!(
            (shop.min, shop.max, shop.last),
            (Some(0), Some(100), Some(80))
        );
        assert_eq!(shop.checks, 5);
    }

    #[test]
    fn the_page_escapes_names_and_has_no_remote_resources() {
        let mut a = rec(100, "shop", Some(70));
        a.context = "<script>alert(1)</script>".into();
        let mut b = rec(200, "shop", Some(90));
        b.context = a.context.clone();
        let page = html(&[a, b], 80, "24h").unwrap_or_else(|e| panic!("{e:?}"));
        let page = String::from_utf8(page).unwrap_or_else(|e| panic!("{e}"));
        assert!(page.contains("<svg"), "{page}");
        assert!(page.contains("<polyline"), "{page}");
        assert!(!page.contains("<script>alert(1)"), "{page}");
        assert!(page.contains("&lt;script&gt;"), "{page}");
        assert!(!page.contains("http://"), "{page}");
        assert!(!page.contains("https://"), "{page}");
    }
}
