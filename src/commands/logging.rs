//! How errscope's own diagnostics reach stderr (or, while `top` owns the
//! terminal, its screen).

use std::io::{self, Write};
use std::sync::mpsc::Sender;
use std::sync::Mutex;

use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;

/// Warnings logged through `tracing` (alert sinks that fail or drop
/// notices, the metrics server) go to stderr as `errscope: warning: ...`,
/// like the others; `ERRSCOPE_LOG` (an `EnvFilter` directive such as
/// `debug`) changes the level.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ERRSCOPE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"))
        .add_directive(
            format!("{}=info", crate::NOTICE)
                .parse()
                .unwrap_or_else(|_| tracing::Level::INFO.into()),
        );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| Diagnostics)
        .event_format(Plain)
        .try_init();
}

/// `errscope: warning: message`; a [`crate::NOTICE`] as `errscope: message`.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        if event.metadata().target() == crate::NOTICE {
            write!(writer, "errscope: ")?;
        } else {
            let level = match *event.metadata().level() {
                tracing::Level::ERROR => "error",
                tracing::Level::WARN => "warning",
                _ => "note",
            };
            write!(writer, "errscope: {level}: ")?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Where diagnostics go instead of stderr, while set.
static CAPTURE: Mutex<Option<Sender<String>>> = Mutex::new(None);

/// Until the guard is dropped, each diagnostic line is sent to `to`
/// (without its newline) instead of written to stderr: a full-screen view
/// shows them in place rather than have them scribble over its screen.
pub fn capture(to: Sender<String>) -> Capture {
    if let Ok(mut capture) = CAPTURE.lock() {
        *capture = Some(to);
    }
    Capture(())
}

/// Sends diagnostics back to stderr when dropped.
pub struct Capture(());

impl Drop for Capture {
    fn drop(&mut self) {
        if let Ok(mut capture) = CAPTURE.lock() {
            *capture = None;
        }
    }
}

/// Stderr, or the capture. The formatter hands over each event whole in
/// one write.
struct Diagnostics;

impl Write for Diagnostics {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Ok(capture) = CAPTURE.lock() {
            if let Some(to) = capture.as_ref() {
                let text = String::from_utf8_lossy(buf);
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    let _ = to.send(line.to_owned());
                }
                return Ok(buf.len());
            }
        }
        io::stderr().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_takes_each_line_until_dropped() {
        let (tx, rx) = std::sync::mpsc::channel();
        let guard = capture(tx);
        let mut out = Diagnostics;
        let text = b"errscope: warning: a.log: gone\nerrscope: b\n";
        assert_eq!(out.write(text).ok(), Some(text.len()));
        assert_eq!(
            rx.try_iter().collect::<Vec<_>>(),
            ["errscope: warning: a.log: gone", "errscope: b"]
        );
        drop(guard);
        assert!(CAPTURE.lock().is_ok_and(|c| c.is_none()), "back to stderr");
    }
}
