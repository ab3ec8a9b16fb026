//! Progress bars on stderr, one look for every command: whole rates ("118/s", not
//! indicatif's "117.3326/s").

use indicatif::{ProgressState, ProgressStyle};

/// A style from an indicatif template that may also use `{rate}`: items per second, whole.
pub fn style(template: &str) -> ProgressStyle {
    let rate = |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{}/s", rate_text(state.per_sec()));
    };
    ProgressStyle::with_template(template)
        .map(|s| s.with_key("rate", rate))
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// A rate as people read it: whole numbers, one decimal below 10, none for nonsense.
fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec < 0.0 {
        "0".into()
    } else if per_sec < 10.0 {
        format!("{per_sec:.1}")
    } else {
        format!("{per_sec:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::rate_text;

    #[test]
    fn rates_read_as_people_write_them() {
        assert_eq!(rate_text(117.3326), "117");
        assert_eq!(rate_text(2.345), "2.3");
        assert_eq!(rate_text(f64::INFINITY), "0");
        assert_eq!(rate_text(f64::NAN), "0");
    }
}
