//! Unit tests of the alert decisions and of delivery's payloads and targets.

use super::*;
use crate::monitor::history::Record;
use crate::monitor::{Snapshot, summarise};

fn snap(t: i64, healths: &[(&str, u32)]) -> Snapshot {
    Snapshot {
        taken_at: t,
        context: "prod".into(),
        reachable: true,
        namespaces: healths
            .iter()
            .map(|(ns, h)| {
                let mut s = summarise(
                    ns,
                    &[],
                    &[],
                    &[],
                    &[],
                    0,
                    Default::default(),
                    &Default::default(),
                    0,
                );
                s.health.score = *h;
                s
            })
            .collect(),
        ..Snapshot::default()
    }
}

fn section() -> AlertSection {
    AlertSection {
        critical_threshold: Some(50),
        escalate_after: Some(600.0),
        ..AlertSection::default()
    }
}

#[test]
fn alerts_fire_once_change_level_escalate_and_resolve() {
    let mut a = Alerter::new(80, &section());
    let n = a.update(&snap(0, &[("shop", 70), ("blog", 95)]), &[]);
    assert_eq!(n.len(), 1);
    assert_eq!(
        (n[0].subject.as_str(), n[0].level, n[0].state),
        ("shop", Level::Warning, "firing")
    );
    // Same state again: deduplicated.
    assert!(a.update(&snap(60, &[("shop", 72)]), &[]).is_empty());
    let n = a.update(&snap(120, &[("shop", 40)]), &[]);
    assert_eq!((n[0].level, n[0].escalation), (Level::Critical, false));
    assert!(a.update(&snap(500, &[("shop", 40)]), &[]).is_empty());
    let n = a.update(&snap(700, &[("shop", 40)]), &[]);
    assert_eq!(n.len(), 1);
    assert!(
        n[0].escalation && n[0].summary.contains("escalated"),
        "{n:?}"
    );
    assert!(a.update(&snap(760, &[("shop", 40)]), &[]).is_empty());
    let n = a.update(&snap(800, &[("shop", 90)]), &[]);
    assert_eq!((n[0].state, n[0].escalation), ("resolved", true));
}

#[test]
fn an_unreachable_cluster_is_critical_and_keeps_namespace_alerts_open() {
    let mut a = Alerter::new(80, &section());
    a.update(&snap(0, &[("shop", 70)]), &[]);
    let lost = Snapshot {
        taken_at: 60,
        context: "prod".into(),
        reachable: false,
        errors: vec!["cannot reach".into()],
        ..Snapshot::default()
    };
    let n = a.update(&lost, &[]);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(
        (n[0].subject.as_str(), n[0].level),
        ("(cluster)", Level::Critical)
    );
    let n = a.update(&snap(120, &[("shop", 70)]), &[]);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(
        (n[0].subject.as_str(), n[0].state),
        ("(cluster)", "resolved")
    );
}

#[test]
fn adaptive_thresholds_alert_on_a_drop_from_the_recent_mean() {
    let history: Vec<Record> = (0..20)
        .map(|i| Record {
            t: i,
            context: "prod".into(),
            namespace: "shop".into(),
            health: Some(if i % 2 == 0 { 97 } else { 99 }),
            pods_running: 1,
            pods_not_running: 0,
            restarts: 0,
            findings: 0,
        })
        .collect();
    let mut s = section();
    s.adaptive = Some(Adaptive {
        deviations: 3.0,
        window: 50,
    });
    let mut a = Alerter::new(80, &s);
    assert!(a.update(&snap(100, &[("shop", 96)]), &history).is_empty());
    let n = a.update(&snap(160, &[("shop", 90)]), &history);
    assert_eq!(n.len(), 1);
    assert!(n[0].summary.contains("standard deviations"), "{n:?}");
    assert_eq!(baseline(&history[..5], "shop", 50), None);
}

#[test]
fn routes_by_level_and_escalation_and_payload_shapes() {
    let r = |severity, escalate| Route {
        kind: Kind::Slack,
        url: None,
        url_env: None,
        severity,
        escalate,
        ..Route::default()
    };
    let mut n = Notice {
        subject: "shop".into(),
        context: "prod".into(),
        level: Level::Warning,
        state: "firing",
        health: Some(70),
        summary: "health 70 is under 80".into(),
        since: 0,
        escalation: false,
    };
    assert!(routed(&r(Level::Warning, false), &n));
    assert!(!routed(&r(Level::Critical, false), &n));
    assert!(!routed(&r(Level::Warning, true), &n));
    n.level = Level::Critical;
    n.escalation = true;
    assert!(routed(&r(Level::Critical, true), &n));
    assert!(!routed(&r(Level::Warning, false), &n));
    let slack = payload(Kind::Slack, &n);
    assert!(
        slack["text"]
            .as_str()
            .unwrap_or("")
            .starts_with("[CRITICAL] FIRING namespace shop")
    );
    let teams = payload(Kind::Teams, &n);
    assert_eq!(
        teams["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
    let am = payload(Kind::Alertmanager, &n);
    assert_eq!(am[0]["labels"]["namespace"], "shop");
    assert_eq!(am[0]["labels"]["alertname"], "ConfgateHealthLow");
    assert!(am[0].get("endsAt").is_none());
}

#[test]
fn a_route_needs_an_http_url_and_failures_never_show_it() {
    let bad = AlertSection {
        routes: vec![Route {
            kind: Kind::Webhook,
            url: Some("ftp://x".into()),
            url_env: None,
            severity: Level::Warning,
            escalate: false,
            ..Route::default()
        }],
        ..AlertSection::default()
    };
    assert!(targets(&bad).is_err());
    let ok = AlertSection {
        routes: vec![Route {
            kind: Kind::Slack,
            url: Some("https://hooks.slack.com/services/T0/B0/secret-token".into()),
            url_env: None,
            severity: Level::Warning,
            escalate: false,
            ..Route::default()
        }],
        ..AlertSection::default()
    };
    let t = targets(&ok).unwrap_or_default();
    assert_eq!(t[0].shown(), "slack (hooks.slack.com)");
    assert!(!t[0].shown().contains("secret-token"));
}

#[test]
fn an_email_says_what_fired_or_resolved_and_its_target_never_shows_the_password() {
    let mut n = Notice {
        subject: "shop".into(),
        context: "prod".into(),
        level: Level::Critical,
        state: "firing",
        health: Some(42),
        summary: "health 42 is under 50".into(),
        since: 0,
        escalation: false,
    };
    assert_eq!(email_subject(&n), "[CRITICAL] FIRING namespace shop (prod)");
    let b = email_body(&n);
    assert!(b.starts_with("An alert is firing."), "{b}");
    for line in [
        "Namespace: shop",
        "Context:   prod",
        "Health:    42/100",
        "Summary:   health 42 is under 50",
    ] {
        assert!(b.contains(line), "{line}: {b}");
    }
    n.state = "resolved";
    n.health = None;
    assert_eq!(
        email_subject(&n),
        "[CRITICAL] RESOLVED namespace shop (prod)"
    );
    let b = email_body(&n);
    assert!(b.starts_with("The alert is resolved."), "{b}");
    assert!(b.contains("Health:    unknown"), "{b}");

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "hunter2-FAKE\n").unwrap_or_else(|e| panic!("{e}"));
    let section = AlertSection {
        routes: vec![Route {
            kind: Kind::Email,
            host: Some("smtp.example.com".into()),
            username: Some("u".into()),
            password_file: Some(pw),
            from: Some("confgate <a@example.com>".into()),
            to: vec!["b@example.com".into()],
            ..Route::default()
        }],
        ..AlertSection::default()
    };
    let t = targets(&section).unwrap_or_default();
    assert_eq!(t[0].shown(), "email (smtp.example.com:587)");
    assert!(!format!("{t:?}").contains("hunter2"));
    // No recipients, or a username without a password: a settings error.
    let mut r = section.routes[0].clone();
    r.to.clear();
    let e = targets(&AlertSection {
        routes: vec![r],
        ..AlertSection::default()
    });
    assert!(e.is_err());
    let mut r = section.routes[0].clone();
    r.password_file = None;
    assert!(
        targets(&AlertSection {
            routes: vec![r],
            ..AlertSection::default()
        })
        .is_err()
    );
}

#[test]
fn a_route_debug_hides_its_url() {
    let r = Route {
        kind: Kind::Slack,
        url: Some("https://hooks.slack.com/services/T0/B0/secret-token".into()),
        ..Route::default()
    };
    assert!(!format!("{r:?}").contains("secret-token"));
}
