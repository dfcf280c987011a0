//! Injected faults: an error status or a delay for the next N matching requests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};

#[derive(Debug, Clone)]
pub(crate) enum Action {
    Fail(u16),
    Delay(Duration),
}

#[derive(Debug, Clone)]
pub(crate) struct Fault {
    method: Option<String>,
    prefix: String,
    action: Action,
    remaining: usize,
}

/// Cloneable handle on the server's fault rules.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<Vec<Fault>>>);

impl Faults {
    fn push(&self, f: Fault) {
        if let Ok(mut v) = self.0.lock() {
            v.push(f);
        }
    }

    /// The next `times` requests with `method` (None = any) whose path starts with
    /// `path_prefix` get a `status` error (a Status object; 500 → InternalError).
    pub fn fail(&self, method: Option<&str>, path_prefix: &str, status: u16, times: usize) {
        self.push(Fault {
            method: method.map(str::to_ascii_uppercase),
            prefix: path_prefix.to_string(),
            action: Action::Fail(status),
            remaining: times,
        });
    }

    /// The next `times` matching requests wait `delay` before they are served.
    pub fn delay(&self, method: Option<&str>, path_prefix: &str, delay: Duration, times: usize) {
        self.push(Fault {
            method: method.map(str::to_ascii_uppercase),
            prefix: path_prefix.to_string(),
            action: Action::Delay(delay),
            remaining: times,
        });
    }

    /// Removes every rule.
    pub fn clear(&self) {
        if let Ok(mut v) = self.0.lock() {
            v.clear();
        }
    }

    /// `METHOD:PATH_PREFIX=500x3` or `METHOD:PATH_PREFIX=delay5sx1` (`*` or empty METHOD =
    /// any; `x N` optional, default 1; delays in `ms` or `s`).
    pub fn add_spec(&self, spec: &str) -> anyhow::Result<()> {
        let (target, action) = spec
            .rsplit_once('=')
            .with_context(|| format!("fault {spec:?}: expected METHOD:PATH=ACTION"))?;
        let (method, prefix) = match target.split_once(':') {
            Some((m, p)) if p.starts_with('/') => (m, p),
            _ => ("", target),
        };
        if !prefix.starts_with('/') {
            bail!("fault {spec:?}: the path prefix must start with /");
        }
        let method = match method {
            "" | "*" => None,
            m => Some(m),
        };
        let (what, times) = match action.rsplit_once('x') {
            Some((w, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => {
                (w, n.parse::<usize>()?)
            }
            _ => (action, 1),
        };
        if let Some(d) = what.strip_prefix("delay") {
            let dur = if let Some(ms) = d.strip_suffix("ms") {
                Duration::from_millis(ms.parse()?)
            } else if let Some(s) = d.strip_suffix('s') {
                Duration::from_secs_f64(s.parse()?)
            } else {
                bail!("fault {spec:?}: delay needs a unit (ms or s)");
            };
            self.delay(method, prefix, dur, times);
        } else {
            let code: u16 = what
                .parse()
                .with_context(|| format!("fault {spec:?}: expected a status code or delayNs"))?;
            if !(400..=599).contains(&code) {
                bail!("fault {spec:?}: status must be 4xx or 5xx");
            }
            self.fail(method, prefix, code, times);
        }
        Ok(())
    }

    /// The action for this request, consuming one use of the first matching rule.
    pub(crate) fn take(&self, method: &str, path: &str) -> Option<Action> {
        let mut v = self.0.lock().ok()?;
        let i = v.iter().position(|f| {
            f.remaining > 0
                && f.method.as_deref().is_none_or(|m| m == method)
                && path.starts_with(&f.prefix)
        })?;
        v[i].remaining -= 1;
        let a = v[i].action.clone();
        if v[i].remaining == 0 {
            v.remove(i);
        }
        Some(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let f = Faults::default();
        f.add_spec("GET:/api/v1/pods=500x2").unwrap();
        f.add_spec("*:/apis=delay50msx1").unwrap();
        assert!(matches!(
            f.take("GET", "/api/v1/pods/x"),
            Some(Action::Fail(500))
        ));
        assert!(f.take("POST", "/api/v1/pods").is_none());
        assert!(matches!(
            f.take("GET", "/api/v1/pods"),
            Some(Action::Fail(500))
        ));
        assert!(f.take("GET", "/api/v1/pods").is_none());
        assert!(matches!(
            f.take("PUT", "/apis/apps"),
            Some(Action::Delay(_))
        ));
        assert!(f.add_spec("GET:/x=200").is_err());
    }
}
